# The app image: action server, gateway, console, sandbox (modern Python).
FROM python:3.11-slim-bookworm
WORKDIR /opt/govbot
COPY requirements/app.lock requirements/app.lock
RUN python -m venv .venv-app && .venv-app/bin/pip install --no-cache-dir -r requirements/app.lock
COPY . .
USER nobody
