"""Verification of the sticking contact of the Li body (solver/physics/li_sticking.py).

Squeeze film. A thin Newtonian Li layer (n = 1: ε̇_eq = ε̇0 σ_eq/σ0, s = 2μ ε̇ with
μ = σ0/(3 ε̇0), since σ_eq = 3μ ε̇_eq) of height H and half-width W ≫ H in plane strain
(symmetry at x = 0, free side at x = W) between the rigid obstacle y = 0, where it sticks,
and a rigid frictionless plate descending at V. Lubrication theory: the flow u(x, y) is
parabolic with u(0) = 0 (no slip) and ∂u/∂y(H) = 0 (shear-free plate),
u = (P'/2μ)(y² − 2Hy), so the flux is q = ∫ u dy = −H³ P'/(3μ); mass conservation gives
q = V x, hence P = 3μV(W² − x²)/(2H³) (P(W) = 0) and the mean pressure on the obstacle

    p = (1/W) ∫ P dx = μ V W²/H³,   i.e.   V = p H³/(μ W²).

Frictionless (both faces free to slide), the same layer flows homogeneously:
p = 4μV/H, (W/H)²/4 times less (25× at W/H = 10), so the comparison can fail.

The model's collector is a follower *pressure*, not a rigid plate: with a uniform pressure
on a deformable top the interior of a sticking layer is at rest (hydrostatic, P = p) and only
the end region of length ~H flows, so its mean descent is ∝ p H²/(μ W), not the lubrication
rate (``test_traction_top_is_not_the_squeeze_film``). The rigid plate is obtained in its own
frame (Stokes flow is Galilean invariant): the plate is the top face held at v_y = 0 and free
in x (``symmetry``), and the obstacle pushes the layer up at V: the layer starts at
y = −d, all bottom dofs are active and land on y = 0 after Δt, v_y = d/Δt = V. The
obstacle's force is the contact force; d = 1e-6 H keeps the midpoint geometry at H.

Error of the lubrication formula: an end region of length ~H where the free side meets
the flow, O(H/W), and the cross-film pressure variation, O((H/W)²). Fitted on W/H = 10, 20,
40 (16 cells through H): p_num/p_lub = 1 − 0.30 H/W + 4.6 (H/W)² (the effective free end
is 0.1 H inside the side); the tests assert the quadratic extrapolation in H/W to W/H → ∞
(its residual is the third-order term, c₃ × 1.25e-4 for these nodes) equals 1 within 1e-3.

``main()`` prints numbers for the ``mpirun -n 2`` comparison.
"""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from lisse.meshes.geometry import FACET_TAGS
from tests.helpers import mpi_numbers, print_numbers

BOTTOM, TOP, LEFT, SIDE = (FACET_TAGS[k] for k in ("contact", "collector", "axis",
                                                   "side_lithium"))
H, PER_H, WIDTHS = 1.0, 4, (10.0, 20.0, 40.0)  # W/H
MU = 1.0 / 3.0  # σ0 = ε̇0 = 1
PUSH, DT = 1e-6, 1e-6  # obstacle push d and step: V = d/Δt = 1


