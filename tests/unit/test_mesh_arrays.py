"""The cache's ``.lmesh`` companion (lisse.meshes.mesh_arrays), which every rank reads its
block of: the same mesh and tags as Gmsh's distribution (``model_to_mesh``), serially and
under ``mpirun -n 2``; a damaged companion is rebuilt; eviction removes it with its entry."""

from __future__ import annotations

import ast
import dataclasses
import sys

import numpy as np
import pytest

import lisse.meshes.cache as mesh_cache
from lisse.meshes.geometry import CellGeometry, MeshSizes, Void
from tests.helpers import run_mpi

UM = 1e-6
PLANE = CellGeometry("plane", width=30 * UM, lithium_thickness=10 * UM,
                     electrolyte_thickness=20 * UM,
                     sizes=MeshSizes(bulk=4 * UM, interface=1.5 * UM, edge=0.5 * UM),
                     voids=(Void((0.0,), 5 * UM, 2 * UM), Void((18 * UM,), 4 * UM, 3 * UM, "cap")))
SOLID = CellGeometry("3d", width=16 * UM, depth=16 * UM, lithium_thickness=6 * UM,
                     electrolyte_thickness=8 * UM,
                     sizes=MeshSizes(bulk=4 * UM, interface=2 * UM, edge=1 * UM),
                     voids=(Void((8 * UM, 8 * UM), 3 * UM, 1.5 * UM, "cap"),))


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LISSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("LISSE_CACHE_MAX_MB", raising=False)
    return tmp_path / "cache"


def measures(data) -> dict[str, float]:
    """Global count of cells, and the measure of every tagged cell region, exterior facet
    region (ds) and interior facet region (dS) [m^d]."""
    import ufl
    from dolfinx import fem

    mesh, comm = data.mesh, data.mesh.comm
    tdim = mesh.topology.dim
    one = fem.Constant(mesh, 1.0)
    out = {"cells": mesh.topology.index_map(tdim).size_global}
    for name, tags in (("dx", data.cell_tags), ("ds", data.facet_tags), ("dS", data.facet_tags)):
        measure = ufl.Measure(name, mesh, subdomain_data=tags)
        for value in sorted(set(np.concatenate(comm.allgather(tags.values)).tolist())):
            integrand = one("+") if name == "dS" else one
            form = fem.form(integrand * measure(value))
            out[f"{name}{value}"] = comm.allreduce(fem.assemble_scalar(form))
    return out


def gmsh_measures(geom) -> dict[str, float]:
    """``measures`` of the mesh distributed by ``dolfinx.io.gmsh.model_to_mesh`` (the path
    before the companion file)."""
    import gmsh
    from dolfinx.io.gmsh import model_to_mesh
    from mpi4py import MPI

    owns = mesh_cache._read_checked(geom)
    try:
        return measures(model_to_mesh(gmsh.model, MPI.COMM_SELF, 0, gdim=geom.gdim))
    finally:
        gmsh.model.remove()
        if owns:
            gmsh.finalize()


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert b[key] == pytest.approx(a[key], rel=1e-12, abs=0), key


@pytest.mark.parametrize("geom", [PLANE, SOLID], ids=["plane", "3d"])
def test_companion_gives_gmsh_mesh_and_tags(geom, cache_dir):
    from mpi4py import MPI

    first = mesh_cache.load_mesh(geom, MPI.COMM_WORLD)  # writes the companion
    companion = mesh_cache.arrays_path(mesh_cache.mesh_file(geom))
    assert companion.exists()
    stamp = companion.stat().st_mtime_ns
    second = mesh_cache.load_mesh(geom, MPI.COMM_WORLD)  # reads it
    assert companion.stat().st_mtime_ns == stamp
    expected = gmsh_measures(geom)
    assert len(expected) > 6  # cells, two cell regions, several facet regions
    assert_same(expected, measures(first))
    assert_same(expected, measures(second))
    assert {"electrolyte", "lithium", "contact"} <= second.physical_groups.keys()
    assert second.physical_groups == first.physical_groups
    assert np.array_equal(first.mesh.geometry.x, second.mesh.geometry.x)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "header"])
def test_damaged_companion_is_rebuilt(cache_dir, capfd, damage):
    from mpi4py import MPI

    mesh_cache.load_mesh(PLANE, MPI.COMM_WORLD)
    companion = mesh_cache.arrays_path(mesh_cache.mesh_file(PLANE))
    good = companion.read_bytes()
    companion.write_bytes({"garbage": b"garbage\x00\x01",
                           "truncated": good[: len(good) - 100],
                           "header": good.replace(b'"cells"', b'"cellz"', 1)}[damage])
    capfd.readouterr()
    data = mesh_cache.load_mesh(PLANE, MPI.COMM_WORLD)
    err = capfd.readouterr().err.strip().splitlines()
    assert err == [f"lisse: warning: mesh cache entry {companion} was corrupt; rebuilt"]
    assert companion.read_bytes() == good
    assert_same(gmsh_measures(PLANE), measures(data))


