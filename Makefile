# The two commands: `make run` (set up and start the service with demo data) and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# Run as root (CI, a fresh container) or through sudo on a workstation.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# The web app's port for `make run`.
PORT ?= 5000
# pytest-xdist workers for `make test`: `auto` is one per CPU core; `make test WORKERS=0`
# runs the suite serially, in one process (docs/development.md has the figures).
WORKERS ?= auto

.PHONY: run test install install-dev assets browser lint bench clean docs

run: install assets
	$(BIN)/hotspots init-db
	$(BIN)/hotspots demo --if-empty
	$(BIN)/hotspots score
	@echo "Starting the scheduler and the web app on http://127.0.0.1:$(PORT) (Ctrl-C stops both)"
	@# Both in the background and waited for, so a signal to this shell (Ctrl-C at a terminal,
	@# or SIGTERM from make when a supervisor or `timeout` stops it) runs the trap at once,
	@# which stops both; a fresh demo sends no digests on start (the next run is at the send
	@# time); every link the service sends starts with this port's address.
	@export HOTSPOTS_APP__BASE_URL=http://127.0.0.1:$(PORT); \
	HOTSPOTS_DIGEST__CATCH_UP_ON_START=false $(BIN)/hotspots scheduler & scheduler=$$!; \
	HOTSPOTS_SECURITY__HTTPS_ONLY=false $(BIN)/hotspots run --host 127.0.0.1 --port $(PORT) & web=$$!; \
	trap 'trap - INT TERM; kill -TERM $$web $$scheduler 2>/dev/null; wait $$web $$scheduler 2>/dev/null; exit 0' INT TERM; \
	wait $$web; status=$$?; kill -TERM $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null; exit $$status

test: install-dev assets browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(WORKERS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml setup.py | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml setup.py | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# GOV.UK Frontend assets from npm, compiled into the git-ignored hotspots/static/.
assets: hotspots/static/.built

hotspots/static/.built: package.json package-lock.json scripts/build-assets.sh
	@command -v npm >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs npm)
	npm ci --no-audit --no-fund
	bash scripts/build-assets.sh
	touch $@

# Debian's Chromium for the browser tests (playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium)

# The benchmarks (minutes each; figures in docs/benchmarks.md). They share one 400k-case demo database.
bench: install-dev assets
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_annex_a.py
	$(BIN)/python bench/bench_cin_census.py
	$(BIN)/python bench/bench_score.py --db bench/data/score.db
	$(BIN)/python bench/bench_web.py bench/data/score.db
	$(BIN)/python bench/bench_partnership.py --db bench/data/partnership.db

# Regenerate the command and configuration references in docs/ from the code.
docs: install-dev
	$(BIN)/cog -r README.md docs/*.md

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) node_modules hotspots/static instance/hotspots.web.db*
