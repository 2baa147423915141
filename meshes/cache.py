"""On-disk cache of Gmsh meshes keyed by geometry, and MPI-safe loading into DOLFINx.

``mesh_file`` runs Gmsh and must be called on ONE rank only::

    path = mesh_file(geom) if comm.rank == 0 else None
    path = comm.bcast(path, root=0)

``load_mesh`` does exactly that (and forwards rank-0 errors to every rank) before
reading the mesh. A first-order mesh is read from the entry's ``.lmesh`` companion
(``lisse.meshes.mesh_arrays``: every rank reads its own block of nodes and cells, and its
tags need no communication), written from the ``.msh`` by the first load; other meshes (and
``order`` 2) are read into Gmsh on rank 0 and distributed as ``dolfinx.io.gmsh.model_to_mesh``
does.

The cache is bounded: after a new entry is written, the least recently used entries (oldest
modification time; a cache hit touches its entry) are deleted, with their ``.lmesh``
companions, until the folder holds at most $LISSE_CACHE_MAX_MB megabytes (default 2048); the
new entry is never deleted. An entry Gmsh cannot read, or that holds no cells, is deleted and
rebuilt once with a one-line warning; so is a damaged ``.lmesh`` companion.
Entries are written under a temporary name and renamed (``os.replace``), so concurrent runs
never see a partial file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import pathlib
import signal
import socket
import sys
import threading
import time

import gmsh

from lisse.meshes.build import BUILDER_VERSION, build_gmsh_model, validate_geometry
from lisse.meshes.errors import LisseError, UserError
from lisse.meshes.geometry import CellGeometry
from lisse.meshes.mesh_arrays import read_all, read_header, read_mesh, write_arrays, write_file
from lisse.meshes.refine import coarse_geometry, refine_arrays
from lisse.units import BYTES_PER_MB

DEFAULT_MAX_MB = 2048.0  # cache size limit unless $LISSE_CACHE_MAX_MB says otherwise


def cache_root(cache_dir: str | os.PathLike | None = None) -> pathlib.Path:
    """The cache folder: ``cache_dir``, else $LISSE_CACHE_DIR, else ~/.cache/lisse/meshes."""
    if cache_dir is not None:
        return pathlib.Path(cache_dir)
    if os.environ.get("LISSE_CACHE_DIR"):
        return pathlib.Path(os.environ["LISSE_CACHE_DIR"])
    return pathlib.Path.home() / ".cache" / "lisse" / "meshes"


def cache_limit_bytes() -> int:
    """The cache size limit: $LISSE_CACHE_MAX_MB megabytes, else ``DEFAULT_MAX_MB``."""
    raw = os.environ.get("LISSE_CACHE_MAX_MB", "").strip()
    if not raw:
        return int(DEFAULT_MAX_MB * BYTES_PER_MB)
    try:
        megabytes = float(raw)
    except ValueError:
        megabytes = math.nan
    if not megabytes >= 0 or math.isinf(megabytes):
        raise UserError(f"LISSE_CACHE_MAX_MB: must be a size in MB >= 0 (got {raw!r})")
    return int(megabytes * BYTES_PER_MB)


def evict(root: pathlib.Path, keep: pathlib.Path | None = None,
          limit: int | None = None) -> list[pathlib.Path]:
    """Delete the least recently used entries (oldest mtime first) of the cache folder
    ``root`` until it holds at most ``limit`` bytes (default ``cache_limit_bytes()``),
    never ``keep``; returns the deleted paths. Temporary files are left alone."""
    limit = cache_limit_bytes() if limit is None else limit
    for companion in root.glob("*.lmesh"):  # of an entry deleted by an older lisse
        if not (root / f"{companion.name.split('.')[0]}.msh").exists():
            companion.unlink(missing_ok=True)
    entries = []
    for path in root.glob("*.msh"):
        if path.name.endswith(".tmp.msh"):
            continue
        try:
            stat = path.stat()
        except OSError:  # deleted meanwhile by another run
            continue
        entries.append((stat.st_mtime, stat.st_size + sum(map(_size, companions(path))), path))
    total = sum(size for _, size, _ in entries)
    deleted = []
    for _, size, path in sorted(entries):
        if total <= limit:
            break
        if keep is not None and path == keep:
            continue
        path.unlink(missing_ok=True)
        for companion in companions(path):
            companion.unlink(missing_ok=True)
        total -= size
        deleted.append(path)
    return deleted


def arrays_path(path: pathlib.Path) -> pathlib.Path:
    """The ``.lmesh`` companion of the cache entry ``path`` (lisse.meshes.mesh_arrays)."""
    return path.with_suffix(".lmesh")


def refined_path(path: pathlib.Path, refinements: int) -> pathlib.Path:
    """The ``.lmesh`` of the cache entry ``path`` refined ``refinements`` times
    (``lisse.meshes.refine``); deleted with the entry."""
    return path.with_name(f"{path.stem}.r{refinements}.lmesh")


def companions(path: pathlib.Path) -> list[pathlib.Path]:
    """The ``.lmesh`` files of the cache entry ``path``: its arrays and its refinements."""
    return [arrays_path(path), *path.parent.glob(f"{path.stem}.r*.lmesh")]


def _size(path: pathlib.Path) -> int:
    """Size of ``path`` in bytes, 0 if it does not exist."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _touch(path: pathlib.Path, every: float = 60.0) -> None:
    """Mark a cache entry as used (its mtime orders the eviction), at most once per
    ``every`` seconds (a sweep reusing one mesh does not rewrite its metadata each time)."""
    try:
        if time.time() - path.stat().st_mtime > every:
            os.utime(path)
    except OSError:
        pass  # read-only cache or deleted meanwhile: the entry is still usable or rebuilt


