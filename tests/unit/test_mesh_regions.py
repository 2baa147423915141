"""A mesh read without the Li (``load_mesh(..., regions=conducting_tags())``, what a steady
run without mechanics loads): its electrolyte domain is the mesh itself, with every
measure of the domain cut out of the whole mesh (``electrolyte_domain``'s submesh), and
the run's ParaView output still holds the whole cell (the Li cells, nodes and tagged facets
taken from the ``.lmesh`` file); serially and under ``mpirun -n 2``."""

from __future__ import annotations

import ast
import sys

import numpy as np
import pytest

import lisse.meshes.cache as mesh_cache
from tests.helpers import run_mpi
from tests.unit.test_mesh_arrays import PLANE, SOLID, assert_same, measures

GEOMETRIES = {"plane": PLANE, "3d": SOLID}


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LISSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("LISSE_CACHE_MAX_MB", raising=False)
    return tmp_path / "cache"


def domains(geom, comm) -> dict:
    """The electrolyte domain of the whole mesh and of the mesh read without the Li."""
    from lisse.solver.fem.domain import conducting_tags, electrolyte_domain

    out = {}
    for name, regions in (("whole", None), ("part", conducting_tags())):
        data = mesh_cache.load_mesh(geom, comm, regions=regions)
        out[name] = (data, electrolyte_domain(data.mesh, data.cell_tags, data.facet_tags,
                                              False))
    return out


@pytest.mark.parametrize("name", GEOMETRIES)
def test_mesh_without_the_li_is_the_electrolyte_domain(name):
    from mpi4py import MPI

    from lisse.solver.io.dataset import CellDataset

    got = domains(GEOMETRIES[name], MPI.COMM_WORLD)
    (whole, cut), (part, domain) = got["whole"], got["part"]
    assert type(part).__name__ == "PartialMeshData" and domain.mesh is part.mesh
    assert cut.mesh is not whole.mesh  # the whole mesh's electrolyte: a submesh
    expected = measures(cut)
    assert len(expected) > 5  # cells, electrolyte volume, contact, void floor, counter, sides
    assert_same(expected, measures(domain))
    a, b = CellDataset(whole), CellDataset(part)  # the output: the whole cell either way
    for field in ("points", "cells", "region", "cell_keys"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert set(a.region.tolist()) == {1, 2}  # electrolyte and Li

    def facet_set(dataset):
        return sorted(zip(map(tuple, np.sort(dataset.facets, axis=1).tolist()),
                          dataset.facet_tags.tolist(), strict=True))

    assert facet_set(a) == facet_set(b)


MPI_SCRIPT = """
from mpi4py import MPI
from tests.unit.test_mesh_regions import GEOMETRIES, domains
from tests.unit.test_mesh_arrays import measures
result = {name: measures(domains(geom, MPI.COMM_WORLD)["part"][1])
          for name, geom in GEOMETRIES.items()}
if MPI.COMM_WORLD.rank == 0:
    print(repr(result))
"""


@pytest.mark.slow
def test_mesh_without_the_li_under_mpi_gives_serial_measures():
    from mpi4py import MPI

    serial = {name: measures(domains(geom, MPI.COMM_WORLD)["part"][1])
              for name, geom in GEOMETRIES.items()}
    run = run_mpi([sys.executable, "-c", MPI_SCRIPT], n=2, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    parallel = ast.literal_eval(run.stdout.strip().splitlines()[-1])
    for name in serial:
        assert_same(serial[name], parallel[name])
