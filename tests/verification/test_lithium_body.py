"""Verification of the moving creeping-Li body (solver/physics/lithium_body.py).

M2 by finite deformation: a cylindrical hole a < r < b (plane strain, quarter annulus with
symmetry planes) in an incompressible power-law solid ε̇_eq = ε̇0 (σ_eq/σ0)^n under an outer
pressure p. The exact instantaneous closure rate (docs/mechanics.md, validation.md M2 in the
finite-b form, as in tests/test_mechanics_verification.py) is

    (da/dt)/a = −(√3/2) ε̇0 (√3 p / (n σ0 (1 − (a/b)^(2/n))))ⁿ,

and incompressibility fixes b² − a² in plane strain, so integrating this law in time with
b(a) = √(b0² − a0² + a²) is the exact large-deformation closure a(t).

Block patch test: a Li block 0 < x < W, 0 < y < H on the rigid obstacle y ≥ 0, pressure p
on the top, symmetry at x = 0, free side: homogeneous flow with contact pressure p
everywhere, contact force p·W (plane) or p·W²/2 (axisymmetric, ∫ r dr), and the height
H(t) = H0 exp(−c ε̇0 (k p/σ0)ⁿ t) with (c, k) = (√3/2, √3/2) in plane strain and (1, 1)
axisymmetric (σ_eq = (√3/2) p and ε̇_yy = −(√3/2) ε̇_eq in plane strain).

``main()`` prints numbers for the ``mpirun -n 2`` comparison.
"""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from lisse.meshes.geometry import FACET_TAGS
from lisse.units import FARADAY
from tests.helpers import mpi_numbers, print_numbers

HOLE, OUTER, LEFT, BOTTOM = (FACET_TAGS[k] for k in ("void_lithium", "side_lithium", "axis",
                                                     "contact"))
TOP, SIDE = FACET_TAGS["collector"], FACET_TAGS["side_lithium"]
OMEGA = 1.3e-5  # m³/mol, Li molar volume (only converts the current into a recession)


def m2_rate(n: float, a: float, b: float, p: float) -> float:
    """Exact (da/dt)/a of a thick cylinder, σ0 = ε̇0 = 1."""
    return -(np.sqrt(3) / 2) * (np.sqrt(3) * p / (n * (1 - (a / b) ** (2 / n)))) ** n


def quarter_annulus(comm, a: float, b: float, h_hole: float, h_outer: float):
    """P2-geometry quarter annulus (Gmsh): hole 13, outer arc 17, x = 0 line 18, y = 0
    line 11 (used as a symmetry plane here)."""
    import gmsh
    from dolfinx.io.gmsh import model_to_mesh

    gmsh.initialize()
    gmsh.option.setNumber("General.Terminal", 0)
    gmsh.model.add("quarter")
    if comm.rank == 0:
        g = gmsh.model.geo
        c = g.addPoint(0, 0, 0)
        p1, p2 = g.addPoint(a, 0, 0, h_hole), g.addPoint(b, 0, 0, h_outer)
        p3, p4 = g.addPoint(0, b, 0, h_outer), g.addPoint(0, a, 0, h_hole)
        bottom, outer = g.addLine(p1, p2), g.addCircleArc(p2, c, p3)
        left, hole = g.addLine(p3, p4), g.addCircleArc(p4, c, p1)
        g.addPlaneSurface([g.addCurveLoop([bottom, outer, left, hole])])
        g.synchronize()
        gmsh.model.addPhysicalGroup(2, [1], 2)
        for curve, tag in ((bottom, BOTTOM), (outer, OUTER), (left, LEFT), (hole, HOLE)):
            gmsh.model.addPhysicalGroup(1, [curve], tag)
        gmsh.model.mesh.generate(2)
        gmsh.model.mesh.setOrder(2)
    data = model_to_mesh(gmsh.model, comm, 0, gdim=2)
    gmsh.finalize()
    return data.mesh, data.facet_tags


def hole_radius(body, hole_nodes) -> float:
    x = body.msh.geometry.x[hole_nodes]
    comm = body.comm
    return comm.allreduce(float(np.sum(np.hypot(x[:, 0], x[:, 1]))), op=MPI.SUM) / (
        comm.allreduce(len(hole_nodes), op=MPI.SUM)
    )


