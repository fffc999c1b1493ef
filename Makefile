# odl-stack: the two commands a newcomer needs are `make stack APP=...` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-odl-stack
yes = $(filter 1 yes true,$(1))

.PHONY: help venv stack test test-unit test-bootstrap e2e bench golden clean
.PHONY: up down status logs verify doctor reset upgrade hosts need-stack

help:
	@echo "make stack APP=xpro|mitxonline [APISIX=1] [NAME=...] [SUBNET=...] [FORCE=1]  generate stacks/<name>/"
	@echo "make test      the whole test suite (unit, golden, compose contract, bootstrap, engine tier with a browser)"
	@echo "make e2e REAL=1   the engine scenarios and browser journeys on the published images (needs the registries)"
	@echo "make bench     time 'odl-stack new' against Tutor's own 'tutor config save'"
	@echo "make golden    rewrite tests/golden/ after a template change (then read the diff)"
	@echo "make up|down|status|logs|verify|doctor|reset|upgrade STACK=xpro   operate stacks/<STACK>/"
	@echo "    (logs: SERVICE=lms; reset: DATA=1 [YES=1] deletes volumes and tutor/data/)"

# The project's virtualenv, created on first use and refreshed when pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(STAMP)

stack: $(STAMP)
	@test -n "$(APP)" || { echo "Error: APP is required. Fix: make stack APP=xpro (or APP=mitxonline)" >&2; exit 2; }
	$(BIN)/odl-stack new --app $(APP) $(if $(call yes,$(APISIX)),--apisix) $(if $(NAME),--name $(NAME)) \
		$(if $(SUBNET),--subnet $(SUBNET)) $(if $(PROFILE),--profile $(PROFILE)) $(if $(call yes,$(FORCE)),--force)

test: test-unit test-bootstrap e2e

test-unit: $(STAMP)
	bash tests/system-deps.sh
	$(BIN)/python -m pytest -q tests --ignore=tests/bootstrap --ignore=tests/engine

test-bootstrap: $(STAMP)
	bash tests/bootstrap/setup_venvs.sh
	$(BIN)/python -m pytest -q tests/bootstrap

e2e: $(STAMP)
	$(if $(call yes,$(REAL)),ODL_E2E_REAL=1 )bash tests/engine/run.sh

bench: $(STAMP)
	$(BIN)/python tests/bench.py

golden: $(STAMP)
	ODL_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/test_render.py -k golden
	git diff --stat tests/golden

clean:
	rm -rf $(VENV) .cache .pytest_cache

# Operating a generated stack: each target is the odl-stack command of the same name on stacks/$(STACK).
STACK_DIR = stacks/$(STACK)
need-stack:
	@test -n "$(STACK)" || { echo "Error: STACK is required. Fix: make $(MAKECMDGOALS) STACK=xpro (a directory in stacks/)" >&2; exit 2; }

up: $(STAMP) need-stack
	$(BIN)/odl-stack up $(STACK_DIR)

down: $(STAMP) need-stack
	$(BIN)/odl-stack down $(STACK_DIR)

status: $(STAMP) need-stack
	$(BIN)/odl-stack status $(STACK_DIR)

logs: $(STAMP) need-stack
	$(BIN)/odl-stack logs $(STACK_DIR) $(SERVICE) $(if $(call yes,$(FOLLOW)),--follow)

verify: $(STAMP) need-stack
	$(BIN)/odl-stack verify $(STACK_DIR)

doctor: $(STAMP) need-stack
	$(BIN)/odl-stack doctor $(STACK_DIR)

reset: $(STAMP) need-stack
	$(BIN)/odl-stack reset $(STACK_DIR) $(if $(call yes,$(DATA)),--data) $(if $(call yes,$(YES)),--yes)

upgrade: $(STAMP) need-stack
	$(BIN)/odl-stack upgrade $(STACK_DIR)

hosts: $(STAMP)
	$(BIN)/odl-stack hosts $(if $(STACK),$(STACK_DIR))
