# Everything a newcomer needs: `make build` and `make test` set up .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: build test test-slow test-all serve check golden bench clean shapes-model chromium

$(PY):
	$(PYTHON) -m venv $(VENV)

# the stamp files re-run the install whenever pyproject.toml changes
$(VENV)/.build-deps: pyproject.toml | $(PY)
	$(PIP) install -e .
	touch $@

$(VENV)/.test-deps: pyproject.toml | $(PY)
	$(PIP) install -e '.[captions,evidence,ray,bench,test]'
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

# The browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
# Installed where that is possible (root, with apt-get); elsewhere the run ends with a banner
# that names every browser test it skipped (tests/banner.py).
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "make: installing Chromium for the browser tests (apt-get install chromium)"; \
	  (export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	    || echo "make: WARNING: could not install Chromium: the browser tests will be skipped"; \
	else \
	  echo "make: WARNING: Chromium is not installed, and installing it needs root and apt-get: the browser tests will be skipped (sudo apt-get install chromium)"; \
	fi

test: $(VENV)/.test-deps node_modules/.installed chromium
	$(PY) -m pytest -m "not slow"

test-slow: $(VENV)/.test-deps node_modules/.installed chromium
	$(PY) -m pytest -m slow || test $$? -eq 5  # 5: no test is marked slow

test-all: $(VENV)/.test-deps node_modules/.installed chromium
	$(PY) -m pytest

# regenerate the golden output of tests/fixtures/sites/*/expected after an intended change
golden: $(VENV)/.test-deps
	$(PY) -m tests.golden

$(VENV)/.bench-deps: pyproject.toml | $(PY)
	$(PIP) install -e '.[bench]'
	touch $@

# our build beside Hugo's on the same synthetic catalog (bench/build_bench.py --help)
bench: $(VENV)/.bench-deps
	$(PY) bench/build_bench.py --entries 1000

shapes-model: $(VENV)/.test-deps
	$(PY) -m shapes.train --out build/shapes-first
	$(PY) -m shapes.train --from build/shapes-first --out shapes/model

clean:
	rm -rf public .public.previous .public.staging .public.lock .unfragile-cache
