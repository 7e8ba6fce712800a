# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

STAGE ?= dev
# The CDK CLI (npm aws-cdk, pinned in package.json) runs the CDK app in infra/ with this venv's Python.
# No AWS account is needed to synthesize: the stacks are environment-agnostic. The CLI is told not to
# phone home (telemetry, version check); jsii is told that Debian's Node 20 is known (it works; CDK
# would like Node 22+).
CDK := cd infra && CDK_DISABLE_CLI_TELEMETRY=true CDK_DISABLE_VERSION_CHECK=1 \
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 ../node_modules/.bin/cdk

.PHONY: run test race bench sweep synth deploy division-key setup assets translations extract-messages chromium valgrind lock clean

run: setup ## install everything, start the local AWS stack and serve the portal on :8000 (PORT=, MOTO_PORT= for a second stack)
	$(BIN)/python scripts/local_stack.py serve --port $(or $(PORT),8000) --moto-port $(or $(MOTO_PORT),5055)

test: setup chromium ## install what the tests need, check the layering and run every test
	@mkdir -p test-results
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

race: setup ## the tests that race threads (marked `race`), 50 times in a row, stopping at the first failure
	$(BIN)/python -m pytest -m race --count 50 -x -q -p no:cacheprovider

bench: setup valgrind ## the benchmarks of bench/, each printing what it measured
	PYTHONPATH=. $(BIN)/python bench/form_round_trips.py
	PYTHONPATH=. $(BIN)/python bench/cold_start.py
	PYTHONPATH=. $(BIN)/python bench/sweep.py
	PYTHONPATH=. $(BIN)/python bench/folder.py

synth: setup ## the CloudFormation templates of every stage into cdk.out/ (offline: no AWS account needed)
	rm -rf cdk.out
	$(CDK) synth --quiet
	@ls cdk.out/*.template.json

deploy: setup ## ops: deploy one stage with the AWS credentials of the shell, e.g. make deploy STAGE=dev (docs/operations.md)
	@test "$(STAGE)" = dev -o "$(STAGE)" = prod || (echo "STAGE=dev or STAGE=prod"; exit 2)
	$(CDK) deploy $(STAGE) -c stage=$(STAGE) --require-approval broadening $(CONTEXT)

division-key: setup ## ops: a new division API key, e.g. make division-key DIVISION=urban-environment (local stack unless STAGE/AWS are set)
	@test -n "$(DIVISION)" || (echo "give DIVISION=<id>"; exit 2)
	$(BIN)/python scripts/division_key.py create --division $(DIVISION)

sweep: ## the hourly planner now, then drain its queue with the workers, against `make run`'s local stack (AT=2026-06-01T10:00: as if then, Helsinki time; PORT=8000 MOTO_PORT=5055 for another local stack)
	PYTHONPATH=. $(BIN)/python scripts/sweep.py $(if $(AT),--at $(AT)) $(if $(PORT),--port $(PORT)) $(if $(MOTO_PORT),--moto-port $(MOTO_PORT))

setup: $(PY_STAMP) $(NODE_STAMP) assets translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): requirements.txt requirements-dev.txt constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends nodejs npm)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: $(PY_STAMP) $(NODE_STAMP) ## build the content-hashed CSS into chalicelib/static
	$(BIN)/python scripts/build_assets.py

translations: $(PY_STAMP) ## compile the message catalogues (.po -> .mo)
	$(BIN)/pybabel compile --statistics -d chalicelib/translations -D messages 2>&1 | grep -v '^compiling' || true
	@ls chalicelib/translations/*/LC_MESSAGES/messages.mo >/dev/null

extract-messages: $(PY_STAMP) ## after changing texts: refresh the template and the fi/sv catalogues
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ --no-location --sort-output -o chalicelib/translations/messages.pot .
	$(BIN)/pybabel update -i chalicelib/translations/messages.pot -d chalicelib/translations -D messages --no-fuzzy-matching --ignore-obsolete

valgrind: ## Debian's valgrind: bench/cold_start.py counts instructions with it (times vary on a virtual machine)
	@command -v valgrind >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends valgrind)

chromium: ## Debian's Chromium for the browser tests (never a downloaded browser)
	@test -x $(CHROMIUM) || ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium)

lock: $(BIN)/python ## re-pin constraints.txt after changing requirements*.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	{ sed -n '1,2p' constraints.txt; $(BIN)/python -m pip freeze --exclude-editable; } > constraints.tmp && mv constraints.tmp constraints.txt

clean:
	rm -rf $(VENV) node_modules chalicelib/static .pytest_cache build cdk.out infra/chalice.out
