# The engine image: Rasa 3.6 on Python 3.10 with govbot's NLU components and model.
FROM python:3.10-slim-bookworm
WORKDIR /opt/govbot
COPY requirements/engine.lock requirements/engine.lock
RUN python -m venv .venv && .venv/bin/pip install --no-cache-dir -r requirements/engine.lock
COPY bot bot
COPY nlu nlu
COPY data data
COPY config.yml config.yml
COPY models models
ENV RASA_TELEMETRY_ENABLED=false
USER nobody
