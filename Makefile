# xmt-bot: `make demo` and `make test` work on a fresh machine with only Python 3.11.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

LOCK := requirements.lock

.PHONY: install lock demo test test-sqlite test-postgres bench clean fuzz screenshots

install: $(STAMP)

# Exactly the versions in requirements.lock (runtime and dev, with hashes; pip, setuptools and
# wheel included, so nothing unpinned is fetched), then the project itself without its
# dependencies, built by the pinned setuptools (its warning about editable installs silenced).
$(STAMP): pyproject.toml $(LOCK)
	@command -v $(PYTHON) >/dev/null || { echo "需要 $(PYTHON)（Python 3.11）"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r $(LOCK)
	PYTHONWARNINGS=ignore::UserWarning $(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Refresh requirements.lock from pyproject.toml: every package at its newest release within the
# bounds there, for Python 3.11 (run it on Linux). `make lock UPGRADE=` keeps the pins it has and
# only adds or drops what pyproject.toml changed. Then `make install` (the stamp is now older).
UPGRADE ?= --upgrade
lock: install
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile -q $(UPGRADE) --generate-hashes --allow-unsafe \
		--strip-extras --extra dev --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
		--output-file $(LOCK) pyproject.toml

demo: install
	$(BIN)/xmt demo

# The whole suite on SQLite and on a throwaway PostgreSQL server, side by side (scripts/both-databases);
# lint and types first.
test: install
	scripts/ensure-chromium
	scripts/ensure-ops-tools
	$(BIN)/ruff check .
	$(BIN)/mypy
	scripts/both-databases $(BIN)/python -m pytest -q

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
