# lisse: one command to set up and run the demo, one to set up and run the tests.
# The virtual environment is created with the first Python >= 3.12 found
# (pyenv picks 3.12 inside this repository through .python-version).

PYTHON ?= $(shell for p in python3.12 python3.13 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' \
	2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast test-long lint validation-docs clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python >= 3.12 not found (set PYTHON=...)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[fenics,dev,fit,drt]"
	$(BIN)/python -c "import lisse.solver, dolfinx, gmsh; print('lisse installed: dolfinx', dolfinx.__version__, 'gmsh', gmsh.__version__)"
	@touch $(STAMP)

demo: install
	$(BIN)/lisse run configs/demo.yaml

test: install
	$(BIN)/python -m pytest -q --durations=40

# The quick subset for development: everything not marked @pytest.mark.slow (no MPI runs,
# no 3D or mesh-convergence studies, no sweeps), on two pytest-xdist workers (most quick
# tests start a lisse process and wait for it); `make test` still runs everything, serially.
# Budget: under 3 min on the 2-core machine (4.8 min of CPU time measured under load 8,
# before the last dozen tests of 10–50 s were marked slow).
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow" -n 2

# The tests beyond the suite's time budget (marked long: the coupled CCD table, ~30 min).
test-long: install
	LISSE_LONG=1 $(BIN)/python -m pytest -q -m long

validation-docs: install
	LISSE_WRITE_DOCS=1 $(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check lisse solver meshes tests scripts

clean:
	rm -rf $(VENV) results .pytest_cache
