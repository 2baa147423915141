"""The Newton tangent of the mechanics solver is the derivative of its residual (issue 16).

Directional-derivative test on a coarse 3D Li | LLZO cell with a void under the rigid
collector (the case of scripts/bench_mechanics.py), for the backward-Euler creep step
(Δt = 1 s, library Li creep at 25 °C): with R(u) the assembled residual on the free dofs,
F(u) = Σ_collector R_z + p·A the collector's force balance and J the assembled tangent
(no boundary rows), the remainders

    r_R(ε) = ‖R(u + εv) − R(u) − ε J v‖,     r_F(ε) = |F(u + εv) − F(u) − ε eᵀ J v|

are O(ε²) when J is consistent (O(ε) otherwise): their ratio over one decade of ε is 100.
v is random on the free dofs plus a rigid collector motion (the direction e of the bordered
Newton step); the border's vector k = J e (``Mechanics.k_form``) must equal Jᵀ e, i.e.
k·v = eᵀ J v. Checked at the elastic state (the start of the creep step's Newton) and at the
converged creep state; the creep Newton with a direct solver then converges
superlinearly (each contraction of the residual smaller than the previous one's tenth
in the last iterations).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from dolfinx.fem import petsc as fem_petsc
from mpi4py import MPI
from petsc4py import PETSc

from lisse.meshes.cache import load_mesh
from lisse.meshes.geometry import CellGeometry, MeshSizes, Void
from lisse.solver.config.params import Numerics
from lisse.solver.physics.creep import LinearElastic, PowerLawCreep
from lisse.solver.physics.mechanics import Mechanics
from lisse.units import UM_PER_M

UM = 1 / UM_PER_M
DT = 1.0  # creep step [s]


def _cell(newton_rtol: float) -> Mechanics:
    h = 10 * UM
    geom = CellGeometry("3d", 40 * UM, 20 * UM, 20 * UM, MeshSizes(h, h / 2, h / 4, 0.3),
                        depth=40 * UM, voids=(Void((0.0, 0.0), 8 * UM, 2 * UM),))
    data = load_mesh(geom, MPI.COMM_WORLD)
    li = PowerLawCreep(7.8e9, 0.38, 4.25e4, 37e3, 0.95e6, 6.67, 298.15)
    return Mechanics(data.mesh, data.cell_tags, data.facet_tags, "3d", li,
                     LinearElastic(150e9, 0.26), "collector", 1e6,
                     Numerics(linear_solver="direct", newton_rtol=newton_rtol))


def _owned(mech: Mechanics) -> int:
    return mech.V.dofmap.index_map.size_local * mech.V.dofmap.index_map_bs


def _residual(mech: Mechanics, free: np.ndarray) -> tuple[np.ndarray, float]:
    """R on the owned free dofs [N] and the collector force balance F [N] at mech.u."""
    mech._update_material(DT)
    res = mech._residual()
    force = mech._collector_force(res)
    return res.array_r[: _owned(mech)][free].copy(), force


def _remainders(mech: Mechanics, seed: int) -> list[tuple[float, float]]:
    """(r_R(ε), r_F(ε)) for ε = 1e-2, 1e-3, 1e-4 (× the largest displacement); also checks
    k·v = eᵀ J v."""
    n = _owned(mech)
    coll = mech.collector_dofs[mech.collector_dofs < n]
    constrained = np.zeros(n, dtype=bool)
    for bc in mech.bcs:
        idx = bc.dof_indices()[0]
        constrained[idx[idx < n]] = True
    free = ~constrained
    u0 = mech.u.x.array.copy()
    scale = mech.comm.allreduce(float(np.abs(u0).max()), op=MPI.MAX)
    v = mech.u.x.petsc_vec.duplicate()
    v.array[:] = np.random.default_rng(seed + mech.comm.rank).standard_normal(n) * free
    v.array[coll] = 1.0  # rigid collector motion
    v.scale(scale / v.norm(PETSc.NormType.INFINITY))
    v.ghostUpdate(PETSc.InsertMode.INSERT, PETSc.ScatterMode.FORWARD)  # after the scaling
    mech._update_material(DT)
    J = fem_petsc.assemble_matrix(mech.J_form)
    J.assemble()
    Jv = J.createVecLeft()
    J.mult(v, Jv)
    k = fem_petsc.assemble_vector(mech.k_form)
    k.ghostUpdate(PETSc.InsertMode.ADD, PETSc.ScatterMode.REVERSE)
    dF = mech.comm.allreduce(float(Jv.array_r[coll].sum()))
    assert abs(k.dot(v) - dF) <= 1e-10 * abs(dF), (k.dot(v), dF)  # k = Jᵀ e
    R0, F0 = _residual(mech, free)
    out = []
    with v.localForm() as v_local:
        dv = v_local.array_r.copy()
    for eps in (1e-2, 1e-3, 1e-4):
        mech.u.x.array[:] = u0 + eps * dv
        R1, F1 = _residual(mech, free)
        rR = np.sqrt(mech.comm.allreduce(float(np.sum((R1 - R0 - eps * Jv.array_r[free]) ** 2))))
        out.append((rR, abs(F1 - F0 - eps * dF)))
    mech.u.x.array[:] = u0
    return out


def _second_order(rem: list[tuple[float, float]], where: str, validation) -> None:
    """Record and assert the remainders' ratios over a decade of ε (100: second order)."""
    ratios = [a[j] / b[j] for j in (0, 1) for a, b in pairwise(rem)]
    ok = all(70 < r < 130 for r in ratios)
    validation.record(
        f"Mechanics tangent, 3D creep step (Δt = {DT:g} s), {where}",
        "‖R(u+εv) − R(u) − εJv‖ = O(ε²): ratio 100 per decade of ε (10 if inconsistent)",
        "issue 16 (directional-derivative test)",
        "70–130",
        ", ".join(f"{r:.1f}" for r in ratios),
        "3D cell h = 10 µm, P2",
        ok,
    )
    assert ok, (where, rem)


def test_creep_tangent_is_consistent_and_newton_superlinear(validation):
    mech = _cell(newton_rtol=1e-12)
    mech.step(0.0)
    _second_order(_remainders(mech, seed=1), "elastic state", validation)
    history = []
    collector_force = mech._collector_force

    def recording(res):
        force = collector_force(res)
        masked = res.copy()
        fem_petsc.set_bc(masked, mech.bcs, alpha=0.0)
        history.append(np.hypot(masked.norm(), force))
        return force

    mech._collector_force = recording
    its = mech.step(DT)
    del mech._collector_force
    _second_order(_remainders(mech, seed=2), "converged creep state", validation)
    contraction = [b / a for a, b in pairwise(history)]
    assert its <= 6, history
    # superlinear: in the last iterations each contraction is below a tenth of the previous
    assert all(c2 < 0.1 * c1 for c1, c2 in pairwise(contraction[-3:])), history
