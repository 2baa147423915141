"""``solver.fem.domain.node_coordinates``: the P1 dof coordinates of the electrolyte, as the
interface nodes of the coupled model read them, are the mesh's node coordinates bit for bit
(``tabulate_dof_coordinates`` recomputes them cell by cell, a few 1e-21 m off, and which cell
a vertex is taken from depends on the partition: the Delaunay triangulation of the void
rims' cocircular contact nodes then differed between serial and ``mpirun -n 2``,
docs/moving_interface.md "Void touchdown in 3D")."""

from __future__ import annotations

import numpy as np
import pytest

from lisse.meshes.geometry import CellGeometry, MeshSizes, Void
from lisse.units import UM_PER_M

UM = 1 / UM_PER_M
CELL = CellGeometry("3d", width=12 * UM, depth=12 * UM, lithium_thickness=5 * UM,
                    electrolyte_thickness=6 * UM, sizes=MeshSizes(6 * UM, 4 * UM, 2 * UM),
                    voids=(Void((0.0, 0.0), 5 * UM, 1.5 * UM),
                           Void((12 * UM, 12 * UM), 5 * UM, 1.5 * UM)))


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LISSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("LISSE_CACHE_MAX_MB", raising=False)


def test_node_coordinates_are_the_mesh_nodes():
    """Every dof (owned and ghost) of P1 on the small 3D cell's electrolyte gets the
    coordinates of its geometry node exactly; the tabulated ones are off by round-off at
    some; a P2 space is refused."""
    from dolfinx import fem
    from mpi4py import MPI

    from lisse.meshes.cache import load_mesh
    from lisse.solver.fem.domain import electrolyte_domain, node_coordinates

    data = load_mesh(CELL, MPI.COMM_WORLD)
    domain = electrolyte_domain(data.mesh, data.cell_tags, data.facet_tags, False)
    space = fem.functionspace(domain.mesh, ("Lagrange", 1))
    x, geo = node_coordinates(space), domain.mesh.geometry
    cells, nodes = space.dofmap.list, geo.dofmaps[0]
    assert np.array_equal(x[cells], geo.x[nodes])  # bitwise, cell by cell
    tabulated = space.tabulate_dof_coordinates()
    assert np.max(np.abs(tabulated - x)) < 1e-15 * np.max(np.abs(x))
    assert not np.array_equal(tabulated, x)  # what node_coordinates is for
    with pytest.raises(ValueError, match="P1"):
        node_coordinates(fem.functionspace(domain.mesh, ("Lagrange", 2)))