def geometry_key(geom: CellGeometry) -> str:
    """sha256 of the canonical JSON of the geometry and the builder version."""
    payload = {"builder": BUILDER_VERSION, "geometry": dataclasses.asdict(geom)}
    if geom.lithium_shape == "layer":  # the default: the keys of the layer cells as before
        del payload["geometry"]["lithium_shape"]
    if not geom.sizes.refinements:  # likewise: Gmsh's meshes keep their keys
        del payload["geometry"]["sizes"]["refinements"]
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def entry_path(geom: CellGeometry, cache_dir: str | os.PathLike | None = None) -> pathlib.Path:
    """Where the cached .msh of ``geom`` is (or will be)."""
    return cache_root(cache_dir) / f"{geom.dimension}-{geometry_key(geom)[:24]}.msh"


def mesh_file(geom: CellGeometry, cache_dir: str | os.PathLike | None = None) -> pathlib.Path:
    """Path of the cached .msh (metres) for ``geom``, building it if missing. One rank only.
    A geometry with ``sizes.refinements`` has no Gmsh mesh of its own: its coarse geometry
    (``lisse.meshes.refine.coarse_geometry``) has."""
    if geom.sizes.refinements:
        raise ValueError("mesh_file: a refined geometry is meshed as its coarse_geometry")
    path = entry_path(geom, cache_dir)
    if path.exists():
        _touch(path)
        return path
    validate_geometry(geom)
    path.parent.mkdir(parents=True, exist_ok=True)
    # unique per process and node: ranks of several sweep groups (or array tasks on several
    # nodes sharing the cache) may build the same mesh at once; os.replace is atomic
    tmp = path.with_name(f"{path.stem}.{socket.gethostname()}.{os.getpid()}.tmp.msh")
    try:
        write_msh(geom, tmp)
        # a companion already beside ``path`` stays: it holds the same mesh (same key), and
        # a concurrent run that built this entry first may be reading it right now
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    evict(path.parent, keep=path)
    return path


def start_gmsh() -> None:
    """``gmsh.initialize`` keeping the process's SIGTERM and SIGINT handlers: Gmsh installs
    its own at the C level (they end the process), so the Python handlers in force are put
    back (a run's stop requests, lisse.solver.io.checkpoint.StopRequests, stay in force)."""
    gmsh.initialize(interruptible=False)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            handler = signal.getsignal(sig)
            if handler is not None:
                signal.signal(sig, handler)


def write_msh(geom: CellGeometry, path: pathlib.Path) -> None:
    """Build the mesh in a fresh Gmsh model and write it to ``path``."""
    owns_session = not gmsh.isInitialized()
    if owns_session:
        start_gmsh()
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


