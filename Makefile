# govarchive: `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: check install demo test lint format serve bench clean

check: lint test

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

demo: install
	$(BIN)/python -m mirror.demo --db data/demo.db

# One pytest worker per CPU, each taking whole files: a file's module fixtures (the hostile site's
# crawl, the shared run of workers and a writer) are built once, and its tests wait on the same
# crawl rather than on each other. Most of the suite waits on sockets and child processes.
test: install
	$(BIN)/python -m pytest --numprocesses auto --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy govarchive crawler archive mirror bench tests

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Bytecode compiled first, as pip leaves an installed package: with PYTHONDONTWRITEBYTECODE set,
# every process of every crawl measured would compile our modules again.
bench: install
	$(BIN)/python -m compileall -q govarchive crawler archive bench mirror
	$(BIN)/python -m bench.run

serve: install
	$(BIN)/govarchive serve --db data/demo.db

clean:
	rm -rf $(VENV) data test-artifacts
