# Two commands: `make run` (local stack) and `make test`. Both set themselves up.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STAGE ?= dev
INFRA_VENV ?= .venv-infra
INFRA_STAMP := $(INFRA_VENV)/.installed
# the Lambda runtime's Python (infra/package.py RUNTIME): chalice packages under it, in its own venv
PACKAGE_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) python3.13)
PACKAGE_VENV ?= .venv-package
PACKAGE_STAMP := $(PACKAGE_VENV)/.installed
export PACKAGE_VENV PACKAGE_PYTHON

# the nightly-size fuzzing: 1,000 cases per operation and a fresh seed (CI runs 100 with a fixed one)
.PHONY: run test unit lint fuzz fuzz-ci model model-ci bench bench-load bench-privacy bench-fanout bench-streams bench-costs bench-soak invoke template package check-infra rehearse check-bundle infra-venvs diff deploy destroy clean contract

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=python3"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m local run

test: $(STAMP) $(PACKAGE_STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

# the fast layer alone: domain and service rules with fakes of the repositories, no moto, no AWS client
# (tests/unit/, README "Tests"); `make test` runs them too. The HTTP fuzzing and load plugins stay unloaded: seconds of imports
unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit -p no:xdist -p no:schemathesis -p no:locust

# style, layers, types, security lint, known vulnerabilities of what is installed (README "Static checks")
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/bandit -q -r chalicelib app.py -ll
	$(BIN)/pip-audit --progress-spinner off

fuzz-ci: $(STAMP)
	$(BIN)/python -m pytest -s -p no:xdist -m fuzz tests/test_fuzz.py

fuzz: $(STAMP)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-1000} FUZZ_SEED=$${FUZZ_SEED:-} $(BIN)/python -m pytest -s -p no:xdist -m fuzz tests/test_fuzz.py

# the model-based test (tests/test_model.py, README "Model-based test"): CI's bounded run with a fixed seed
model-ci: $(STAMP)
	MODEL_SEED=$${MODEL_SEED:-20261123} MODEL_EXAMPLES=$${MODEL_EXAMPLES:-4} MODEL_STEPS=$${MODEL_STEPS:-30} $(BIN)/python -m pytest -s -p no:xdist -m model tests/test_model.py

# nightly: thousands of steps and a fresh seed (printed; MODEL_SEED=... replays it), MODEL_PROFILES=strict for one profile
model: $(STAMP)
	MODEL_SEED=$${MODEL_SEED:-} MODEL_EXAMPLES=$${MODEL_EXAMPLES:-40} MODEL_STEPS=$${MODEL_STEPS:-80} $(BIN)/python -m pytest -s -p no:xdist -m model tests/test_model.py

# every benchmark, written to BENCHMARKS.md (about 20 minutes on the 2-core machine)
bench: $(STAMP)
	$(BIN)/python benchmarks/report.py

# Locust against a fresh local stack: make bench-load LOAD_ARGS="--users 50 --seconds 300"
bench-load: $(STAMP)
	$(BIN)/python benchmarks/load.py $(LOAD_ARGS)

bench-privacy: $(STAMP)
	$(BIN)/python benchmarks/privacy_calls.py

bench-fanout: $(STAMP)
	$(BIN)/python benchmarks/fanout_calls.py

bench-streams: $(STAMP)
	$(BIN)/python benchmarks/stream_readers.py

# cost per operation in US dollars (prices: benchmarks/prices.py)
bench-costs: $(STAMP)
	$(BIN)/python benchmarks/costs.py

# a fresh local stack under a real day's load (about an hour on the 2-core machine);
# smaller: make bench-soak SOAK_ARGS="--signups 2000 --projects 200 --bids 1000 --contracts 100"
bench-soak: $(STAMP)
	$(BIN)/python benchmarks/soak.py $(SOAK_ARGS)

# make invoke FUNCTION=release_due_notifications EVENT=events/release_due_notifications.json
invoke: $(STAMP)
	$(BIN)/python -m local invoke $(FUNCTION) -e $(EVENT)

template: $(STAMP)
	$(BIN)/python -m infra.template > infra/template.json

# the deployable template of a stage: build/$(STAGE)/sam.json and deployment.zip (README "Deploying")
package: $(STAMP) $(PACKAGE_STAMP)
	$(BIN)/python -m infra.package $(STAGE)

