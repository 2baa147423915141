"""lisse: finite-element simulator of the Li-metal / solid-electrolyte interface.

The Python API (``docs/api.md``)::

    import lisse
    result = lisse.run("configs/demo.yaml", overrides=["protocol.current_density_mA_cm2=1"])
    result.summary["cell_voltage_V"]

The simulator lives in ``lisse.solver`` and the Gmsh builders in ``lisse.meshes``.
"""

try:  # the PyPI DOLFINx wheel must set up its PETSc before dolfinx or petsc4py load
    import dolfinx_solver  # noqa: F401
except ImportError:  # conda-forge, Spack or source builds of DOLFINx need nothing here
    pass

__version__ = "0.2.0"

_API = ("Result", "ccd", "eis", "load_case", "run", "study")
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    """The API (``lisse.solver.api``), loaded on first use so that ``import lisse`` stays
    light."""
    if name in _API:
        from lisse.solver import api

        return getattr(api, name)
    raise AttributeError(f"module 'lisse' has no attribute {name!r}")
