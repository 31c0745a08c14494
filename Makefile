# xmt-bot: `make demo` and `make test` work on a fresh machine with only Python 3.11.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-sqlite test-postgres test-browser lint bench clean fuzz screenshots

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "需要 $(PYTHON)（Python 3.11）"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: install
	$(BIN)/xmt demo

# The whole suite on SQLite, then again on a throwaway PostgreSQL server; lint and types first.
test: install
	scripts/ensure-chromium
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q
	scripts/with-postgres $(BIN)/python -m pytest -q

test-sqlite: install
	$(BIN)/python -m pytest -q

test-postgres: install
	scripts/with-postgres $(BIN)/python -m pytest -q

# The long fuzz run: the Hypothesis property tests with thousands of examples each, then the
# hostile test (836 generated requests) once per seed. `make test` runs them with 40 examples, one seed.
FUZZ_EXAMPLES ?= 2000
FUZZ_SEEDS ?= 1 2 3 4 5
fuzz: install
	XMT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:cacheprovider \
		tests/test_fuzz_endpoints.py tests/test_fuzz_stream.py
	for seed in $(FUZZ_SEEDS); do \
		XMT_HOSTILE_SEED=$$seed $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_hostile.py || exit 1; \
	done

bench: install
	$(BIN)/python bench/submit_to_card.py

# The browser tests' screenshots (var/screenshots/), and the README's two copied into docs/.
screenshots: install
	scripts/screenshots

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
