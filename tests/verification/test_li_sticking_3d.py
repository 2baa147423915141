"""Verification of the sticking contact of the Li body in 3D (solver/physics/li_sticking.py
with a tetrahedral Li, z up: both tangential components v_x, v_y of the active dofs held).

Squeeze film of a 3D slab. The layer of tests/verification/test_li_sticking.py (Newtonian,
n = 1, μ = σ0/(3 ε̇0), height H, half-width W along the flow axis a = x or y, symmetry at
a = 0, free side at a = W) made 3D: a slab of depth H/2 along the other horizontal axis b,
whose two faces b = 0, H/2 are symmetry planes (v_b = 0). The plane-strain flow in the
(a, z) plane with v_b = 0 is then an exact solution of the 3D problem (and of the discrete
one's limit), so the 3D slab must reproduce the plane-strain closed forms: sticking, the
lubrication law p = μVW²/H³ (mean obstacle pressure at the descent speed V, plate frame as in
2D: the top held at v_z = 0 and free in x, y, the layer starting at z = −d with every bottom
dof active, pushed up at V = d/Δt), to its O(H/W) end error and, extrapolated quadratically
in H/W to W/H → ∞, to 1e-3 (as in 2D: the residual is the third-order term; measured
0.999989 on 2 and 0.999987 on 4 cells through H, p/p_lub = 1.0297, 1.0030, 0.99853 at
W/H = 10, 20, 40 on 2 cells, 1.0223, 0.99938, 0.99674 on 4 cells; 2D: 1.0227, 0.99958,
0.99685); frictionless,
the homogeneous p = 4μV/H on the step's midpoint configuration to 1e-9. The flow axis a = y
makes v_y the component that must stick (a = x: v_x), so each tangential component is
tested once; the other one is held at 0 by the symmetry faces anyway. (The discrete 3D
flow is not exactly plane: the tetrahedra are not symmetric about the slab's mid-plane, and
the mid-depth P2 dofs move across the slab at up to 3 % of V (W/H = 10, 2 cells), ~0.2 % of
the largest in-plane speed, a discretisation error concentrated at the free end.)

Release: rigid Li (σ0 = 1e10 p) stripped on x < W/2: the mid-edge contact dofs there are
released by their normal reaction (as in 2D), the other half rests without slip.

``main()`` prints numbers for the ``mpirun -n 2`` comparison.
"""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from lisse.meshes.geometry import FACET_TAGS
from tests.helpers import mpi_numbers, print_numbers
from tests.verification.test_li_sticking import DT, MU, PUSH, extrapolated

BOTTOM, TOP, LEFT, SIDE, TRANSVERSE = (FACET_TAGS[k] for k in (
    "contact", "collector", "axis", "side_lithium", "side_electrolyte"))
H, PER_H, WIDTHS = 1.0, 2, (10.0, 20.0, 40.0)  # W/H; 2 P2 cells through H (coarse)


