"""lisse: finite-element simulator of the Li-metal / solid-electrolyte interface."""

try:  # the PyPI DOLFINx wheel must set up its PETSc before dolfinx or petsc4py load
    import dolfinx_solver  # noqa: F401
except ImportError:  # conda-forge, Spack or source builds of DOLFINx need nothing here
    pass

__version__ = "0.1.0"
