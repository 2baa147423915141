"""The elastic electrolyte of the coupled model in 3D cells (solver.physics.electrolyte_elastic
with dimension 3d, solver.physics.electrolyte_elastic_3d; ``evolution.electrolyte_mechanics:
elastic``; docs/moving_interface.md, "The coupled model in 3D cells"), loaded with the 3D
transfer of the Li's contact reactions (contact_transfer_3d), under 2 MPa on the 12 × 12 µm
cell of the 3D run tests (``small_cell3d``: 5 µm of Li on H = 6 µm of the library
electrolyte).

(1) Flat cell (no void), one Li step at rest: the electrolyte's applied force ∫_Γ p dA
equals the Li's contact force Σ_{i∈A} R_i to round-off (1e-12; conservative transfer, no
rescaling), which is p·A (1e-11, the Li's equilibrium), and the bottom reaction balances it
(1e-9); the transfer of the uniform contact pressure is uniform, so the field is uniaxial
strain with the lateral faces on rollers: σ_zz = −p, σ_xx = σ_yy = −νp/(1−ν), no shear,
w = pH(1+ν)(1−2ν)/(E(1−ν)) (the displacement is linear in z: exact in P2; 1e-9 of p, of w;
w also with CG + GAMG).
(2) Cell with two quarter voids (radius 5 µm at the corners (0, 0) and (12, 12) µm), after the
one 0.04 s step at 1 mA/cm² of the pore law's 3D test (test_cavitation_coupled_3d.py runs it
once, with the elastic electrolyte on, and calls ``check_voids``: the one-way option leaves
its λ_k unchanged): force balance to round-off as in (1); p_k = the pore law's λ_k (1e-12 of
the largest); the unloaded surface under a void is in tension, σ_1 > 0 > the flat value
−νp/(1−ν), finite, its largest cell value in the top 1 µm under a void (at its centre, not
at its rim, where the load peaks); ``mpirun -n 2`` gives serial's p_k (1e-9 of the largest),
σ_1 (1e-9 rel) and deflections (1e-9 of the largest) (``check_parallel``, slow). The
timeseries columns (``ElectrolyteCoupling3D.record``: the deflection matched to the engine's
nodes in contact) and the DG0 σ_1 field are those of the same solution.
"""

from __future__ import annotations

import numpy as np
import pytest
from dolfinx import fem
from dolfinx import mesh as dm
from mpi4py import MPI

from lisse.meshes.geometry import CELL_TAGS
from lisse.solver.config.params import Numerics
from lisse.solver.physics.electrolyte_elastic import ElasticElectrolyte
from lisse.units import PA_PER_MPA
from tests.verification.test_coupled_3d import PRESSURE_MPA, small_cell3d

P, H, AREA, RADIUS = PRESSURE_MPA * PA_PER_MPA, 6e-6, 12e-6 * 12e-6, 5e-6


def flat_at_rest():
    """(engine, Li contact force [N], response) after one Li step at rest (Δt = 1 s, no
    current) of ``small_cell3d`` without its voids, with the elastic electrolyte."""
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.studies.evolution import _engine
    from lisse.solver.studies.model import build_model

    c = small_cell3d()
    c["evolution"]["electrolyte_mechanics"] = "elastic"
    c["geometry"]["voids"] = []
    params = resolve(validate_case(c))
    evo = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution)
    evo.advance(0.0, 1.0)
    body = evo.body
    owned = body._obstacle[1] < body.vy_space.dofmap.index_map.size_local
    force = evo.comm.allreduce(float(np.sum(body.contact_reaction[owned & body.active])))
    return evo, force, evo.electrolyte.update(evo)


def centre_stress(el) -> tuple[np.ndarray, np.ndarray]:
    """(cell centres (m, 3) [m], Mandel stress (m, 6) [Pa] there) of the owned cells."""
    msh = el.msh
    owned = msh.topology.index_map(3).size_local
    centres, stresses = [], []
    for tag, material in el.regions.items():
        cells = el.region_cells[tag]
        cells = cells[cells < owned]
        expr = fem.Expression(el.elastic_stress(el.u, material), np.full((1, 3), 0.25))
        stresses.append(expr.eval(msh, cells).reshape(-1, 6))
        centres.append(dm.compute_midpoints(msh, 3, cells))
    return np.concatenate(centres), np.concatenate(stresses)