def void_body(n: float, a: float = 1.0, b: float = 3.0, h: float = 0.08, comm=MPI.COMM_WORLD):
    from dolfinx import mesh as dmesh

    from lisse.solver.physics.lithium_body import LithiumBody

    msh, tags = quarter_annulus(comm, a, b, h, 3 * h)
    p = n * (1 - (a / b) ** (2 / n)) / np.sqrt(3)  # exact rate of order one
    body = LithiumBody(msh, tags, "plane", 1.0, 1.0, n, {OUTER: p}, symmetry={LEFT: 0, BOTTOM: 1})
    facets = tags.find(HOLE)
    cells = dmesh.compute_incident_entities(msh.topology, facets, 1, 2)
    nodes = np.unique(msh.geometry.dofmaps[0][cells].ravel())
    x = msh.geometry.x[nodes]
    hole = nodes[np.isclose(np.hypot(x[:, 0], x[:, 1]), a, rtol=1e-9)]
    owned = hole[hole < msh.geometry.index_map().size_local]
    return body, owned, p


def initial_rate(n: float, comm=MPI.COMM_WORLD) -> tuple[float, float]:
    """(FE (da/dt)/a from one tiny step, exact), a = 1, b = 3."""
    body, hole, p = void_body(n, comm=comm)
    dt = 1e-6
    body.step(dt)
    a1 = hole_radius(body, hole)
    return (a1 - 1.0) / dt, m2_rate(n, 1.0, 3.0, p)


@pytest.mark.parametrize("n", [1.0, 3.0, 6.6])
def test_m2_initial_closure_rate(n, validation):
    rate, exact = initial_rate(n)
    err = abs(rate / exact - 1)
    validation.record(f"Li body M2 initial closure, n = {n:g}", f"{exact:.5g}",
                      "validation.md M2 (finite-b form), b = 3a", "1 %", f"{rate:.5g}",
                      "P2 quarter annulus, h = a/12.5", err < 0.01)
    assert err < 0.01


@pytest.mark.slow
def test_m2_large_deformation_closure_and_volume(validation):
    """a/a0 from 1 to 0.5: the FE a(t) against the exact kinematics; the Li area
    conserved to 1e-6 through it."""
    n, a0, b0 = 3.0, 1.0, 3.0
    body, hole, p = void_body(n, a0, b0)
    area0 = body.volume()

    def law(a):
        return a * m2_rate(n, a, np.sqrt(b0**2 - a0**2 + a**2), p)

    times, radii, drift = [0.0], [a0], 0.0
    while radii[-1] > 0.5:
        # about 2 % of a per step, from the current rate
        b = np.sqrt(b0**2 - a0**2 + radii[-1] ** 2)
        dt = 0.02 / abs(m2_rate(n, radii[-1], b, p))
        body.step(dt)
        times.append(body.time)
        radii.append(hole_radius(body, hole))
        drift = max(drift, abs(body.volume() / area0 - 1))
    exact = [a0]
    for t0, t1 in zip(times[:-1], times[1:], strict=True):  # RK4, 200 substeps per FE step
        a, h = exact[-1], (t1 - t0) / 200
        for _ in range(200):
            k1 = law(a)
            k2 = law(a + h * k1 / 2)
            k3 = law(a + h * k2 / 2)
            a += h * (k1 + 2 * k2 + 2 * k3 + law(a + h * k3)) / 6
        exact.append(a)
    err = float(np.max(np.abs(np.array(radii) / exact - 1)))
    # the small-strain answer (rate frozen at the initial geometry) is far off: the test
    # tells the two apart
    frozen = a0 * np.exp(m2_rate(n, a0, b0, p) * times[-1])
    assert abs(frozen / radii[-1] - 1) > 0.1
    validation.record("Li body M2 large closure a/a0 → 0.5, n = 3", "exact kinematics",
                      "b² − a² fixed, M2 rate law integrated", "2 %", f"{err:.1e}",
                      f"P2 quarter annulus, {len(times) - 1} steps", err < 0.02)
    validation.record("Li body volume through large closure", "0", "incompressible creep",
                      "1e-6 relative", f"{drift:.1e}", "P2 quarter annulus", drift < 1e-6)
    assert radii[-1] <= 0.5
    assert err < 0.02
    assert drift < 1e-6