def test_late_rebuild_keeps_the_companion(cache_dir):
    """Two sweep groups building the same entry at once: the second one's rename of its
    ``.msh`` lands after the first has written the companion (and may be reading it). The
    companion must survive (it was deleted once, failing a 2-group sweep in CI)."""
    from mpi4py import MPI

    mesh_cache.load_mesh(PLANE, MPI.COMM_WORLD)
    entry = mesh_cache.mesh_file(PLANE)
    companion = mesh_cache.arrays_path(entry)
    good = companion.read_bytes()
    entry.unlink()  # the late builder saw no entry ...
    assert mesh_cache.mesh_file(PLANE) == entry  # ... and renames its own build over it
    assert companion.read_bytes() == good
    assert_same(gmsh_measures(PLANE), measures(mesh_cache.load_mesh(PLANE, MPI.COMM_WORLD)))


def test_eviction_removes_the_companion(cache_dir, monkeypatch):
    from mpi4py import MPI

    mesh_cache.load_mesh(PLANE, MPI.COMM_WORLD)
    old = mesh_cache.mesh_file(PLANE)
    assert mesh_cache.arrays_path(old).exists()
    monkeypatch.setenv("LISSE_CACHE_MAX_MB", "0")
    new = mesh_cache.mesh_file(dataclasses.replace(PLANE, width=32 * UM))
    assert sorted(cache_dir.iterdir()) == [new]


MPI_SCRIPT = """
import sys
from mpi4py import MPI
from tests.unit.test_mesh_arrays import PLANE, SOLID, measures
import lisse.meshes.cache as mesh_cache
result = {name: measures(mesh_cache.load_mesh(geom, MPI.COMM_WORLD))
          for name, geom in (("plane", PLANE), ("3d", SOLID))}
if MPI.COMM_WORLD.rank == 0:
    print(repr(result))
"""


@pytest.mark.slow
def test_companion_under_mpi_gives_serial_measures(cache_dir):
    """Two ranks each read their block of the companion (written by the serial loads first,
    then once more from a fresh cache under mpirun): the same cells and tagged measures."""
    from mpi4py import MPI

    serial = {name: measures(mesh_cache.load_mesh(geom, MPI.COMM_WORLD))
              for name, geom in (("plane", PLANE), ("3d", SOLID))}
    for fresh in (False, True):
        if fresh:
            for path in cache_dir.iterdir():
                path.unlink()
        run = run_mpi([sys.executable, "-c", MPI_SCRIPT], n=2, timeout=300)
        assert run.returncode == 0, run.stderr[-2000:]
        parallel = ast.literal_eval(run.stdout.strip().splitlines()[-1])
        for name in serial:
            assert_same(serial[name], parallel[name])


def test_mesh_the_companion_cannot_hold_is_distributed_by_gmsh(cache_dir, monkeypatch):
    """A tagged facet that is no cell's facet (here: pretended) leaves the mesh to
    model_to_mesh: no companion, the same mesh and tags."""
    from mpi4py import MPI

    from lisse.meshes import mesh_arrays

    def no_cell(cells, facets):
        raise ValueError("a tagged facet is not a facet of any cell")

    monkeypatch.setattr(mesh_arrays, "facets_next_to_cells", no_cell)
    data = mesh_cache.load_mesh(PLANE, MPI.COMM_WORLD)
    assert not mesh_cache.arrays_path(mesh_cache.mesh_file(PLANE)).exists()
    assert_same(gmsh_measures(PLANE), measures(data))


def test_companion_a_rank_cannot_see_leaves_the_load_to_gmsh(cache_dir, monkeypatch):
    """A cache folder that is node-local (here: the companion pretended invisible to the
    ranks): rank 0 distributes the Gmsh model instead, with the same mesh and tags."""
    import pathlib

    from mpi4py import MPI

    mesh_cache.load_mesh(PLANE, MPI.COMM_WORLD)  # writes the companion
    exists = pathlib.Path.exists
    monkeypatch.setattr(pathlib.Path, "exists",
                        lambda path: path.suffix != ".lmesh" and exists(path))
    assert_same(gmsh_measures(PLANE), measures(mesh_cache.load_mesh(PLANE, MPI.COMM_WORLD)))
