# odl-stack: the two commands a newcomer needs are `make stack APP=...` and `make test`.
PYTHON ?= python3
# A value as one shell word, whatever it holds (NAME="my stack" reaches odl-stack's own validation).
q = '$(subst ','\'',$(1))'
# The repo, so `make -f <repo>/Makefile` also works from another directory (stacks/ is then created there).
# Worked out by the shell from the whole list: make's word functions would split a path with a space
# ("~/My Projects/odl-stack"), and this Makefile includes no other.
ROOT := $(shell cd "$$(dirname $(call q,$(strip $(MAKEFILE_LIST))))" && pwd)/
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-odl-stack
yes = $(filter 1 yes true,$(1))
# odl-stack words its fix lines as make variables (FORCE=1, STACK=...) when run from here.
ODL := ODL_STACK_VIA=make ODL_STACK_TYPED=$(call q,$(STACK)) $(BIN)/odl-stack

.PHONY: help venv stack test test-static test-unit test-bootstrap e2e bench golden clean
.PHONY: up down status logs verify doctor reset upgrade hosts need-stack snapshot restore snapshots

help:
	@echo "make stack APP=xpro|mitxonline [APISIX=1] [PROFILE=tutor|devstack] [NAME=...] [SUBNET=...]"
	@echo "           [LMS_PORT=...] [APP_PORT=...] [APP_SRC=checkout] [IMAGES=file.yml] [OUT=dir]"
	@echo "           [IP='service=address ...'] [OPENEDX_PLUGIN_SRC='checkout ...'] [FORCE=1 [NEW_SECRETS=1] [CHANGE_KIND=1]]"
	@echo "           generate stacks/<name>/ (or OUT/<name>/)"
	@echo "make test      the whole test suite (static checks, unit, golden, compose contract, bootstrap, engine tier with a browser)"
	@echo "make e2e REAL=1   the engine scenarios and browser journeys on the published images (needs the registries)"
	@echo "make bench     time 'odl-stack new' against Tutor's own 'tutor config save'"
	@echo "make golden    rewrite tests/golden/ after a template change (then read the diff)"
	@echo "make up|down|status|logs|verify|doctor|reset|upgrade STACK=xpro   operate stacks/<STACK>/ (or STACK=a/path)"
	@echo "    (up: [SKIP_DOCTOR=1]; logs: SERVICE=lms [FOLLOW=1]; reset: DATA=1 [YES=1] deletes volumes and tutor/data/;"
	@echo "     upgrade: [SUBNET=...] [LMS_PORT=...] [APP_PORT=...] [NEW_SECRETS=1])"
	@echo "make snapshot STACK=xpro [NAME=wired] [TO=dir]   copy every datastore of the stack (stops it for the copy)"
	@echo "make restore STACK=xpro NAME=wired [YES=1] [TO=dir]   put a snapshot's data back, all or nothing (asks first)"
	@echo "make snapshots STACK=xpro [TO=dir]   list the snapshots: name, when, size, odl-stack version, images"

# The project's virtualenv, created on first use and refreshed when pyproject.toml changes.
# A prerequisite is a list of words: the spaces of a checkout path such as "~/My Projects/odl-stack" are escaped.
empty :=
space := $(empty) $(empty)
$(STAMP): $(subst $(space),\ ,$(ROOT))pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '$(ROOT).[test]'
	touch $@

venv: $(STAMP)

stack: $(STAMP)
	@test -n "$(APP)" || { echo "Error: APP is required. Fix: make stack APP=xpro (or APP=mitxonline)" >&2; exit 2; }
	@$(ODL) new --app $(call q,$(APP)) $(if $(call yes,$(APISIX)),--apisix) $(if $(NAME),--name $(call q,$(NAME))) \
		$(if $(SUBNET),--subnet $(call q,$(SUBNET))) $(if $(PROFILE),--profile $(call q,$(PROFILE))) \
		$(if $(LMS_PORT),--lms-port $(call q,$(LMS_PORT))) $(if $(APP_PORT),--app-port $(call q,$(APP_PORT))) \
		$(if $(APP_SRC),--app-src $(call q,$(APP_SRC))) $(if $(IMAGES),--images $(call q,$(IMAGES))) \
		$(if $(OUT),--out $(call q,$(OUT))) $(foreach a,$(IP),--ip $(call q,$(a))) \
		$(foreach p,$(OPENEDX_PLUGIN_SRC),--openedx-plugin-src $(call q,$(p))) \
		$(if $(call yes,$(FORCE)),--force) $(if $(call yes,$(NEW_SECRETS)),--new-secrets) $(if $(call yes,$(CHANGE_KIND)),--change-kind)

test: test-static test-unit test-bootstrap e2e

# mypy --strict, ruff's lint and its formatter, configured in pyproject.toml (which files, and why some are left out).
test-static: $(STAMP)
	$(BIN)/mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

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

# Operating a generated stack: each target is the odl-stack command of the same name on stacks/$(STACK)
# (or on $(STACK) itself when it is a path).
STACK_DIR = $(call q,$(if $(findstring /,$(STACK)),$(STACK),stacks/$(STACK)))
need-stack:
	@test -n "$(STACK)" || { echo "Error: STACK is required. Fix: make $(MAKECMDGOALS) STACK=xpro (a directory in stacks/)" >&2; exit 2; }

up: $(STAMP) need-stack
	@$(ODL) up $(STACK_DIR) $(if $(call yes,$(SKIP_DOCTOR)),--skip-doctor)

down: $(STAMP) need-stack
	@$(ODL) down $(STACK_DIR)

status: $(STAMP) need-stack
	@$(ODL) status $(STACK_DIR)

logs: $(STAMP) need-stack
	@$(ODL) logs $(STACK_DIR) $(SERVICE) $(if $(call yes,$(FOLLOW)),--follow)

verify: $(STAMP) need-stack
	@$(ODL) verify $(STACK_DIR)

doctor: $(STAMP) need-stack
	@$(ODL) doctor $(STACK_DIR)

reset: $(STAMP) need-stack
	@$(ODL) reset $(STACK_DIR) $(if $(call yes,$(DATA)),--data) $(if $(call yes,$(YES)),--yes)

upgrade: $(STAMP) need-stack
	@$(ODL) upgrade $(STACK_DIR) $(if $(SUBNET),--subnet $(call q,$(SUBNET))) \
		$(if $(LMS_PORT),--lms-port $(call q,$(LMS_PORT))) $(if $(APP_PORT),--app-port $(call q,$(APP_PORT))) \
		$(if $(call yes,$(NEW_SECRETS)),--new-secrets)

snapshot: $(STAMP) need-stack
	@$(ODL) snapshot $(STACK_DIR) $(if $(NAME),$(call q,$(NAME))) $(if $(TO),--to $(call q,$(TO)))

restore: $(STAMP) need-stack
	@test -n "$(NAME)" || { echo "Error: NAME is required. Fix: make restore STACK=$(STACK) NAME=wired (list them: make snapshots STACK=$(STACK))" >&2; exit 2; }
	@$(ODL) restore $(STACK_DIR) $(call q,$(NAME)) $(if $(TO),--to $(call q,$(TO))) $(if $(call yes,$(YES)),--yes)

snapshots: $(STAMP) need-stack
	@$(ODL) snapshots $(STACK_DIR) $(if $(TO),--to $(call q,$(TO)))

hosts: $(STAMP)
	@$(ODL) hosts $(if $(STACK),$(STACK_DIR))
