# Arrears: `make run` sets up and serves; `make test` runs every test tier.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-unit test-integration test-e2e bench lint install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/arrears init
	$(BIN)/arrears demo --if-empty
	$(BIN)/arrears serve

test: $(STAMP)
	@bash scripts/test-deps.sh
	ARREARS_REQUIRE_ALL_TIERS=$${ARREARS_REQUIRE_ALL_TIERS:-1} $(BIN)/python -m pytest -n 2 -q tests

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

test-integration: $(STAMP)
	$(BIN)/python -m pytest -q tests/integration

test-e2e: $(STAMP)
	$(BIN)/python -m pytest -q tests/e2e

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src/arrears/core src/arrears/portfolio src/arrears/compliance src/arrears/payments src/arrears/worklist src/arrears/users src/arrears/reporting src/arrears/strategy src/arrears/desk src/arrears/sim

clean:
	rm -rf $(VENV) var .pytest_cache
