# Two entry points: `make quickstart` (set-up + the main job) and `make test` (set-up + every test).
PYTHON ?= python3.12
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: quickstart test

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[test]"
	touch $(STAMP)

quickstart: $(STAMP)
	$(VENV)/bin/efp quickstart --out out/quickstart

test: $(STAMP)
	$(VENV)/bin/pytest -q