def block_body(geometry: str, n: float, p: float, width=1.0, height=0.5, cells=(8, 4),
               sigma0=1.0, molar_volume=0.0):
    from dolfinx import mesh as dmesh

    from lisse.solver.physics.lithium_body import LithiumBody

    msh = dmesh.create_rectangle(MPI.COMM_WORLD, [[0.0, 0.0], [width, height]], list(cells))
    msh.topology.create_connectivity(1, 2)
    groups = {BOTTOM: lambda x: np.isclose(x[1], 0.0), TOP: lambda x: np.isclose(x[1], height),
              LEFT: lambda x: np.isclose(x[0], 0.0), SIDE: lambda x: np.isclose(x[0], width)}
    idx, val = [], []
    for tag, where in groups.items():
        found = dmesh.locate_entities_boundary(msh, 1, where)
        idx.append(found)
        val.append(np.full(len(found), tag, dtype=np.int32))
    idx, val = np.concatenate(idx), np.concatenate(val)
    order = np.argsort(idx)
    tags = dmesh.meshtags(msh, 1, idx[order], val[order])
    return LithiumBody(msh, tags, geometry, sigma0, 1.0, n, {TOP: p}, symmetry={LEFT: 0},
                       obstacle=(BOTTOM,), molar_volume=molar_volume)


def _extent(body, axis: int) -> float:
    x = body.msh.geometry.x[:, axis]
    return body.comm.allreduce(float(np.max(x, initial=0.0)), op=MPI.MAX)


@pytest.mark.parametrize("geometry", ["plane", "axisymmetric"])
def test_block_contact_patch(geometry, validation):
    """Uniform contact pressure p at every contact dof, no penetration, exact force
    balance; the mesh follows the implicit-midpoint motion of the exact homogeneous flow
    (to 1e-9) and the height the exact H0 exp(−ε̇ t) within the rule's O(Δt²) error."""
    n, p, width, height, z = 3.0, 0.8, 1.0, 0.5, 0.07
    body = block_body(geometry, n, p, width, height)
    plane = geometry == "plane"
    c, k = (np.sqrt(3) / 2, np.sqrt(3) / 2) if plane else (1.0, 1.0)
    rate = c * (k * p) ** n  # ε̇ = −ε̇_yy
    lateral = 1.0 if plane else 0.5  # ε̇_xx / ε̇
    h, w, volume = height, width, body.volume()
    # implicit midpoint: y1 = y0 − Δt ε̇ (y0 + y1)/2 and x1 = x0 + Δt ε̇_xx (x0 + x1)/2
    squash, stretch = (1 - z / 2) / (1 + z / 2), (1 + lateral * z / 2) / (1 - lateral * z / 2)
    worst = 0.0
    for _ in range(10):
        report = body.step(z / rate)
        w_mid = w * (1 + stretch) / 2  # force balance on the midpoint configuration
        h, w = h * squash, w * stretch
        assert report.penetration <= 1e-12
        assert np.all(body.active)
        assert np.sum(np.isnan(body.contact_pressure)) == (0 if plane else 1)  # axis dof
        worst = max(worst, float(np.nanmax(np.abs(body.contact_pressure / p - 1))))
        assert report.contact_force == pytest.approx(p * (w_mid if plane else w_mid**2 / 2),
                                                     rel=1e-9)
        assert _extent(body, 1) == pytest.approx(h, rel=1e-9)
        assert _extent(body, 0) == pytest.approx(w, rel=1e-9)
        expected = h * w if plane else h * w**2 / 2
        assert body.volume() == pytest.approx(expected, rel=1e-9)
    assert worst < 1e-6
    assert h == pytest.approx(height * np.exp(-rate * body.time), rel=1e-3)
    if plane:
        assert body.volume() == pytest.approx(volume, rel=1e-12)
    validation.record(f"Li body contact patch test ({geometry})", "λ = p at every dof",
                      "homogeneous flow", "1e-6", f"{worst:.1e}", "8×4 P1-geometry block",
                      worst < 1e-6)


