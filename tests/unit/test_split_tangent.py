"""The tangent assembled in parts (``solver.fem.split_tangent``: the electrolyte's elastic part
once, the Li creep tangent and the contact penalty at each Newton iteration) equals the
whole form's assembly: a 3D Li | LLZO cell with a void under the rigid collector, at the
creep tangent of a 1 s step from the loaded elastic state."""

from __future__ import annotations

from dolfinx.fem import petsc as fem_petsc
from mpi4py import MPI

from lisse.meshes.cache import load_mesh
from lisse.meshes.geometry import CellGeometry, MeshSizes, Void
from lisse.solver.config.params import Numerics
from lisse.solver.physics.creep import LinearElastic, PowerLawCreep
from lisse.solver.physics.mechanics import Mechanics
from lisse.units import UM_PER_M

UM = 1 / UM_PER_M


def test_split_assembly_equals_whole_form():
    h = 10 * UM
    geom = CellGeometry("3d", 40 * UM, 20 * UM, 20 * UM, MeshSizes(h, h / 2, h / 4, 0.3),
                        depth=40 * UM, voids=(Void((0.0, 0.0), 8 * UM, 2 * UM),))
    data = load_mesh(geom, MPI.COMM_WORLD)
    li = PowerLawCreep(7.8e9, 0.38, 4.25e4, 37e3, 0.95e6, 6.67, 298.15)
    mech = Mechanics(data.mesh, data.cell_tags, data.facet_tags, "3d", li,
                     LinearElastic(150e9, 0.26), "collector", 1e6,
                     Numerics(linear_solver="direct"))
    mech.step(0.0)  # the first assembly (whole form) and the elastic state
    assert mech.tangent.fixed is not None
    tangent = mech._update_material(1.0)  # creep tangent of a 1 s step: β, r < 1 in the Li
    assert tangent.rank1.min() < 0
    mech.tangent.assemble(mech.A)  # in parts
    whole = fem_petsc.assemble_matrix(mech.J_form, bcs=mech.bcs)
    whole.assemble()
    scale = whole.norm()
    whole.axpy(-1.0, mech.A)
    assert whole.norm() <= 1e-14 * scale, whole.norm() / scale