def slab(width: float, sticking: bool, axis: int = 0, plate: bool = True, per_h: int = PER_H,
         sigma0: float = 1.0, molar_volume: float = 0.0, n: float = 1.0,
         uniaxial: bool = False):
    """The slab 0 < a < W, 0 < b < H/2 (a = x for axis 0, y for axis 1) on the obstacle
    (plate frame: shifted down by d, top held in z) with creep exponent ``n``; ``uniaxial``:
    the face b = H/2 free (a block in uniaxial compression: test_li_hardening.py); returns
    (body, Sticking or None)."""
    from dolfinx import mesh as dmesh

    from lisse.solver.physics.li_sticking import Sticking
    from lisse.solver.physics.lithium_body import LithiumBody

    low = -PUSH if plate else 0.0
    depth = H / 2
    extent = [width, depth] if axis == 0 else [depth, width]
    cells = [int(round(width / H * per_h)), per_h // 2]
    cells = (cells if axis == 0 else cells[::-1]) + [per_h]
    msh = dmesh.create_box(MPI.COMM_WORLD, [[0.0, 0.0, low], [*extent, low + H]], cells)
    fdim = 2
    msh.topology.create_connectivity(fdim, 3)
    other = 1 - axis
    groups = {BOTTOM: lambda x: np.isclose(x[2], low),
              TOP: lambda x: np.isclose(x[2], low + H),
              LEFT: lambda x: np.isclose(x[axis], 0.0),
              SIDE: lambda x: np.isclose(x[axis], width),
              TRANSVERSE: lambda x: np.isclose(x[other], 0.0) | (
                  np.isclose(x[other], depth) & (not uniaxial))}
    idx, val = [], []
    for tag, where in groups.items():  # a boundary triangle lies in one face of the box
        found = dmesh.locate_entities_boundary(msh, fdim, where)
        idx.append(found)
        val.append(np.full(len(found), tag, dtype=np.int32))
    idx, val = np.concatenate(idx), np.concatenate(val)
    order = np.argsort(idx)
    tags = dmesh.meshtags(msh, fdim, idx[order], val[order])
    symmetry = {LEFT: axis, TRANSVERSE: other} | ({TOP: 2} if plate else {})
    body = LithiumBody(msh, tags, "3d", sigma0, 1.0, n, {TOP: 1.0}, symmetry=symmetry,
                       obstacle=(BOTTOM,), molar_volume=molar_volume)
    return body, (Sticking(body) if sticking else None)


def tangential_speed(body, sticking) -> float:
    """Largest |v_x|, |v_y| (m/s) of the active obstacle dofs, over all ranks."""
    speeds = [np.abs(body.w.x.array[mixed[body.active]]) * body.rate_scale
              for _, _, mixed, _ in sticking.components]
    local = max(float(np.max(s, initial=0.0)) for s in speeds)
    return body.comm.allreduce(local, op=MPI.MAX)


def squeeze(width: float, sticking: bool = True, axis: int = 0, per_h: int = PER_H) -> dict:
    """The first step's mean obstacle pressure over the lubrication value μVW²/H³ and over
    the homogeneous one 4μV/H, the largest tangential speed of an active dof over V, the
    number of active dofs and of obstacle dofs."""
    body, stick = slab(width, sticking, axis=axis, per_h=per_h)
    report = body.step(DT)
    speed, depth = PUSH / DT, H / 2
    mean = report.contact_force / (width * depth)
    owned = body._obstacle[1] < body.vy_space.dofmap.index_map.size_local
    return {"lubrication": mean / (MU * speed * width**2 / H**3),
            "homogeneous": mean / (4 * MU * speed / H),
            "active": report.active,
            "obstacle": body.comm.allreduce(int(np.sum(owned)), op=MPI.SUM),
            "slip": tangential_speed(body, stick) / speed if stick else None}


@pytest.fixture(scope="module")
def squeezes() -> dict:
    return {"x": {w: squeeze(w) for w in WIDTHS}, "y": {w: squeeze(w, axis=1) for w in WIDTHS},
            "frictionless": squeeze(10.0, False), "frictionless y": squeeze(10.0, False, 1)}


@pytest.mark.slow
def test_3d_squeeze_film_descent_rate(squeezes, validation):
    """Sticking, flow along x and along y: p/p_lub = 1 + O(H/W) (the 2D bound
    0.5 H/W + 5 (H/W)² widened to 0.8 H/W + 5 (H/W)² for the coarse mesh, as the 2D axisymmetric
    one), extrapolated to W/H → ∞: 1 to 1e-3; every obstacle dof active."""
    limits = {}
    for axis in ("x", "y"):
        film = squeezes[axis]
        for width in WIDTHS:
            h = H / width
            assert film[width]["active"] == film[width]["obstacle"]
            assert abs(film[width]["lubrication"] - 1) <= 0.8 * h + 5 * h**2, (axis, width)
        limits[axis] = extrapolated(film)
        assert abs(limits[axis] - 1) < 1e-3, axis
    # the two orientations are the same problem on mirrored meshes
    for width in WIDTHS:
        assert squeezes["y"][width]["lubrication"] == pytest.approx(
            squeezes["x"][width]["lubrication"], rel=1e-9)
    film = squeezes["x"]
    validation.record(
        "Li sticking contact in 3D: squeeze film of a Newtonian Li slab (v_y = 0 faces)",
        "V = p H³/(μ W²) (lubrication), extrapolated W/H → ∞", "lubrication theory",
        "1e-3", f"V/V_lub = {1 / film[10.0]['lubrication']:.4f} (W/H 10, along x), "
        f"{1 / squeezes['y'][10.0]['lubrication']:.4f} (along y); limits "
        f"{1 / limits['x']:.6f} (x), {1 / limits['y']:.6f} (y)",
        f"{PER_H} P2 tetrahedra layers through H",
        all(abs(v - 1) < 1e-3 for v in limits.values()))


@pytest.mark.slow
def test_3d_frictionless_squeeze_is_homogeneous(squeezes):
    """Frictionless: homogeneous p = 4μV/H on the midpoint configuration, 25× below the
    sticking film at W/H = 10 (so the squeeze-film test fails without sticking)."""
    midpoint = 1 / (1 - PUSH / (2 * H)) ** 2
    for key in ("frictionless", "frictionless y"):
        assert squeezes[key]["homogeneous"] == pytest.approx(midpoint, rel=1e-9)
        assert squeezes[key]["lubrication"] == pytest.approx(4 * H**2 / 10.0**2 * midpoint,
                                                             rel=1e-9)


@pytest.mark.slow
def test_3d_active_dofs_do_not_slip(squeezes):
    """v_x and v_y of every active dof are zero to round-off (flow along x and along y)."""
    for axis in ("x", "y"):
        for width in WIDTHS:
            assert squeezes[axis][width]["slip"] <= 1e-12


def test_3d_release_by_normal_reaction():
    """Sticking does not glue in 3D: a rigid Li block (σ0 = 1e10 p) stripped on x < W/2:
    mid-edge obstacle dofs of the stripped half are released by their normal reaction
    (inactive, R = 0), the active ones have R ≥ 0 and do not slip, force balance p·A.
    The P2 triangle vertices have no contact weight (∫ φ_vertex dA = 0) and, in this rigid
    limit, reactions of ±7e5 p·A that cancel in pairs (frictionless too): they are left out
    of the sign checks, and the force balance holds to the round-off of their sum (1e-9 of
    Σ|R|; measured 5e-5 p·A of 1.4e6). Not asserted: the 2D pattern (the whole stripped half
    lifted by δ, the other half resting). A vertex in contact at the start of a step stays
    active for that step (the 3D vertex rule of lithium_body): the stripped vertices are
    pulled back onto the plane and the rigid block rests on them, released mid-edge dofs
    appear on both halves (frictionless as well; docs/moving_interface.md, "Sticking contact
    in 3D cells")."""
    from tests.verification.test_lithium_body import OMEGA, _current

    p, dt, delta, width = 1.0, 1.0, 1e-3, 4.0  # 8 cells along x, 2 through H, 1 deep
    body, stick = slab(width, True, plate=False, per_h=2, sigma0=1e10, molar_volume=OMEGA)
    weighted = np.ones(len(body.active), dtype=bool)
    weighted[body._weightless] = False
    owned = body._obstacle[1] < body.vy_space.dofmap.index_map.size_local
    x = body.vy_space.tabulate_dof_coordinates()[body._obstacle[1], 0]
    stripped = x < 0.5 * width - 1e-9
    j0 = _current(delta, dt)
    for _ in range(2):
        report = body.step(dt, lambda x: np.where(x[0] < 0.5 * width - 1e-9, j0, 0.0))
        force = body.contact_reaction
        total = body.comm.allreduce(float(np.sum(np.abs(force[owned]))), op=MPI.SUM)
        assert abs(report.contact_force - p * width * H / 2) <= 1e-9 * total
        scale = body.comm.allreduce(float(np.max(np.abs(force[weighted]), initial=0.0)),
                                    op=MPI.MAX)
        assert not np.all(body.active[weighted & stripped])  # some released
        assert np.all(np.abs(force[~body.active]) <= 1e-6 * scale)
        assert np.all(force[body.active & weighted] >= -1e-6 * scale)
        assert tangential_speed(body, stick) <= 1e-12 * delta / dt


def _numbers() -> dict:
    return {"x_10": squeeze(10.0)["lubrication"], "y_10": squeeze(10.0, axis=1)["lubrication"],
            "frictionless": squeeze(10.0, False)["lubrication"]}


@pytest.mark.slow
def test_3d_sticking_mpi_matches_serial(squeezes):
    parallel = mpi_numbers("tests.verification.test_li_sticking_3d")
    serial = {"x_10": squeezes["x"][10.0]["lubrication"],
              "y_10": squeezes["y"][10.0]["lubrication"],
              "frictionless": squeezes["frictionless"]["lubrication"]}
    for key, value in serial.items():
        assert parallel[key] == pytest.approx(value, rel=1e-6), key


def main() -> None:
    print_numbers(_numbers())


if __name__ == "__main__":
    main()
