# govbot: the only commands the README documents. See README.md.
SHELL := /bin/bash
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
.DEFAULT_GOAL := help

# Rasa 3.6 needs Python 3.10; the app side uses the machine's python3.
PY310 ?= $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do \
	  $$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1 && { echo $$p; break; }; done)
PY_APP ?= python3
ENGINE := .venv
APP := .venv-app
RASA := $(ENGINE)/bin/rasa
PIP_FLAGS := --disable-pip-version-check -q
TRAIN_DATA := $(wildcard data/nlu data/rules data/stories)
TEST_TMP := $(CURDIR)/var/test-tmp

.PHONY: help install train run test lint validate evaluate bench audit clean

help:
	@echo "make run       install if needed, train if needed, start the whole assistant"
	@echo "make test      install what the tests need and run the whole test suite"
	@echo "make install | train | evaluate | bench | lint | audit"

$(ENGINE)/.installed: requirements/engine.lock
	@test -n "$(PY310)" || { echo "Python 3.10 not found (needed by Rasa 3.6)"; exit 1; }
	test -x $(ENGINE)/bin/python || $(PY310) -m venv $(ENGINE)
	$(ENGINE)/bin/pip install $(PIP_FLAGS) --upgrade pip==24.0 wheel
	$(ENGINE)/bin/pip install $(PIP_FLAGS) -r requirements/engine.lock
	touch $@

$(APP)/.installed: requirements/app.lock
	test -x $(APP)/bin/python || $(PY_APP) -m venv $(APP)
	$(APP)/bin/pip install $(PIP_FLAGS) --upgrade pip wheel
	$(APP)/bin/pip install $(PIP_FLAGS) -r requirements/app.lock
	touch $@

install: $(ENGINE)/.installed $(APP)/.installed

# Rasa compares the fingerprint of config, domain and data with the newest model
# and only trains when something changed.
train: $(ENGINE)/.installed
	$(ENGINE)/bin/python -m nlu.train

run: install train
	$(APP)/bin/python -m bot run

lint: $(APP)/.installed
	$(APP)/bin/ruff check .
	$(APP)/bin/ruff format --check .
	$(APP)/bin/mypy bot nlu sandbox actions channels review tools

validate: $(ENGINE)/.installed $(APP)/.installed
	$(ENGINE)/bin/python -m bot.dialogue check
	$(ENGINE)/bin/python -m bot.validate_data $(RASA) data validate --config config.yml --domain bot/domain --data $(TRAIN_DATA)

# Each run's files stay under var/test-tmp, so the privacy scan reads exactly
# the logs and log databases this run produced (no raw ID, phone or plate).
test: install train lint validate
	mkdir -p $(TEST_TMP)
	$(ENGINE)/bin/python -m pytest tests/nlu -q -p no:cacheprovider --basetemp=$(TEST_TMP)/nlu
	$(APP)/bin/python -m pytest tests --ignore=tests/nlu -q -p no:cacheprovider --basetemp=$(TEST_TMP)/app
	$(RASA) test core --stories tests/stories --fail-on-prediction-errors --out var/rasa-test
	$(APP)/bin/python -m review.privacy_scan $(TEST_TMP) var/rasa-test

evaluate: $(ENGINE)/.installed train
	$(ENGINE)/bin/python -m nlu.evaluate

bench: install train
	$(ENGINE)/bin/python -m bench.nlu_bench
	$(ENGINE)/bin/python -m bench.spacy_compare
	$(APP)/bin/python -m bench.turn_latency
	$(APP)/bin/python -m bench.channel_overhead
	$(APP)/bin/python -m bench.load --duration 300 --citizens auto
	$(APP)/bin/python -m bench.load --duration 300 --citizens auto --target telegram
	$(APP)/bin/python -m bench.load --duration 300 --citizens auto --target telegram --rasa-instances 2
	$(APP)/bin/python -m bench.load.scale --concurrency 8 --seconds 60

# pip-audit over both lock files; says plainly when no advisory service is reachable.
audit: $(APP)/.installed
	$(APP)/bin/python -m tools.dependency_audit

clean:
	rm -rf $(ENGINE) $(APP) models .rasa var results
