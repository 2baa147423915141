"""Gmsh builders of Li | electrolyte cells with interfacial voids (see docs/geometry.md).

The public API is re-exported here lazily, so ``from lisse.meshes.geometry import ...`` or
``import meshes`` does not load Gmsh, DOLFINx or matplotlib until they are needed.
"""

from importlib import import_module

_EXPORTS = {
    "validate_geometry": "lisse.meshes.build",
    "build_gmsh_model": "lisse.meshes.build",
    "random_voids": "lisse.meshes.voids",
    "contact_fraction": "lisse.meshes.voids",
    "mesh_file": "lisse.meshes.cache",
    "load_mesh": "lisse.meshes.cache",
    "mesh_picture": "lisse.meshes.picture",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'meshes' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