def layer(width: float, sticking: bool, plate: bool = True, per_h: int = PER_H,
          geometry: str = "plane"):
    """The layer 0 < x < W on the obstacle (plate frame: shifted down by d, top held in y);
    axisymmetric: the disc 0 < r < W (x = 0 the axis)."""
    from dolfinx import mesh as dmesh

    from lisse.solver.physics.li_sticking import Sticking
    from lisse.solver.physics.lithium_body import LithiumBody

    low = -PUSH if plate else 0.0
    msh = dmesh.create_rectangle(MPI.COMM_WORLD, [[0.0, low], [width, low + H]],
                                 [int(round(width / H * per_h)), per_h])
    msh.topology.create_connectivity(1, 2)
    groups = {BOTTOM: low, TOP: low + H}
    idx, val = [], []
    for tag, where in ((BOTTOM, lambda x: np.isclose(x[1], groups[BOTTOM])),
                       (TOP, lambda x: np.isclose(x[1], groups[TOP])),
                       (LEFT, lambda x: np.isclose(x[0], 0.0)),
                       (SIDE, lambda x: np.isclose(x[0], width))):
        found = dmesh.locate_entities_boundary(msh, 1, where)
        idx.append(found)
        val.append(np.full(len(found), tag, dtype=np.int32))
    idx, val = np.concatenate(idx), np.concatenate(val)
    order = np.argsort(idx)
    tags = dmesh.meshtags(msh, 1, idx[order], val[order])
    symmetry = {LEFT: 0, TOP: 1} if plate else {LEFT: 0}
    # plate frame: the top pressure does no work (v_y = 0 there); it only sets the scales
    body = LithiumBody(msh, tags, geometry, 1.0, 1.0, 1.0, {TOP: 1.0}, symmetry=symmetry,
                       obstacle=(BOTTOM,))
    return body, (Sticking(body) if sticking else None)


def tangential_speed(body, sticking) -> float:
    """Largest |v_x| (m/s) of the active obstacle dofs, over all ranks."""
    _, _, mixed, _ = sticking.components[0]
    v = np.abs(body.w.x.array[mixed[body.active]]) * body.rate_scale
    return body.comm.allreduce(float(np.max(v, initial=0.0)), op=MPI.MAX)


def squeeze(width: float, sticking: bool = True, per_h: int = PER_H,
            geometry: str = "plane") -> dict:
    """Mean obstacle pressure of the first step over the lubrication value (μVW²/H³;
    axisymmetric 3μVW²/(8H³)) and over the homogeneous one (4μV/H; axisymmetric 3μV/H), the
    largest tangential speed of an active dof, the active count."""
    body, stick = layer(width, sticking, per_h=per_h, geometry=geometry)
    report = body.step(DT)
    speed, plane = PUSH / DT, geometry == "plane"
    mean = report.contact_force / (width if plane else width**2 / 2)  # ∫ r dr: 2π dropped
    return {"lubrication": mean / ((1 if plane else 3 / 8) * MU * speed * width**2 / H**3),
            "homogeneous": mean / ((4 if plane else 3) * MU * speed / H),
            "active": report.active,
            "slip": tangential_speed(body, stick) / speed if stick else None}