def _current(delta: float, dt: float) -> float:
    """j (A/m²) that strips a thickness δ in dt: δ = Ω j Δt / F."""
    return delta * FARADAY / (OMEGA * dt)


def _bottom(body) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of all geometry nodes of the Li bottom (y < 0.1), gathered on every rank."""
    x = body.msh.geometry.x
    own = x[: body.msh.geometry.index_map().size_local]
    own = own[own[:, 1] < 0.1]
    nodes = np.concatenate(body.comm.allgather(own[:, :2]))
    return nodes[:, 0], nodes[:, 1]


@pytest.mark.parametrize("partial", [False, True])
def test_rigid_li_stripping(partial, validation):
    """Creep practically off (σ0 = 1e10 p, n = 1: the residual creep sag of the unsupported
    half is ~1e-6 δ).
    Uniform stripping: the Li translates down rigidly, top at H0 − Σδ, full contact.
    Stripping on x < W/2 only: the Li rests on the unstripped half, the contact over the
    stripped half opens by exactly δ in the first step (then no current flows there),
    λ = 0 on the open part, λ ≥ 0 elsewhere, the force balance holds, and the Li lost is
    the nodal (trapezoidal) integral of the consumption."""
    p, dt, delta, steps, height = 1.0, 1.0, 1e-3, 5, 0.5
    body = block_body("plane", 1.0, p, height=height, cells=(16, 4), sigma0=1e10,
                      molar_volume=OMEGA)
    j0 = _current(delta, dt)
    current = (lambda x: np.where(x[0] < 0.5 - 1e-9, j0, 0.0)) if partial else j0
    volume = body.volume()
    for _ in range(steps):
        report = body.step(dt, current)
        assert report.penetration <= 1e-12
        assert report.contact_force == pytest.approx(p * 1.0, rel=1e-6)
        force = body.contact_reaction  # complementarity: R = 0 off contact, R ≥ 0 on it
        scale = body.comm.allreduce(float(np.max(np.abs(force), initial=0.0)), op=MPI.MAX)
        # (off contact R is the Newton residual, ~1e-8 of the reactions in this stiff limit)
        assert np.all(np.abs(force[~body.active]) <= 1e-6 * scale)
        assert np.all(force[body.active] >= -1e-6 * scale)
    x, y = _bottom(body)
    if partial:
        stripped = x < 0.5 - 1e-9
        gap_error = float(np.max(np.abs(y[stripped] - delta)) / delta)
        assert np.max(np.abs(y[~stripped])) <= 1e-5 * delta  # residual creep lifts the edge
        assert gap_error < 1e-5
        assert body.comm.allreduce(int(np.sum(body.active)), op=MPI.SUM) > 0
        lost = delta * (0.5 - 1 / 32)  # trapezoid: the node at x = W/2 is not stripped
        value = f"gap/δ − 1 = {gap_error:.1e}"
    else:
        assert np.max(np.abs(y)) <= 1e-12  # full contact kept
        descent = steps * delta
        top_error = abs(_extent(body, 1) - (height - descent)) / descent
        assert top_error < 1e-5
        lost = descent
        value = f"top error/Σδ = {top_error:.1e}"
    assert volume - body.volume() == pytest.approx(lost, rel=1e-5)
    validation.record(f"Li body rigid-Li stripping ({'partial' if partial else 'uniform'})",
                      "gap = Ω∫j dt/F", "closed form", "1e-5", value, "16×4 block", True)


@pytest.mark.parametrize("geometry", ["plane", "axisymmetric"])
def test_e5_stripping_bookkeeping(geometry, validation):
    """E5: creeping Li (n = 3) pressed at p, stripped by j = j0 (1 + cos(πx/W0)/2): the Li
    stays in full contact and its volume falls by ∫∫ j Ω/F dA dt (exact integral over the
    contact width at each step) within 0.5 %."""
    n, p, z, delta, width = 3.0, 0.8, 0.03, 3e-3, 1.0
    plane = geometry == "plane"
    body = block_body(geometry, n, p, width=width, cells=(32, 8), molar_volume=OMEGA)
    rate = (np.sqrt(3) / 2) ** (n + 1) * p**n if plane else p**n
    dt = z / rate
    j0, k = _current(delta, dt), np.pi / width

    def current(x):
        return j0 * (1 + 0.5 * np.cos(k * x[0]))

    volume, consumed = body.volume(), 0.0
    for _ in range(10):
        w = float(np.max(_bottom(body)[0]))
        if plane:
            integral = w + 0.5 * np.sin(k * w) / k
        else:
            integral = w**2 / 2 + 0.5 * ((np.cos(k * w) - 1) / k**2 + w * np.sin(k * w) / k)
        consumed += OMEGA * j0 * dt / FARADAY * integral
        report = body.step(dt, current)
        assert np.all(body.active) and report.penetration <= 1e-12
    err = abs((volume - body.volume()) / consumed - 1)
    validation.record(f"Li body E5 stripping bookkeeping ({geometry})", "∫∫ j Ω/F dA dt",
                      "validation.md E5", "0.5 %", f"{err:.1e}", "32×8 P1-geometry block",
                      err < 5e-3)
    assert err < 5e-3


def _block_numbers() -> tuple[float, float]:
    """(contact force, height) of the axisymmetric block after three steps."""
    body = block_body("axisymmetric", 3.0, 0.8)
    for _ in range(3):
        report = body.step(0.1)
    return report.contact_force, _extent(body, 1)


def _stripped_volume() -> float:
    """Li volume of the axisymmetric block after three steps of non-uniform stripping."""
    body = block_body("axisymmetric", 3.0, 0.8, cells=(16, 4), molar_volume=OMEGA)
    j0 = _current(3e-3, 0.1)
    for _ in range(3):
        body.step(0.1, lambda x: j0 * (1 + 0.5 * np.cos(np.pi * x[0])))
    return body.volume()


def _numbers() -> dict:
    force, height = _block_numbers()
    return {"m2_n3": initial_rate(3.0)[0], "block_force": force, "block_height": height,
            "stripped_volume": _stripped_volume()}


@pytest.mark.slow
def test_lithium_body_mpi_matches_serial():
    parallel = mpi_numbers("tests.verification.test_lithium_body")
    for key, value in _numbers().items():
        assert parallel[key] == pytest.approx(value, rel=1e-6), key


def main() -> None:
    print_numbers(_numbers())


def test_cell_mesh_lithium_under_collector_pressure(validation):
    """The Li of a lisse cell mesh (axisymmetric, a flat void at the axis) as its own body:
    Anand-strength power-law Li (σ0 0.95 MPa, n = 6.6) under 2 MPa on the collector.
    The contact carries exactly p·A (∫ r ds), the void roof stays open and never
    penetrates, and the volume drift is the midpoint rule's O(Δt³) (< 1e-7 in two steps)."""
    from dolfinx import mesh as dmesh

    from lisse.meshes.cache import load_mesh
    from lisse.solver.fem.domain import lithium_submesh
    from lisse.solver.physics.lithium_body import LithiumBody
    from lisse.solver.physics.patch_flow import PatchCell

    cell = PatchCell(width=4.0, lithium=3.0, electrolyte=1.0, height=0.2, size=0.5,
                     interface_size=0.1, edge_size=0.02)  # lengths over a = 1 µm
    data = load_mesh(cell.geometry(), MPI.COMM_WORLD)
    msh, tags = lithium_submesh(data.mesh, data.cell_tags, data.facet_tags)
    roof = np.unique(dmesh.entities_to_geometry(msh, 1, tags.find(HOLE)).ravel())
    p, width = 2e6, 4e-6
    body = LithiumBody(msh, tags, "axisymmetric", 0.95e6, 1e-4, 6.6, {TOP: p},
                       symmetry={LEFT: 0, SIDE: 0}, obstacle=(BOTTOM, HOLE))
    volume = body.volume()
    for _ in range(2):
        report = body.step(2.0)
        assert report.contact_force == pytest.approx(p * width**2 / 2, rel=1e-9)
        assert report.penetration <= 1e-12 * width
    top = msh.geometry.x[roof, 1].max() if len(roof) else 0.0
    assert body.comm.allreduce(float(top), op=MPI.MAX) > 0.19e-6  # the void is still open
    drift = abs(body.volume() / volume - 1)
    assert drift < 1e-7
    validation.record("Li body on a cell mesh (axisymmetric, void)", "contact force p·A",
                      "force balance", "1e-9", "exact", "PatchCell mesh, Li submesh", True)


