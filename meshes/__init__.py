"""Gmsh builders of Li | electrolyte cells with interfacial voids (see docs/geometry.md).

The public API is re-exported here lazily, so ``from meshes.geometry import ...`` or
``import meshes`` does not load Gmsh, DOLFINx or matplotlib until they are needed.
"""

from importlib import import_module

_EXPORTS = {
    "validate_geometry": "meshes.build",
    "build_gmsh_model": "meshes.build",
    "random_voids": "meshes.voids",
    "contact_fraction": "meshes.voids",
    "mesh_file": "meshes.cache",
    "load_mesh": "meshes.cache",
    "mesh_picture": "meshes.picture",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'meshes' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