@pytest.fixture(scope="module")
def squeezes() -> dict:
    axisymmetric = {"geometry": "axisymmetric"}
    return {"sticking": {w: squeeze(w) for w in WIDTHS}, "frictionless": squeeze(10.0, False),
            "coarse": {w: squeeze(w, per_h=PER_H // 2) for w in WIDTHS},
            "fine": squeeze(10.0, per_h=2 * PER_H),
            "axisymmetric": {w: squeeze(w, **axisymmetric) for w in WIDTHS},
            "axisymmetric frictionless": squeeze(10.0, False, **axisymmetric)}


def extrapolated(ratios: dict) -> float:
    """Quadratic (Lagrange) extrapolation of the ratios at h = H/W to h = 0."""
    h = np.array([H / w for w in WIDTHS])
    r = np.array([ratios[w]["lubrication"] for w in WIDTHS])
    weights = [np.prod([-h[j] / (h[i] - h[j]) for j in range(3) if j != i]) for i in range(3)]
    return float(np.dot(weights, r))


def test_squeeze_film_descent_rate(squeezes, validation):
    """Sticking: the descent rate at a given mean pressure is the lubrication one,
    V = p H³/(μW²), to its O(H/W) end error; extrapolated to W/H → ∞, to 1e-3."""
    stick = squeezes["sticking"]
    for width in WIDTHS:
        assert stick[width]["active"] == int(round(width / H * PER_H)) * 2 + 1  # P2 dofs
    # the end correction: |r − 1| ≤ 0.5 H/W + 5 (H/W)² (the fitted 0.30, 4.6 rounded up)
    for width in WIDTHS:
        h = H / width
        assert abs(stick[width]["lubrication"] - 1) <= 0.5 * h + 5 * h**2, width
    limit = extrapolated(stick)
    assert abs(limit - 1) < 1e-3
    # mesh: 2, 4, 8 cells through H change r(10) by 8.0e-3, 3.7e-3 (first order: the stress
    # singularity where the free side meets the stuck bottom); that error is an end effect
    # too, ∝ H/W, and the extrapolation removes it on the coarse mesh as well
    coarse, fine = squeezes["coarse"][10.0]["lubrication"], squeezes["fine"]["lubrication"]
    assert abs(fine - stick[10.0]["lubrication"]) < 0.6 * abs(stick[10.0]["lubrication"] - coarse)
    assert abs(extrapolated(squeezes["coarse"]) - 1) < 1e-3
    # the descent rate is the inverse ratio: V_num/V_lub at a given mean pressure
    rates = {w: 1 / stick[w]["lubrication"] for w in (10.0, 20.0)}
    validation.record(
        "Li sticking contact: squeeze film of a Newtonian Li layer",
        "V = p H³/(μ W²) (lubrication), extrapolated W/H → ∞", "lubrication theory",
        "1e-3", f"V/V_lub = {rates[10.0]:.4f} (W/H 10), {rates[20.0]:.4f} (20); "
        f"limit {1 / limit:.6f}", f"{PER_H} P2 cells through H", abs(limit - 1) < 1e-3)


def test_axisymmetric_squeeze_film(squeezes, validation):
    """Axisymmetric disc of radius W: q(r) = V r/2 gives P = 3μV(W² − r²)/(4H³) and the mean
    pressure p = 3μVW²/(8H³); the end error is again O(H/W) (6 % at W/H = 10), removed by the
    same extrapolation (to 1e-3)."""
    disc = squeezes["axisymmetric"]
    for width in WIDTHS:
        h = H / width
        assert abs(disc[width]["lubrication"] - 1) <= 0.8 * h + 5 * h**2, width
        assert disc[width]["slip"] <= 1e-12
    limit = extrapolated(disc)
    assert abs(limit - 1) < 1e-3
    validation.record(
        "Li sticking contact: squeeze film of a Newtonian Li disc (axisymmetric)",
        "V = 8 p H³/(3 μ W²) (lubrication), extrapolated W/H → ∞", "lubrication theory",
        "1e-3", f"V/V_lub = {1 / disc[10.0]['lubrication']:.4f} (W/H 10), "
        f"{1 / disc[20.0]['lubrication']:.4f} (20); limit {1 / limit:.6f}",
        f"{PER_H} P2 cells through H", abs(limit - 1) < 1e-3)


def test_frictionless_squeeze_is_homogeneous(squeezes):
    """Frictionless: homogeneous flow p = 4μV/H (axisymmetric 3μV/H), 25× (12.5×) below the
    sticking film at W/H = 10 (so the squeeze-film tests fail without sticking)."""
    # on the step's midpoint configuration: height H − d/2, area (plane) or volume kept
    midpoint = 1 / (1 - PUSH / (2 * H)) ** 2
    for key, ratio in (("frictionless", 4.0), ("axisymmetric frictionless", 8.0)):
        free = squeezes[key]
        assert free["homogeneous"] == pytest.approx(midpoint, rel=1e-9)
        assert free["lubrication"] == pytest.approx(ratio * H**2 / 10.0**2 * midpoint,
                                                    rel=1e-9)


def test_active_dofs_do_not_slip(squeezes):
    """The tangential velocity of every active dof is zero to round-off."""
    for width in WIDTHS:
        assert squeezes["sticking"][width]["slip"] <= 1e-12


def test_traction_top_is_not_the_squeeze_film():
    """The collector as a follower pressure p (the model's load): the sticking layer's
    interior stays at rest and only the ends flow, so the mean descent V scales as
    p H²/(μ W) (V·W changes by < 2 % from W/H = 20 to 40) and is 3.4× the lubrication
    rate at W/H = 10, 6.9× at 20; frictionless it is the homogeneous p H/(4μ)."""
    descent = {}
    for width, sticking in ((10.0, True), (20.0, True), (40.0, True), (10.0, False)):
        body, _ = layer(width, sticking, plate=False)
        top = np.isclose(body.msh.geometry.x[:, 1], H)
        owned = np.arange(len(top)) < body.msh.geometry.index_map().size_local
        before = body.msh.geometry.x[top & owned, 1].copy()
        body.step(DT)
        moved = np.sum(before - body.msh.geometry.x[top & owned, 1])
        count = body.comm.allreduce(int(np.sum(top & owned)), op=MPI.SUM)
        descent[width, sticking] = body.comm.allreduce(float(moved), op=MPI.SUM) / count / DT
    assert descent[10.0, False] == pytest.approx(H / (4 * MU), rel=1e-6)
    assert descent[40.0, True] * 40 == pytest.approx(descent[20.0, True] * 20, rel=0.02)
    lubrication = {w: H**3 / (MU * w**2) for w in (10.0, 20.0)}
    assert descent[10.0, True] / lubrication[10.0] == pytest.approx(3.4, rel=0.02)
    assert descent[20.0, True] / lubrication[20.0] == pytest.approx(6.9, rel=0.02)


def test_release_by_normal_reaction():
    """Sticking does not glue: rigid Li (σ0 = 1e10 p) stripped on x < W/2 only lifts off
    there by exactly δ (those dofs released, R = 0), rests on the other half (R ≥ 0, no
    slip), force balance p·W."""
    from lisse.solver.physics.li_sticking import Sticking
    from tests.verification.test_lithium_body import OMEGA, _bottom, _current, block_body

    p, dt, delta = 1.0, 1.0, 1e-3
    body = block_body("plane", 1.0, p, cells=(16, 4), sigma0=1e10, molar_volume=OMEGA)
    stick = Sticking(body)
    j0 = _current(delta, dt)
    for _ in range(2):
        report = body.step(dt, lambda x: np.where(x[0] < 0.5 - 1e-9, j0, 0.0))
        assert report.contact_force == pytest.approx(p, rel=1e-6)
        force = body.contact_reaction
        scale = body.comm.allreduce(float(np.max(np.abs(force), initial=0.0)), op=MPI.MAX)
        assert np.all(np.abs(force[~body.active]) <= 1e-6 * scale)
        assert np.all(force[body.active] >= -1e-6 * scale)
        assert tangential_speed(body, stick) <= 1e-12 * delta / dt
    x, y = _bottom(body)
    stripped = x < 0.5 - 1e-9
    assert np.max(np.abs(y[stripped] - delta)) < 1e-5 * delta
    assert np.max(np.abs(y[~stripped])) <= 1e-5 * delta


def _numbers() -> dict:
    return {f"sticking_{w:g}": squeeze(w)["lubrication"] for w in (10.0, 20.0)} | {
        "frictionless": squeeze(10.0, False)["lubrication"],
        "axisymmetric_10": squeeze(10.0, geometry="axisymmetric")["lubrication"]}


@pytest.mark.slow
def test_sticking_mpi_matches_serial(squeezes):
    parallel = mpi_numbers("tests.verification.test_li_sticking")
    serial = {f"sticking_{w:g}": squeezes["sticking"][w]["lubrication"] for w in (10.0, 20.0)}
    serial["frictionless"] = squeezes["frictionless"]["lubrication"]
    serial["axisymmetric_10"] = squeezes["axisymmetric"][10.0]["lubrication"]
    for key, value in serial.items():
        assert parallel[key] == pytest.approx(value, rel=1e-6), key


def main() -> None:
    print_numbers(_numbers())


if __name__ == "__main__":
    main()