def load_mesh(geom: CellGeometry, comm, order: int = 1,
              regions: tuple[int, ...] | None = None):
    """Build or reuse the cached mesh and distribute it over ``comm``; ``order`` 2 gives the
    same mesh with a second-order geometry (mid-edge nodes added by Gmsh, edges kept
    straight: the cached file has no CAD to curve them onto). ``regions`` (cell tag
    values): read only the cells of these regions when the mesh comes from the ``.lmesh``
    companion (a ``mesh_arrays.partial_mesh_data``); otherwise the whole mesh is read.

    Returns the dolfinx.io.gmsh MeshData (``.mesh``, ``.cell_tags``, ``.facet_tags``)
    with ``geom.gdim`` coordinates. An error on rank 0 (e.g. GeometryError) is raised on
    every rank with the same type and message. Rank 0 makes the entry sound (built if
    missing, rebuilt if corrupt, its ``.lmesh`` companion written) before the other ranks
    are told to go on; then every rank reads its block of the companion, or, for a mesh
    the companion cannot hold, for ``order`` 2 and when some rank does not see the cache
    folder (node-local), rank 0 distributes the Gmsh model.
    """
    from dolfinx.io.gmsh import model_to_mesh  # solver (imported above) set up dolfinx_solver
    from dolfinx.mesh import GhostMode, create_cell_partitioner

    # one layer of ghost cells across every shared facet: integrals over interior facets
    # (the Li/electrolyte contact of the mechanics, dS) need both cells of a facet that the
    # partition cuts
    # (one rank: no graph partitioning, 10 % of the load)
    partitioner = create_cell_partitioner(GhostMode.shared_facet, 2) if comm.size > 1 else None
    source, owns_session = _on_rank0(comm, lambda: _prepare(geom, order)) or (None, False)
    source = comm.bcast(source, root=0)
    if source is not None:
        if all(comm.allgather(source[0].exists())):
            return read_mesh(*source, comm, geom.gdim, partitioner, regions)
        if geom.sizes.refinements:  # only the companion holds the refined mesh
            raise UserError("geometry.mesh.refinements: every rank must see the mesh cache "
                            "(set LISSE_CACHE_DIR to a shared folder) or set 0")
        # a cache folder that some rank does not see (node-local): rank 0 distributes
        owns_session = _on_rank0(comm, lambda: _read_checked(geom))
    if comm.rank != 0:
        return model_to_mesh(gmsh.model, comm, 0, gdim=geom.gdim, partitioner=partitioner)
    try:
        if order != 1:
            gmsh.model.mesh.setOrder(order)
        return model_to_mesh(gmsh.model, comm, 0, gdim=geom.gdim, partitioner=partitioner)
    finally:
        gmsh.model.remove()
        if owns_session:
            gmsh.finalize()


def _on_rank0(comm, work):
    """``work()`` on rank 0, its result there (None elsewhere); an exception on rank 0 is
    raised on every rank with the same type and message (rank 0 re-raises its own)."""
    result, error = None, None
    if comm.rank == 0:
        try:
            result = work()
        except Exception as exc:  # forwarded to all ranks below
            error = exc
    failure = comm.bcast(error and (type(error), str(error)), root=0)
    if error is not None:
        raise error
    if failure is not None:
        kind, message = failure
        raise kind(message) if issubclass(kind, LisseError) else RuntimeError(message)
    return result


def arrays_file(geom: CellGeometry) -> pathlib.Path:
    """Rank 0 only: the ``.lmesh`` file every rank reads the first-order mesh of ``geom``
    from, made here if missing (Gmsh, the companion, the refinements)."""
    source, owns_session = _prepare(geom, 1)
    if source is None:  # not a first-order simplex mesh: Gmsh's model was left loaded
        gmsh.model.remove()
        if owns_session:
            gmsh.finalize()
        raise UserError("geometry: the mesh is not a first-order simplex mesh (no .lmesh)")
    return source[0]