def test_flat_3d_cell_is_uniaxial_strain(validation):
    evo, force, response = flat_at_rest()
    el = evo.electrolyte.electrolyte
    material = el.regions[CELL_TAGS["electrolyte"]]
    e, nu = material.youngs_modulus, material.poisson_ratio
    conserved = response.applied_force / force - 1
    stack = force / (P * AREA) - 1
    balance = response.bottom_reaction / response.applied_force - 1
    _, stress = centre_stress(el)
    lateral = -nu / (1 - nu) * P
    expected = np.array([lateral, lateral, -P, 0.0, 0.0, 0.0])
    error = evo.comm.allreduce(float(np.max(np.abs(stress - expected), initial=0.0)) / P,
                               op=MPI.MAX)
    w = P * H * (1 + nu) * (1 - 2 * nu) / (e * (1 - nu))
    w_error = evo.comm.allreduce(float(np.max(np.abs(response.deflection / w - 1),
                                              initial=0.0)), op=MPI.MAX)
    ok = (abs(conserved) < 1e-12 and abs(stack) < 1e-11 and abs(balance) < 1e-9
          and error < 1e-9 and w_error < 1e-9)
    validation.record(
        "Elastic electrolyte, flat 3D cell (coupled, one-way)",
        "∫ p dA = Σ R_i = p·A; bottom reaction = ∫ p dA; σ_zz = −p, σ_xx = σ_yy = −νp/(1−ν); "
        f"w = pH(1+ν)(1−2ν)/(E(1−ν)) = {w * 1e9:.4f} nm",
        "conservative 3D transfer; uniaxial strain (exact in P2)",
        "1e-12; 1e-11; 1e-9; 1e-9 of p, of w",
        f"{conserved:.1e}; {stack:.1e}; {balance:.1e}; σ {error:.1e}, w {w_error:.1e}",
        f"12 × 12 µm, 6 µm electrolyte, P2, {el.V.dofmap.index_map.size_global * 3} dofs, 2 MPa",
        ok)
    assert abs(conserved) < 1e-12, conserved
    assert abs(stack) < 1e-11, stack
    assert abs(balance) < 1e-9, balance
    assert error < 1e-9, error
    assert w_error < 1e-9, w_error
    assert response.max_principal == pytest.approx(lateral, rel=1e-9)
    iterative = ElasticElectrolyte(el.domain, el.regions, "3d", Numerics(linear_solver="iterative"))
    assert iterative.ksp.getPC().getType() == "gamg"  # CG + GAMG, 3D rigid-body modes
    solved = iterative.solve_nodal(el.nodal.x.array[el.nodes])
    assert np.allclose(solved.deflection, w, rtol=1e-9, atol=0)  # measured 2.3e-13


def elastic_numbers(evo) -> dict:
    """The elastic electrolyte of ``evo`` (a 3D coupled engine with
    ``electrolyte_mechanics: elastic`` after a Li step) loaded now: force ratios, σ_1 and
    where its largest cell value is, the record columns, and the p_k and deflections at all
    interface vertices in (x, y) order (coordinates rounded to 1e-12 m, as the pore law's
    λ_k of ``test_cavitation_coupled_3d.voids_step``); JSON-serializable."""
    from lisse.solver.physics.creep import mandel_to_tensor

    body, coupling, comm = evo.body, evo.electrolyte, evo.comm
    owned = body._obstacle[1] < body.vy_space.dofmap.index_map.size_local
    force = comm.allreduce(float(np.sum(body.contact_reaction[owned & body.active])))
    response = coupling.update(evo)
    el = coupling.electrolyte
    centres, stress = centre_stress(el)
    sigma1 = np.linalg.eigvalsh(mandel_to_tensor(stress))[:, -1]
    local = (float(sigma1.max()), centres[np.argmax(sigma1)].tolist()) if sigma1.size else (
        -np.inf, [])
    top = max(comm.allgather(local), key=lambda v: v[0])
    xy = np.concatenate(comm.allgather(el.x))
    key = np.round(xy / 1e-12)
    order = np.lexsort((key[:, 1], key[:, 0]))
    p = np.concatenate(comm.allgather(el.nodal.x.array[el.nodes]))[order]
    w = np.concatenate(comm.allgather(response.deflection))[order]
    nu = el.regions[CELL_TAGS["electrolyte"]].poisson_ratio
    record = coupling.record(evo)  # w at the engine's nodes in contact (matched by position)
    field = coupling.fields(evo)["electrolyte_max_principal_stress_Pa"].x.array
    cells = el.msh.topology.index_map(3).size_local
    return {"record": record, "field_max": comm.allreduce(float(field[:cells].max()), op=MPI.MAX),
            "conserved": response.applied_force / force - 1,
            "balance": response.bottom_reaction / response.applied_force - 1,
            "max_principal": response.max_principal, "cell_max": top[0], "where": top[1],
            "flat": -nu / (1 - nu) * P, "p": p.tolist(), "w": w.tolist(),
            "xy": xy[order].tolist(), "dofs": el.V.dofmap.index_map.size_global * 3}


