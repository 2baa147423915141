"""The inexact Newton of the iterative mechanics solver (CG + GAMG with the AMG hierarchy
reused within a step and Eisenstat–Walker linear tolerances, ``Mechanics._forcing``) gives
the state of exact Newton steps with a direct solver: a 3D Li | LLZO cell with a void
under the rigid collector, the elastic loading and two backward-Euler creep steps."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from lisse.meshes.cache import load_mesh
from lisse.meshes.geometry import CellGeometry, MeshSizes, Void
from lisse.solver.config.params import Numerics
from lisse.solver.physics.creep import LinearElastic, PowerLawCreep
from lisse.solver.physics.mechanics import Mechanics
from lisse.units import UM_PER_M

UM = 1 / UM_PER_M


def _run(numerics: Numerics):
    h = 10 * UM
    geom = CellGeometry("3d", 40 * UM, 20 * UM, 20 * UM, MeshSizes(h, h / 2, h / 4, 0.3),
                        depth=40 * UM, voids=(Void((0.0, 0.0), 8 * UM, 2 * UM),))
    data = load_mesh(geom, MPI.COMM_WORLD)
    li = PowerLawCreep(7.8e9, 0.38, 4.25e4, 37e3, 0.95e6, 6.67, 298.15)
    mech = Mechanics(data.mesh, data.cell_tags, data.facet_tags, "3d", li,
                     LinearElastic(150e9, 0.26), "collector", 1e6, numerics)
    mech.step(0.0)
    creep_newton = [mech.step(dt) for dt in (1.0, 10.0)]
    norm = np.sqrt(mech.comm.allreduce(np.sum(mech.u.x.array[:mech.V.dofmap.index_map.size_local
                                                              * 3] ** 2)))
    return mech, norm, creep_newton


@pytest.mark.slow  # two 3D runs of two creep steps: ~10 s alone, over 60 s on a busy machine
def test_iterative_inexact_newton_matches_direct():
    direct, norm_d, _ = _run(Numerics(linear_solver="direct", newton_rtol=1e-10))
    iterative, norm_i, newton = _run(Numerics(linear_solver="iterative", newton_rtol=1e-10,
                                              krylov_rtol=1e-12))
    assert iterative.iterative and not direct.iterative
    diff = iterative.u.x.array - direct.u.x.array
    owned = iterative.V.dofmap.index_map.size_local * 3
    rel = np.sqrt(iterative.comm.allreduce(np.sum(diff[:owned] ** 2))) / norm_d
    assert rel < 1e-7, rel
    assert abs(iterative.U - direct.U) < 1e-7 * abs(direct.U)
    assert abs(norm_i - norm_d) < 1e-7 * norm_d
    assert max(newton) <= 8