def notch_body(h: float = 0.04):
    """Plane-strain Li block 1 × 0.5 with a flat void (notch) 0 < x < 0.3, height 0.02, at
    the symmetry line, P2 geometry; σ0 = ε̇0 = 1, n = 3, p = 1 on the top."""
    import gmsh
    from dolfinx.io.gmsh import model_to_mesh

    from lisse.solver.physics.lithium_body import LithiumBody

    comm = MPI.COMM_WORLD
    gmsh.initialize()
    gmsh.option.setNumber("General.Terminal", 0)
    gmsh.model.add("notch")
    if comm.rank == 0:
        geo = gmsh.model.geo
        corners = [(0, 0.02), (0.3, 0.02), (0.3, 0), (1, 0), (1, 0.5), (0, 0.5)]
        pts = [geo.addPoint(x, y, 0, h) for x, y in corners]
        lines = [geo.addLine(pts[i], pts[(i + 1) % 6]) for i in range(6)]
        geo.addPlaneSurface([geo.addCurveLoop(lines)])
        geo.synchronize()
        gmsh.model.addPhysicalGroup(2, [1], 2)
        for tag, group in ((HOLE, lines[0:2]), (BOTTOM, [lines[2]]), (SIDE, [lines[3]]),
                           (TOP, [lines[4]]), (LEFT, [lines[5]])):
            gmsh.model.addPhysicalGroup(1, group, tag)
        gmsh.model.mesh.generate(2)
        gmsh.model.mesh.setOrder(2)
    data = model_to_mesh(gmsh.model, comm, 0, gdim=2)
    gmsh.finalize()
    body = LithiumBody(data.mesh, data.facet_tags, "plane", 1.0, 1.0, 3.0, {TOP: 1.0},
                       symmetry={LEFT: 0}, obstacle=(BOTTOM, HOLE))
    return body, data.facet_tags


