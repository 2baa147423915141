"""On-disk cache of Gmsh meshes keyed by geometry, and MPI-safe loading into DOLFINx.

``mesh_file`` runs Gmsh and must be called on ONE rank only::

    path = mesh_file(geom) if comm.rank == 0 else None
    path = comm.bcast(path, root=0)

``load_mesh`` does exactly that (and forwards rank-0 errors to every rank) before
reading the mesh as ``dolfinx.io.gmsh.read_from_msh`` does (but quietly).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pathlib
import socket

import gmsh

from lisse.meshes.build import BUILDER_VERSION, build_gmsh_model, validate_geometry
from lisse.meshes.errors import LisseError
from lisse.meshes.geometry import CellGeometry


def cache_root(cache_dir: str | os.PathLike | None = None) -> pathlib.Path:
    """The cache folder: ``cache_dir``, else $LISSE_CACHE_DIR, else ~/.cache/lisse/meshes."""
    if cache_dir is not None:
        return pathlib.Path(cache_dir)
    if os.environ.get("LISSE_CACHE_DIR"):
        return pathlib.Path(os.environ["LISSE_CACHE_DIR"])
    return pathlib.Path.home() / ".cache" / "lisse" / "meshes"


def geometry_key(geom: CellGeometry) -> str:
    """sha256 of the canonical JSON of the geometry and the builder version."""
    payload = {"builder": BUILDER_VERSION, "geometry": dataclasses.asdict(geom)}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def mesh_file(geom: CellGeometry, cache_dir: str | os.PathLike | None = None) -> pathlib.Path:
    """Path of the cached .msh (metres) for ``geom``, building it if missing. One rank only."""
    path = cache_root(cache_dir) / f"{geom.dimension}-{geometry_key(geom)[:24]}.msh"
    if path.exists():
        return path
    validate_geometry(geom)
    path.parent.mkdir(parents=True, exist_ok=True)
    # unique per process and node: ranks of several sweep groups (or array tasks on several
    # nodes sharing the cache) may build the same mesh at once; os.replace is atomic
    tmp = path.with_name(f"{path.stem}.{socket.gethostname()}.{os.getpid()}.tmp.msh")
    try:
        write_msh(geom, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_msh(geom: CellGeometry, path: pathlib.Path) -> None:
    """Build the mesh in a fresh Gmsh model and write it to ``path``."""
    owns_session = not gmsh.isInitialized()
    if owns_session:
        gmsh.initialize(interruptible=False)
    gmsh.option.setNumber("General.Terminal", 0)
    gmsh.option.setNumber("General.NumThreads", 1)
    gmsh.model.add(f"lisse-{os.getpid()}")
    try:
        build_gmsh_model(geom)
        gmsh.write(str(path))
    finally:
        gmsh.model.remove()
        if owns_session:
            gmsh.finalize()


def load_mesh(geom: CellGeometry, comm):
    """Build or reuse the cached mesh on rank 0 and distribute it over ``comm``.

    Returns the dolfinx.io.gmsh MeshData (``.mesh``, ``.cell_tags``, ``.facet_tags``)
    with ``geom.gdim`` coordinates. An error on rank 0 (e.g. GeometryError) is raised on
    every rank with the same type and message.
    """
    from dolfinx.io.gmsh import model_to_mesh  # solver (imported above) set up dolfinx_solver

    path, error = None, None
    if comm.rank == 0:
        try:
            path = mesh_file(geom)
        except Exception as exc:  # forwarded to all ranks below
            error = exc
    path, failure = comm.bcast((path, error and (type(error), str(error))), root=0)
    if error is not None:
        raise error
    if failure is not None:
        kind, message = failure
        raise kind(message) if issubclass(kind, LisseError) else RuntimeError(message)
    return _read_msh(path, comm, geom.gdim, model_to_mesh)


def _read_msh(path: pathlib.Path, comm, gdim: int, model_to_mesh):
    """dolfinx.io.gmsh.read_from_msh(path, comm, rank=0, gdim), without Gmsh's chatter."""
    if comm.rank != 0:
        return model_to_mesh(gmsh.model, comm, 0, gdim=gdim)
    owns_session = not gmsh.isInitialized()
    if owns_session:
        gmsh.initialize(interruptible=False)
    gmsh.option.setNumber("General.Terminal", 0)
    gmsh.model.add(f"lisse-read-{os.getpid()}")
    try:
        gmsh.merge(str(path))
        return model_to_mesh(gmsh.model, comm, 0, gdim=gdim)
    finally:
        gmsh.model.remove()
        if owns_session:
            gmsh.finalize()