def check_voids(voids: dict, lam: np.ndarray, validation) -> None:
    """(2) of the module docstring on ``elastic_numbers`` of the small cell with its two
    quarter voids after one step, ``lam`` the pore law's λ_k at the same nodes in the same
    order (test_cavitation_coupled_3d.py, which runs the step once for both)."""
    where = np.array(voids["where"])
    corner = np.array([0.0, 0.0]) if where[0] < 6e-6 else np.array([12e-6, 12e-6])
    radial = float(np.linalg.norm(where[:2] - corner))
    p = np.array(voids["p"])
    same = np.allclose(p, lam, rtol=0, atol=1e-12 * lam.max())
    ok = (abs(voids["conserved"]) < 1e-12 and abs(voids["balance"]) < 1e-9 and same
          and np.isfinite(voids["max_principal"]) and voids["max_principal"] > 0
          and radial < RADIUS and where[2] > -1e-6)
    validation.record(
        "Elastic electrolyte, 3D cell with voids (coupled, one-way)",
        "∫ p dA = Σ R_i; bottom reaction = ∫ p dA; p_k = the pore law's λ_k; σ_1 > 0 > the "
        "flat −νp/(1−ν), largest under a void", "conservative 3D transfer; equilibrium",
        "1e-12; 1e-9; 1e-12 of max",
        f"{voids['conserved']:.1e}; {voids['balance']:.1e}; p_k = λ_k: {same}; σ_1 max "
        f"{voids['max_principal'] / P:.3f} p (flat {voids['flat'] / P:.3f} p), largest cell "
        f"{radial * 1e6:.2f} µm from the void centre, {-where[2] * 1e6:.2f} µm deep; p_k max "
        f"{p.max() / P:.3f} p",
        f"12 × 12 µm, two quarter voids r = 5 µm, P2, {voids['dofs']} dofs, 2 MPa, one 0.04 s "
        "step at 1 mA/cm²", ok)
    assert abs(voids["conserved"]) < 1e-12, voids["conserved"]
    assert abs(voids["balance"]) < 1e-9, voids["balance"]
    assert same, np.max(np.abs(p - lam)) / lam.max()
    assert np.isfinite(voids["max_principal"])
    assert voids["max_principal"] > 0 > voids["flat"]
    assert radial < RADIUS and where[2] > -1e-6, (radial, where)
    assert p.min() == 0.0 and p.max() > 1.2 * P  # unloaded under the voids, peaks at the rims
    assert voids["field_max"] == pytest.approx(voids["cell_max"], rel=1e-12)  # fields()
    record, w = voids["record"], np.array(voids["w"])
    assert record["max_principal_stress_sse"] == voids["max_principal"]
    assert 0 < record["interface_deflection_range"] <= np.ptp(w)  # over the contact only


def check_parallel(parallel: dict, serial: dict) -> None:
    """``mpirun -n 2`` against serial ``elastic_numbers`` (module docstring)."""
    np.testing.assert_allclose(parallel["xy"], serial["xy"], rtol=0, atol=1e-15)
    p, w = np.array(serial["p"]), np.array(serial["w"])
    np.testing.assert_allclose(parallel["p"], p, rtol=0, atol=1e-9 * p.max())
    np.testing.assert_allclose(parallel["w"], w, rtol=0, atol=1e-9 * np.abs(w).max())
    assert parallel["max_principal"] == pytest.approx(serial["max_principal"], rel=1e-9)
