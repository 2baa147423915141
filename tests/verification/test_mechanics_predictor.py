"""The creep-step predictor of the cell mechanics (``Mechanics.step``: Newton starts from
u_n + Δt u̇, u̇ the last creep step's rate) changes where Newton starts, not where it ends:
a 3D Li | LLZO cell with a void under the rigid collector (direct solver, Newton tolerance
1e-10), the elastic loading and creep steps of 1, 2 and 4 s, with and without the
predictor, reach the same displacement and collector displacement to 1e-8, and the
predicted steps need fewer Newton iterations."""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

from lisse.meshes.cache import load_mesh
from lisse.meshes.geometry import CellGeometry, MeshSizes, Void
from lisse.solver.config.params import Numerics
from lisse.solver.physics.creep import LinearElastic, PowerLawCreep
from lisse.solver.physics.mechanics import Mechanics
from lisse.units import UM_PER_M

UM = 1 / UM_PER_M


def _run(predict: bool):
    h = 10 * UM
    geom = CellGeometry("3d", 40 * UM, 20 * UM, 20 * UM, MeshSizes(h, h / 2, h / 4, 0.3),
                        depth=40 * UM, voids=(Void((0.0, 0.0), 8 * UM, 2 * UM),))
    data = load_mesh(geom, MPI.COMM_WORLD)
    li = PowerLawCreep(7.8e9, 0.38, 4.25e4, 37e3, 0.95e6, 6.67, 298.15)
    mech = Mechanics(data.mesh, data.cell_tags, data.facet_tags, "3d", li,
                     LinearElastic(150e9, 0.26), "collector", 1e6,
                     Numerics(linear_solver="direct", newton_rtol=1e-10))
    mech.step(0.0)
    newton = []
    for dt in (1.0, 2.0, 4.0):
        if not predict:
            mech.rate = None
        newton.append(mech.step(dt))
    return mech, newton


def test_predictor_same_state_fewer_newton_iterations():
    plain, newton_plain = _run(predict=False)
    predicted, newton_predicted = _run(predict=True)
    owned = plain.V.dofmap.index_map.size_local * 3
    norm = np.sqrt(plain.comm.allreduce(np.sum(plain.u.x.array[:owned] ** 2)))
    diff = predicted.u.x.array[:owned] - plain.u.x.array[:owned]
    assert np.sqrt(plain.comm.allreduce(np.sum(diff ** 2))) < 1e-8 * norm
    assert abs(predicted.U - plain.U) < 1e-8 * abs(plain.U)
    assert newton_predicted[0] == newton_plain[0]  # the first creep step has no rate yet
    assert sum(newton_predicted[1:]) < sum(newton_plain[1:]), (newton_predicted, newton_plain)
