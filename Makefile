# Two commands: `make run` (local stack) and `make test`. Both set themselves up.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STAGE ?= dev
INFRA_VENV ?= .venv-infra
INFRA_STAMP := $(INFRA_VENV)/.installed

# the nightly-size fuzzing: 1,000 cases per operation and a fresh seed (CI runs 100 with a fixed one)
.PHONY: run test lint fuzz fuzz-ci model model-ci bench bench-load bench-privacy bench-fanout bench-soak invoke template package check-infra diff deploy destroy clean

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=python3"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m local run

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

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
package: $(STAMP)
	$(BIN)/python -m infra.package $(STAGE)

$(INFRA_STAMP): requirements-infra.txt
	test -x $(INFRA_VENV)/bin/python || $(PYTHON) -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-infra.txt
	touch $(INFRA_STAMP)

# cfn-lint, checkov and the IAM lint on the prod template: zero findings (each skip carries its reason in the
# template; each accepted IAM finding its reason in infra/iam_lint.py EXPLAINED)
check-infra: $(STAMP) $(INFRA_STAMP)
	$(BIN)/python -m infra.package prod
	$(INFRA_VENV)/bin/cfn-lint build/prod/sam.json
	$(INFRA_VENV)/bin/checkov -f build/prod/sam.json --framework cloudformation --compact --quiet --skip-download
	$(INFRA_VENV)/bin/python -m infra.iam_lint build/prod/sam.json

# make diff|deploy|destroy STAGE=dev [PARAMS="MailDomain=example.com MailFrom=no-reply@example.com WebOrigin=https://app.example.com"]
diff deploy destroy: $(STAMP)
	$(BIN)/python -m infra.deploy $@ $(STAGE) $(PARAMS)

clean:
	rm -rf $(VENV) $(INFRA_VENV) .pytest_cache build
