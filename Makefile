# Drive Backup. `make run` brings everything up; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONUNBUFFERED := 1

.PHONY: run test test-fast test-moments lint format bench bench-dispatch mutation install system services secrets migrate seed clean audit

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

install: $(VENV)/.installed

system:
	@scripts/ensure-system.sh pango

services: install
	@scripts/ensure-services.sh

# Development secrets, generated once (production sets SECRET_KEY and FIELD_ENCRYPTION_KEYS).
secrets:
	@$(PY) scripts/local_secrets.py var/local-secrets.env

migrate: install system secrets
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo --if-empty

run: install system services seed
	$(PY) manage.py collectstatic --noinput -v0
	@echo "Open http://127.0.0.1:$${PORT:-8000}/  (demo merchant: demo@example.com / demo-password-2026)"
	@scripts/run.sh

test: install system services
	@scripts/ensure-system.sh chromium poppler promtool
	@scripts/ensure-axe.sh >/dev/null
	$(PY) -m pytest $(PYTEST_ARGS)

# The tests whose outcome depends on the date, the hour or the zone (backup engine, dispatcher,
# pages, documents, accounts, monitoring). `make test-moments` runs them again with the clock set
# to moments where calendars bite; CI does, after `make test`. Any moment: `make test TEST_NOW=...`.
# The browser tests are left out there: the pages' dates are checked by their view tests.
CLOCK_TESTS ?= tests --ignore=tests/fake_google --ignore=tests/rendering --ignore=tests/bench \
	--ignore=tests/make_run --ignore=tests/i18n --ignore=tests/security --ignore=tests/browser \
	-m "not browser"
# The first night of a month in Warsaw, and the night the clocks go back (02:30 happens twice).
CLOCK_MOMENTS ?= "2027-03-01T00:30 Europe/Warsaw" "2027-10-31T02:30 Europe/Warsaw"

test-moments: install system services
	@scripts/ensure-system.sh poppler promtool
	@for moment in $(CLOCK_MOMENTS); do \
		echo "== the clock at $$moment (TEST_NOW)"; \
		TEST_NOW="$$moment" $(PY) -m pytest $(CLOCK_TESTS) $(PYTEST_ARGS) || exit 1; \
	done

test-fast: install
	$(PY) -m pytest -m "not slow and not browser" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# pip-audit in a virtualenv of its own (requirements-audit.txt), over the pinned requirements.
AUDIT_VENV := var/audit-venv
$(AUDIT_VENV)/.installed: requirements-audit.txt
	@test -x $(AUDIT_VENV)/bin/python || $(PYTHON) -m venv $(AUDIT_VENV) || python3 -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/python -m pip install --quiet -r requirements-audit.txt
	@touch $@

audit: $(AUDIT_VENV)/.installed
	@$(AUDIT_VENV)/bin/python scripts/audit.py requirements.txt

bench: install system services secrets
	$(PY) -m bench $(BENCH_ARGS)

bench-dispatch: install system services
	$(PY) -m bench.dispatch $(BENCH_ARGS)
# What `make mutation` mutates: mutmut's mutant names (module.x_function, methods as
# module.xǁClassǁmethod), as shell patterns. One line per module; repoint it here when code moves.
# The error classification, the reserved-id pool, the folder tree and the ledger.
MUTATE ?= integrations.google.errors.* \
	integrations.engine.drive_ids.* \
	integrations.engine.folders.* \
	integrations.engine.ledger.*

# One mutant at a time: a forked worker keeps its parent's SQLite test database name, so two
# at once would share (and break) one database. Results stay in mutants/ (`mutmut results`,
# `mutmut show NAME`); the summary prints the kill rate per module.
mutation: install system services
	$(VENV)/bin/mutmut run --max-children 1 $(patsubst %,'%',$(MUTATE))
	$(PY) scripts/mutation_summary.py $(patsubst %,'%',$(MUTATE))

clean:
	rm -rf $(VENV) staticfiles var .pytest_cache mutants