def _prepare(geom: CellGeometry, order: int) -> tuple[tuple | None, bool]:
    """Rank 0: ``((companion path, its header), False)`` when every rank can read the mesh
    from the entry's ``.lmesh`` companion (written here from the ``.msh`` if missing or
    damaged); else ``(None, owns_session)`` with the ``.msh`` merged into the current Gmsh
    model (the caller distributes it, removes the model and, if ``owns_session``,
    finalises Gmsh)."""
    if geom.sizes.refinements:
        return _refined(geom, order), False
    damaged = False
    if order == 1:
        target = arrays_path(mesh_file(geom))
        try:
            return (target, read_header(target)), False
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError):  # garbage, truncated, bad header
            damaged = True
    owns_session = _read_checked(geom)
    if order != 1:
        return None, owns_session
    try:
        if not write_arrays(gmsh.model, target):
            return None, owns_session  # not a first-order simplex mesh: Gmsh distributes it
    except BaseException:
        gmsh.model.remove()
        if owns_session:
            gmsh.finalize()
        raise
    gmsh.model.remove()
    if owns_session:
        gmsh.finalize()
    if damaged:
        print(f"lisse: warning: mesh cache entry {target} was corrupt; rebuilt",
              file=sys.stderr, flush=True)
    return (target, read_header(target)), False


def _refined(geom: CellGeometry, order: int) -> tuple[pathlib.Path, dict]:
    """Rank 0: the refined mesh's ``.lmesh`` and its header, written from the coarse
    geometry's cache entry (built if missing) when missing or damaged."""
    if order != 1:
        raise UserError("geometry.mesh.refinements: a second-order mesh (the coupled interface "
                        "model's Li) is made by Gmsh from the CAD; set 0")
    coarse = coarse_geometry(geom)
    source = arrays_file(coarse)  # Gmsh's coarse mesh and its companion, made if missing
    entry = mesh_file(coarse)
    target = refined_path(entry, geom.sizes.refinements)
    damaged = False
    try:
        return target, read_header(target)
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError):  # garbage, truncated, bad header
        damaged = True
    header = read_header(source)
    meta = {key: header[key] for key in ("cell_type", "tdim", "physical_groups")}
    write_file(target, refine_arrays(read_all(source, header), geom), meta)
    if damaged:
        print(f"lisse: warning: mesh cache entry {target} was corrupt; rebuilt",
              file=sys.stderr, flush=True)
    evict(entry.parent, keep=entry)  # the refined file counts with its entry
    return target, read_header(target)


def _merged(path: pathlib.Path, tdim: int) -> bool:
    """Merge ``path`` into the current Gmsh model; False if Gmsh cannot read it or it
    holds no cells of dimension ``tdim``."""
    try:
        gmsh.merge(str(path))
        _, tags, _ = gmsh.model.mesh.getElements(tdim)
    except Exception:  # Gmsh raises a bare Exception: "Could not read elements", ...
        return False
    return any(len(t) for t in tags)


def _read_checked(geom: CellGeometry) -> bool:
    """Rank 0: the cached mesh of ``geom`` (built if missing) merged into a new current
    Gmsh model, rebuilt once if the entry is corrupt. Returns whether this call initialised
    Gmsh (the caller removes the model and, if so, finalises Gmsh)."""
    owns_session = not gmsh.isInitialized()
    if owns_session:
        start_gmsh()
    gmsh.option.setNumber("General.Terminal", 0)
    tdim = 3 if geom.dimension == "3d" else 2
    try:
        corrupt = False
        for attempt in range(2):
            path = mesh_file(geom)
            gmsh.model.add(f"lisse-read-{os.getpid()}")
            if _merged(path, tdim):
                if corrupt:
                    print(f"lisse: warning: mesh cache entry {path} was corrupt; rebuilt",
                          file=sys.stderr, flush=True)
                return owns_session
            gmsh.model.remove()
            if attempt:
                raise LisseError(f"mesh cache entry {path}: Gmsh cannot read the mesh it has "
                                 "just written")
            corrupt = path.exists()  # else evicted by a concurrent run: rebuilt quietly
            path.unlink(missing_ok=True)
    except BaseException:
        if owns_session:
            gmsh.finalize()
        raise
    raise AssertionError("unreachable")
