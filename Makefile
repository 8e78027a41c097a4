# Everything a newcomer needs: `make build` and `make test` set up .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: build test test-slow test-all serve check golden bench clean shapes-model

$(PY):
	$(PYTHON) -m venv $(VENV)

# the stamp files re-run the install whenever pyproject.toml changes
$(VENV)/.build-deps: pyproject.toml | $(PY)
	$(PIP) install -e .
	touch $@

$(VENV)/.test-deps: pyproject.toml | $(PY)
	$(PIP) install -e '.[captions,evidence,test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

build: $(VENV)/.build-deps
	$(VENV)/bin/unfragile build

serve: $(VENV)/.build-deps
	$(VENV)/bin/unfragile serve

check: $(VENV)/.build-deps
	$(VENV)/bin/unfragile check

test: $(VENV)/.test-deps node_modules/.installed
	$(PY) -m pytest -m "not slow"

test-slow: $(VENV)/.test-deps node_modules/.installed
	$(PY) -m pytest -m slow || test $$? -eq 5  # 5: no test is marked slow

test-all: $(VENV)/.test-deps node_modules/.installed
	$(PY) -m pytest

# regenerate the golden output of tests/fixtures/sites/*/expected after an intended change
golden: $(VENV)/.test-deps
	$(PY) -m tests.golden

bench: $(VENV)/.test-deps
	$(PY) bench/build_bench.py --entries 1000

shapes-model: $(VENV)/.test-deps
	$(PY) -m shapes.train --out shapes/model

clean:
	rm -rf public .public.previous .public.staging .unfragile-cache
