# odl-stack: the two commands a newcomer needs are `make stack APP=...` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-odl-stack
yes = $(filter 1 yes true,$(1))

.PHONY: help venv stack test test-unit test-bootstrap e2e bench golden clean

help:
	@echo "make stack APP=xpro|mitxonline [APISIX=1] [NAME=...] [SUBNET=...] [FORCE=1]  generate stacks/<name>/"
	@echo "make test      the whole test suite (unit, golden, compose contract, bootstrap, engine tier)"
	@echo "make bench     time 'odl-stack new' against Tutor's own 'tutor config save'"
	@echo "make golden    rewrite tests/golden/ after a template change (then read the diff)"

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
	$(BIN)/python -m pytest -q tests --ignore=tests/bootstrap --ignore=tests/engine

test-bootstrap: $(STAMP)
	bash tests/bootstrap/setup_venvs.sh
	$(BIN)/python -m pytest -q tests/bootstrap

e2e: $(STAMP)
	bash tests/engine/run.sh

bench: $(STAMP)
	$(BIN)/python tests/bench.py

golden: $(STAMP)
	ODL_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/test_render.py -k golden
	git diff --stat tests/golden

clean:
	rm -rf $(VENV) .cache .pytest_cache
