# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app checkin
CHROMIUM ?= /usr/bin/chromium
CADDY ?= /usr/bin/caddy
HOST ?= 127.0.0.1
PORT ?= 5000
FUTURE ?= +365d

.PHONY: run test test-future test-sqlite test-postgres lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

## make run: install, migrate, seed a demo event if the database is empty, serve on SQLite
## with the huey worker (mail) beside the web server; its queue is a file under instance/.
run: export BASE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.installed
	$(FLASK) db upgrade
	@$(FLASK) demo --if-empty
	@echo ""
	@echo "Serving on http://$(HOST):$(PORT)/ with a mail worker beside it  (Ctrl-C stops both)"
	@$(BIN)/huey_consumer checkin.tasks.huey --workers 2 --quiet & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(FLASK) run --host $(HOST) --port $(PORT)

# The suite runs on TEST_WORKERS processes (pytest-xdist), each taking whole test files, so a
# module's live server, cluster or browser stays in one process; `make test TEST_WORKERS=0` runs
# it in one. Two workers cut each pass to about 60 % of its time on CI's two cores (SQLite: 14 to
# 9 minutes), which keeps .ci/run under its 45.
TEST_WORKERS ?= 2
PARALLEL = $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

## make test: the whole suite on SQLite over http, and again on PostgreSQL when TEST_DATABASE_URL
## is set, with the live servers over TLS (TEST_SCHEME=https), so every browser test sees both.
test: $(VENV)/.test-installed
	@test -x "$(CHROMIUM)" || { echo "Chromium is missing at $(CHROMIUM)."; \
	  echo "Install it with: sudo apt-get install chromium   (the browser tests need it)"; exit 1; }
	@if [ -n "$$TEST_DATABASE_URL" ] && [ ! -x "$(CADDY)" ]; then \
	  echo "Caddy is missing at $(CADDY): the PostgreSQL pass runs the two-node deployment test"; \
	  echo "(tests/deploy) behind it. Install it with: sudo apt-get install caddy"; exit 1; fi
	@test -n "$$TEST_REDIS_URL" || echo "TEST_REDIS_URL is not set: the worker-on-Redis and two-node tests are skipped (.ci/run sets it)."
	@echo "== on SQLite"
	TEST_DATABASE_URL= TEST_SCHEME=http $(BIN)/pytest -q $(PARALLEL)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL ($$TEST_DATABASE_URL), served over https"; \
	  TEST_SCHEME=https $(BIN)/pytest -q $(PARALLEL); \
	else echo "TEST_DATABASE_URL is not set: PostgreSQL run skipped (.ci/run sets it)."; fi

## make test-future: the cross-check that no test depends on today's date: the suite on SQLite
## with the clock moved FUTURE ahead for the whole process tree (libfaketime). Not part of
## `make test`. Python's monotonic clock stays real (faked, threaded waits hang) and
## tests/future puts back the time.sleep libfaketime then breaks; Chromium, started through
## tests/future/chromium, has both clocks moved. ARGS picks tests: make test-future ARGS=tests/door/test_pages.py
test-future: $(VENV)/.test-installed
	@command -v faketime >/dev/null || { echo "faketime is missing: sudo apt-get install faketime"; exit 1; }
	@echo "== on SQLite, the clock $(FUTURE) ahead"
	TEST_DATABASE_URL= PYTHONPATH=$(CURDIR)/tests/future FAKETIME_DONT_FAKE_MONOTONIC=1 \
	  CHROMIUM=$(CURDIR)/tests/future/chromium REAL_CHROMIUM=$(CHROMIUM) \
	  faketime -f $(FUTURE) $(BIN)/pytest -q -p no:cacheprovider $(ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check checkin tests bench
	$(BIN)/ruff format --check checkin tests bench

bench: $(VENV)/.test-installed
	$(BIN)/python bench/door.py
	$(BIN)/python bench/matching.py
	$(BIN)/python bench/digest.py
	$(BIN)/python bench/badges.py

clean:
	rm -rf $(VENV) instance .pytest_cache