# the package venv: requirements.txt and chalice only, under the runtime's Python (README "Runtime and bundle")
$(PACKAGE_STAMP): requirements.txt requirements-package.txt
	@command -v $(PACKAGE_PYTHON) >/dev/null 2>&1 || { echo "error: $(PACKAGE_PYTHON) not found; install Python 3.13 (pyenv install 3.13) or run make PACKAGE_PYTHON=..."; exit 1; }
	test -x $(PACKAGE_VENV)/bin/python || $(PACKAGE_PYTHON) -m venv $(PACKAGE_VENV)
	$(PACKAGE_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-package.txt
	touch $(PACKAGE_STAMP)

# the infra and package venvs alone (.ci/run makes them while it installs the dev venv)
infra-venvs: $(INFRA_STAMP) $(PACKAGE_STAMP)

# the bundle runs alone: its wheels and .so files suit the runtime, and every function, run
# from the unzipped bundle under the runtime's Python with the standard library only, succeeds
check-bundle: $(STAMP) $(PACKAGE_STAMP)
	$(BIN)/python -m infra.package prod
	$(BIN)/python -m infra.bundle_check

$(INFRA_STAMP): requirements-infra.txt
	test -x $(INFRA_VENV)/bin/python || $(PYTHON) -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-infra.txt
	touch $(INFRA_STAMP)

# cfn-lint and checkov on the prod template as written (sam.json) and as CloudFormation sees it after the SAM
# transform (transformed.json: cycles among the functions and the API show only there), the deploy rehearsal
# in moto, the IAM lint of every policy (infra/iam_lint.py), then the bundle run on its own (infra/bundle_check.py);
# each check runs even if one before it failed. Zero findings (each skip carries its reason in the template; each
# accepted IAM finding its reason in infra/iam_lint.py EXPLAINED)
check-infra: $(STAMP) $(INFRA_STAMP) $(PACKAGE_STAMP)
	$(BIN)/python -m infra.package prod
	$(INFRA_VENV)/bin/python -m infra.transform prod
	$(BIN)/python -m infra.deployer > build/prod/deployer.json
	failed=""; \
	$(INFRA_VENV)/bin/cfn-lint build/prod/sam.json build/prod/transformed.json build/prod/deployer.json || failed="$$failed cfn-lint"; \
	$(INFRA_VENV)/bin/checkov -f build/prod/sam.json -f build/prod/transformed.json --framework cloudformation --compact --quiet --skip-download || failed="$$failed checkov"; \
	$(BIN)/python -m infra.rehearse prod || failed="$$failed rehearsal"; \
	$(INFRA_VENV)/bin/python -m infra.iam_lint build/prod/sam.json build/prod/deployer.json || failed="$$failed iam-lint"; \
	$(BIN)/python -m infra.bundle_check || failed="$$failed bundle"; \
	test -z "$$failed" || { echo "check-infra failed:$$failed"; exit 1; }

# the deploy rehearsal alone: package the stage, transform it, create it in moto (infra/rehearse.py)
rehearse: $(STAMP) $(INFRA_STAMP) $(PACKAGE_STAMP)
	$(BIN)/python -m infra.package $(STAGE)
	$(INFRA_VENV)/bin/python -m infra.transform $(STAGE)
	$(BIN)/python -m infra.rehearse $(STAGE)

# make diff|deploy|destroy STAGE=dev [PARAMS="MailDomain=example.com MailFrom=no-reply@example.com WebOrigin=https://app.example.com"]
diff deploy: $(PACKAGE_STAMP)
diff deploy destroy: $(STAMP)
	$(BIN)/python -m infra.deploy $@ $(STAGE) $(PARAMS)

# the OpenAPI document as deployed (build/openapi.json), linted and turned into clients that type-check
# (README "Clients"): Redocly (recommended) and Spectral (spectral:oas, warnings fail), openapi-typescript
# then tsc --strict, openapi-python-client (a warning fails) then mypy --strict. Needs `npm ci`. Each step
# runs even if one before it failed; any finding fails
NODE_BIN := node_modules/.bin
contract: $(STAMP)
	@test -x $(NODE_BIN)/redocly || { echo "error: $(NODE_BIN)/redocly not found; run npm ci"; exit 1; }
	$(BIN)/python -m tests.contract.document build/openapi.json
	rm -rf build/clients && mkdir -p build/clients/ts
	failed=""; \
	{ REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(NODE_BIN)/redocly lint --config redocly.yaml --format=summary build/openapi.json 2>&1 | tee build/clients/redocly.txt; } \
	  && ! grep -qiE "^(warning|error) " build/clients/redocly.txt || failed="$$failed redocly"; \
	$(NODE_BIN)/spectral lint --ruleset .spectral.yaml --fail-severity=warn --format=text build/openapi.json || failed="$$failed spectral"; \
	$(NODE_BIN)/openapi-typescript build/openapi.json --redocly tests/contract/redocly-generate.yaml -o build/clients/ts/schema.d.ts \
	  && { $(NODE_BIN)/tsc --strict --noEmit build/clients/ts/schema.d.ts || failed="$$failed tsc"; } || failed="$$failed openapi-typescript"; \
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/openapi-python-client generate --path build/openapi.json --output-path build/clients/python \
	  --config openapi-python-client.yaml --meta none --fail-on-warning \
	  && { $(BIN)/mypy --strict --config-file= build/clients/python || failed="$$failed mypy"; } || failed="$$failed openapi-python-client"; \
	test -z "$$failed" || { echo "contract failed:$$failed"; exit 1; }

clean:
	rm -rf $(VENV) $(INFRA_VENV) $(PACKAGE_VENV) .pytest_cache build