@pytest.mark.slow
def test_void_roof_touches_down(validation):
    """A flat void at the interface closes under pressure: the roof comes down onto the
    electrolyte, the active set grows onto the void facets, no dof penetrates, R = 0 off
    contact and R ≥ 0 on it, the contact carries p times the top's projected width on the
    midpoint configuration, and the Li area is conserved to 1e-12."""
    from dolfinx import mesh as dmesh

    body, tags = notch_body()
    top = np.unique(dmesh.entities_to_geometry(body.msh, 1, tags.find(TOP)).ravel())

    def top_width():
        x = body.msh.geometry.x[top, 0]
        return body.comm.allreduce(float(np.max(x, initial=0.0)), op=MPI.MAX)

    area = body.volume()
    counts = []
    for _ in range(3):
        before = top_width()
        report = body.step(0.01)
        counts.append(report.active)
        assert report.penetration <= 1e-12
        assert report.contact_force == pytest.approx((before + top_width()) / 2, rel=1e-9)
        force = body.contact_reaction
        scale = body.comm.allreduce(float(np.max(np.abs(force), initial=0.0)), op=MPI.MAX)
        assert np.all(np.abs(force[~body.active]) <= 1e-6 * scale)
        assert np.all(force[body.active] >= -1e-6 * scale)
    assert counts[-1] > counts[0]  # the roof touched down
    roof = body.msh.geometry.x[:, 1][body.msh.geometry.x[:, 0] < 0.29]
    lowest = body.comm.allreduce(float(np.min(roof, initial=1.0)), op=MPI.MIN)
    assert lowest == pytest.approx(0.0, abs=1e-12)
    drift = abs(body.volume() / area - 1)
    assert drift < 1e-12
    validation.record("Li body: void roof touches down", "contact conditions, area",
                      "complementarity, incompressibility", "1e-12", f"area {drift:.1e}",
                      "P2 notched block, h = 0.04", True)
