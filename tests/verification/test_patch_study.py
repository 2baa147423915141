"""The debonded-patch study (issue 5 item 5; docs/patch_study.md).

Verification of the power-law creep solver (exact uniform flow, manufactured solutions with
mesh convergence for n = 1 and 5), the flux concentration against the E4 numbers of
test_constriction, the limits (uniform flux gives a rigid Li, R → 1 as ā → 0), mass
balance, regularisation and mesh convergence, the CLI on the shipped study file, and MPI.
"""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest
import ufl
from dolfinx import fem
from mpi4py import MPI

from tests.helpers import ROOT, run_lisse, run_mpi

# A small cell for the tests: W = L = H = 5a, coarse edge (the study uses 10a and a/1000).
TEST_CELL = dict(
    width=5.0,
    lithium=5.0,
    electrolyte=5.0,
    size=1.0,
    interface_size=0.1,
    edge_size=0.004,
    flow_mesh_scale=1.0,
)


def rectangle_lithium(width: float, height: float, nx: int, ny: int):
    """Li rectangle [0, width] × [0, height] (units of a), tagged contact (bottom),
    collector (top), axis (r = 0) and side_lithium (r = width)."""
    from dolfinx import mesh as dm

    from lisse.meshes.geometry import FACET_TAGS
    from lisse.solver.fem.domain import Domain

    msh = dm.create_rectangle(
        MPI.COMM_WORLD, [[0.0, 0.0], [width, height]], [nx, ny], diagonal=dm.DiagonalType.crossed
    )
    msh.topology.create_connectivity(1, 2)
    sides = {
        "contact": lambda x: np.isclose(x[1], 0.0),
        "collector": lambda x: np.isclose(x[1], height),
        "axis": lambda x: np.isclose(x[0], 0.0),
        "side_lithium": lambda x: np.isclose(x[0], width),
    }
    found = {name: dm.locate_entities_boundary(msh, 1, where) for name, where in sides.items()}
    taken = np.zeros(
        msh.topology.index_map(1).size_local + msh.topology.index_map(1).num_ghosts, dtype=bool
    )
    idx, val = [], []
    for name, facets in found.items():  # a corner facet belongs to the first side only
        facets = facets[~taken[facets]]
        taken[facets] = True
        idx.append(facets)
        val.append(np.full(len(facets), FACET_TAGS[name], dtype=np.int32))
    idx, val = np.concatenate(idx), np.concatenate(val)
    order = np.argsort(idx)
    return Domain(msh, dm.meshtags(msh, 1, idx[order], val[order]), axisymmetric=True)


def _integral(form) -> float:
    return MPI.COMM_WORLD.allreduce(fem.assemble_scalar(fem.form(form)))


def _norm(form) -> float:
    return math.sqrt(_integral(form))


@pytest.mark.parametrize("contact", ["sticking", "frictionless"])
def test_uniform_consumption_is_rigid_translation(contact, validation):
    """Uniform stripping over a fully bonded interface, no load: v = (0, −1) everywhere,
    zero stress, U = 1, for every n (the flow is exact in the discrete space)."""
    from lisse.solver.physics.creep_flow import CreepFlow

    domain = rectangle_lithium(3.0, 2.0, 6, 4)
    flow = CreepFlow(domain, contact)
    flow.set_interface(lambda x: -np.ones(x.shape[1]))
    errors = []
    for n in (1, 5, 20):
        flow.solve([n])
        r = ufl.SpatialCoordinate(domain.mesh)[0]
        error = _norm(
            ufl.dot(flow.v + ufl.as_vector([0, 1]), flow.v + ufl.as_vector([0, 1])) * r * ufl.dx
        )
        errors.append(max(error, abs(flow.collector_velocity - 1), _norm(flow.p**2 * r * ufl.dx)))
    assert max(errors) < 1e-9
    validation.record(
        f"Patch study: uniform consumption, {contact}",
        "v = (0, −1), p = 0, U = 1 for n = 1, 5, 20",
        "exact rigid translation",
        "1e-9",
        f"max error {max(errors):.1e}",
        "6×4 crossed P2–P1",
        True,
    )


# --- manufactured solution --------------------------------------------------------------
# Stream function ψ = r² f(r) g(y): v_r = −r f g', v_y = (2f + r f') g − U0 is divergence
# free (axisymmetric); f = (1 − r²)³, g = 1 − 3y² + 2y³ make v_r = 0 on every side, the shear
# vanish on the axis and at r = 1, and v_y = −U0 on the collector (y = 1).
U0 = 0.7


def _exact(x):
    r, y = x[0], x[1]
    f, df = (1 - r**2) ** 3, -6 * r * (1 - r**2) ** 2
    g, dg = 1 - 3 * y**2 + 2 * y**3, -6 * y + 6 * y**2
    v = ufl.as_vector([-r * f * dg, (2 * f + r * df) * g - U0])
    p = ufl.cos(math.pi * y) * (1 + r**2) / 4
    return v, p


def _body_force(x, n: float, delta: float):
    """f = −∇·σ in cylindrical components, written independently of the weak form."""
    from lisse.solver.physics.creep_flow import deviatoric_stress, strain_rate

    v, p = _exact(x)
    r = x[0]
    s = deviatoric_stress(strain_rate(v, r), n, delta)
    rr, yy, tt, ry = -p + s[0, 0], -p + s[1, 1], -p + s[2, 2], s[0, 1]
    return (
        ufl.as_vector(
            [
                -(ufl.Dx(rr, 0) + ufl.Dx(ry, 1) + (rr - tt) / r),
                -(ufl.Dx(ry, 0) + ufl.Dx(yy, 1) + ry / r),
            ]
        ),
        s,
        p,
    )


def _mms_error(cells: int, n: float, delta: float) -> tuple[float, float]:
    """Relative L2 (r-weighted) velocity error and collector-speed error on a cells² mesh."""
    from lisse.meshes.geometry import FACET_TAGS
    from lisse.solver.physics.creep_flow import CreepFlow

    domain = rectangle_lithium(1.0, 1.0, cells, cells)
    x = ufl.SpatialCoordinate(domain.mesh)
    force, s, p = _body_force(x, n, delta)
    flow = CreepFlow(
        domain, "sticking", regularisation=delta, body_force=force, quadrature_degree=8
    )
    flow.set_interface(lambda x: (1 - x[0] ** 2) ** 2 * (2 - 8 * x[0] ** 2) - U0)
    top = domain.ds()(FACET_TAGS["collector"])
    load = _integral(-(-p + s[1, 1]) * x[0] * top) / _integral(x[0] * top)
    flow.pressure.value = load
    flow.solve([1.0] + ([n] if n != 1 else []))
    v, _ = _exact(x)
    r = x[0]
    error = _norm(ufl.dot(flow.v - v, flow.v - v) * r * ufl.dx) / _norm(ufl.dot(v, v) * r * ufl.dx)
    return error, abs(flow.collector_velocity - U0)


@pytest.mark.parametrize("n", [1.0, 5.0])
def test_manufactured_solution_converges(n, validation):
    """Taylor–Hood P2 velocity: L2 error O(h³) for the Newtonian and the power-law operator
    (with the hoop terms of the axisymmetric divergence), collector speed converging. The
    regularisation δ = 0.2 keeps the viscosity contrast mild so that the asymptotic rate shows
    on coarse meshes (the study's δ is checked by δ-convergence below)."""
    delta = 0.2
    results = [_mms_error(cells, n, delta) for cells in (4, 8, 16)]
    errors = [e for e, _ in results]
    rates = [math.log2(errors[k] / errors[k + 1]) for k in range(2)]
    assert rates[-1] > 2.7, (errors, rates)
    assert results[-1][1] < 1e-4
    assert results[-1][1] < results[0][1]
    validation.record(
        f"Patch study: power-law Stokes MMS, n = {n:g}",
        "L2 velocity error O(h³) (P2), U → U0",
        "manufactured solution",
        "rate > 2.7",
        f"errors {errors[0]:.1e} → {errors[-1]:.1e}, rates "
        f"{rates[0]:.2f}, {rates[1]:.2f}; |U − U0| = {results[-1][1]:.1e}",
        "4², 8², 16² crossed",
        True,
    )


# --- the patch cell ---------------------------------------------------------------------


@pytest.mark.slow
def test_flux_concentration_matches_e4(validation):
    """k_J from the study's wrapper equals test_constriction's E4 value on the same mesh."""
    from lisse.meshes.cache import load_mesh
    from lisse.solver.fem.domain import electrolyte_domain
    from lisse.solver.physics.patch_flow import PatchCell, interface_flux
    from tests.verification.test_constriction import patch_flux_concentration

    cell = PatchCell(
        width=20,
        lithium=2,
        electrolyte=20,
        height=0.2,
        size=2,
        interface_size=0.05,
        edge_size=0.002,
        growth=0.1,
    )
    data = load_mesh(cell.geometry(), MPI.COMM_WORLD)
    domain = electrolyte_domain(data.mesh, data.cell_tags, data.facet_tags, True)
    values = []
    for abar in (0.1, 10.0):
        mine = interface_flux(domain, abar, cell.radius).k_J
        assert mine == pytest.approx(patch_flux_concentration(abar), rel=1e-6)
        values.append(mine)
    validation.record(
        "Patch study: k_J against E4",
        "test_constriction k_J, rel 1e-6",
        "validation.md E4",
        "1e-6",
        f"k_J(0.1) = {values[0]:.4f}, k_J(10) = {values[1]:.4f}",
        "E4 mesh, edge a/500",
        True,
    )


@pytest.fixture(scope="module")
def small_study():
    from lisse.solver.physics.patch_flow import PatchCell, patch_cases

    cell = PatchCell(**TEST_CELL)
    return cell, patch_cases(cell, [0.01, 0.1, 10.0], [1, 5], ["sticking"], MPI.COMM_WORLD)


@pytest.mark.slow
def test_small_patch_limit_and_mass_balance(small_study, validation):
    """R → 1 as ā → 0 (the flux tends to uniform, for which the Li translates rigidly), and
    the patch volume rate equals the collector speed minus the mean consumption."""
    cell, results = small_study
    by = {(r.abar, r.n): r for r in results}
    for n in (1, 5):
        assert abs(by[0.01, n].v_ratio - 1) < 0.01
        assert abs(by[0.01, n].v_ratio - 1) < abs(by[0.1, n].v_ratio - 1)
    assert by[10.0, 1].v_ratio > 1 > by[10.0, 5].v_ratio  # the trend with n (docs)
    assert by[0.01, 1].k_J == pytest.approx(1.0, abs=0.01)
    validation.record(
        "Patch study: small-patch limit",
        "R = v_c/v_far → 1 as ā → 0",
        "rigid translation under uniform flux",
        "|R − 1| < 0.01 at ā = 0.01",
        ", ".join(f"R(0.01, n={n}) = {by[0.01, n].v_ratio:.4f}" for n in (1, 5)),
        "W = 5a, edge a/250",
        True,
    )


@pytest.mark.slow
def test_patch_volume_rate_is_mass_balance(small_study):
    """∫_roof v·n r ds = (U − j_mean/j_far) W²/2: incompressibility and Li bookkeeping."""
    from lisse.meshes.cache import load_mesh
    from lisse.solver.fem.domain import electrolyte_domain
    from lisse.solver.physics.patch_flow import interface_flux

    cell, results = small_study
    data = load_mesh(cell.geometry(), MPI.COMM_WORLD)
    domain = electrolyte_domain(data.mesh, data.cell_tags, data.facet_tags, True)
    mean = interface_flux(domain, 10.0, cell.radius).mean
    for r in (r for r in results if r.abar == 10.0):
        assert r.roof_flux == pytest.approx((r.collector_velocity - mean) * cell.width**2, rel=1e-7)


def test_uniform_flux_on_the_patch_mesh_gives_rigid_li():
    """With a uniform flux and a traction-free patch the exact solution is a rigid
    translation: R = 1 exactly, for both contact conditions and n > 1."""
    from lisse.meshes.cache import load_mesh
    from lisse.solver.physics.creep_flow import CreepFlow, lithium_domain
    from lisse.solver.physics.patch_flow import PatchCell

    cell = PatchCell(**TEST_CELL)
    data = load_mesh(cell.geometry(), MPI.COMM_WORLD)
    domain = lithium_domain(data.mesh, data.cell_tags, data.facet_tags, cell.radius)
    for contact in ("sticking", "frictionless"):
        flow = CreepFlow(domain, contact)
        flow.set_interface(lambda x: -np.ones(x.shape[1]))
        flow.solve([1.0, 5.0])
        v_c = flow.velocity_at((0.0, cell.height))
        assert v_c == pytest.approx([0.0, -1.0], abs=1e-9)
        assert flow.collector_velocity == pytest.approx(1.0, abs=1e-9)


@pytest.mark.slow
def test_free_lithium_rigid_translation_and_mass_balance():
    """Traction-free top and outer radius (Roy, Fleck & Deshpande 2021): a uniform flux
    translates the Li rigidly (R = 1, top speed 1); with the patch flux at ā = 10 the Li
    volume is conserved: the net flux through the whole Li boundary vanishes."""
    from lisse.meshes.cache import load_mesh
    from lisse.meshes.geometry import FACET_TAGS
    from lisse.solver.fem.domain import electrolyte_domain
    from lisse.solver.physics.creep_flow import CreepFlow, lithium_domain
    from lisse.solver.physics.patch_flow import PatchCell, interface_flux

    cell = PatchCell(**TEST_CELL)
    data = load_mesh(cell.geometry(), MPI.COMM_WORLD)
    domain = lithium_domain(data.mesh, data.cell_tags, data.facet_tags, cell.radius)
    flow = CreepFlow(domain, "frictionless", "free")
    flow.set_interface(lambda x: -np.ones(x.shape[1]))
    flow.solve([1.0, 5.0])
    assert flow.velocity_at((0.0, cell.height)) == pytest.approx([0.0, -1.0], abs=1e-9)
    assert flow.collector_velocity == pytest.approx(1.0, abs=1e-9)
    electrolyte = electrolyte_domain(data.mesh, data.cell_tags, data.facet_tags, True)
    flux = interface_flux(electrolyte, 10.0, cell.radius)
    flow.set_interface(flux.velocity)
    flow.solve([1.0, 5.0])
    r, normal = ufl.SpatialCoordinate(domain.mesh)[0], ufl.FacetNormal(domain.mesh)
    net = _integral(ufl.dot(flow.v, normal) * r * domain.ds())
    inflow = _integral(-flow.v[1] * r * domain.ds()(FACET_TAGS["collector"]))
    assert abs(net) < 1e-8 * inflow


@pytest.mark.slow
def test_regularisation_and_mesh_converged(validation):
    """R at n = 20 changes by < 0.2 % from δ = 1e-5 to 1e-6, and by < 0.2 % when the flow
    mesh is refined twofold (ā = 10, sticking)."""
    from lisse.meshes.cache import load_mesh
    from lisse.solver.fem.domain import electrolyte_domain
    from lisse.solver.physics.creep_flow import CreepFlow, lithium_domain
    from lisse.solver.physics.patch_flow import PatchCell, exponent_sweep, interface_flux

    values = {}
    for scale in (2.0, 1.0):
        cell = PatchCell(**(TEST_CELL | {"flow_mesh_scale": scale}))
        data = load_mesh(cell.geometry(), MPI.COMM_WORLD)
        flux = interface_flux(
            electrolyte_domain(data.mesh, data.cell_tags, data.facet_tags, True), 10.0, cell.radius
        )
        data = load_mesh(cell.geometry(scale), MPI.COMM_WORLD)
        flow = CreepFlow(
            lithium_domain(data.mesh, data.cell_tags, data.facet_tags, cell.radius), "sticking"
        )
        for delta in (1e-5, 1e-6) if scale == 1.0 else (1e-5,):
            values[scale, delta] = exponent_sweep(flow, flux, [20], cell, delta)[-1].v_ratio
    regularisation = abs(values[1.0, 1e-6] / values[1.0, 1e-5] - 1)
    mesh = abs(values[2.0, 1e-5] / values[1.0, 1e-5] - 1)
    assert regularisation < 2e-3 and mesh < 2e-3, values
    validation.record(
        "Patch study: R converged (n = 20, ā = 10)",
        "δ 1e-5 → 1e-6 and h → h/2",
        "convergence",
        "0.2 %",
        f"δ: {regularisation * 100:.3f} %, mesh: {mesh * 100:.3f} %",
        "W = 5a, flow edge a/250 and a/125",
        True,
    )


# --- the command line -------------------------------------------------------------------

QUICK = [
    "--set=sweep.abar=[0.3,3]",
    "--set=sweep.creep_exponents=[1,5]",
    "--set=sweep.contacts=[sticking]",
    "--set=cell.width_ratio=5",
    "--set=cell.lithium_thickness_ratio=5",
    "--set=cell.electrolyte_thickness_ratio=5",
    "--set=mesh.interface_size_ratio=0.1",
    "--set=mesh.edge_size_ratio=0.004",
    "--set=mesh.flow_mesh_scale=1",
]
STUDY = str(ROOT / "configs" / "studies" / "debonded_patch.yaml")


@pytest.mark.slow
def test_cli_study_writes_tables_and_plots(tmp_path, validation):
    out = tmp_path / "patch"
    proc = run_lisse(["study", STUDY, "-o", str(out), *QUICK])
    assert proc.returncode == 0, proc.stderr
    assert "k_J" in proc.stdout and "R stick n=5" in proc.stdout
    rows = (out / "patch_study.csv").read_text().splitlines()
    assert rows[0].startswith("contact,abar,n,k_J,v_ratio") and len(rows) == 5
    data = json.loads((out / "patch_study.json").read_text())
    assert len(data["results"]) == 4 and "opens" in data["criterion"]
    assert set(data["scales"]["reference_stress_MPa"]) == {"1", "5"}
    for name in ("flux_concentration.png", "centre_velocity.png"):
        png = (out / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert (out / "config_resolved.yaml").exists() and (out / "run.json").exists()
    validation.record(
        "Patch study: CLI",
        "lisse study writes CSV, JSON, 2 PNG",
        "configs/studies/debonded_patch.yaml",
        "files complete",
        "ok",
        "quick overrides",
        True,
    )


@pytest.mark.parametrize(
    "override, message",
    [
        ("sweep.abar=[0]", "sweep.abar.0: must be in [0.001, 10000] (got 0)"),
        ("sweep.contact=[sticking]", "sweep.contact: unknown key"),
        ("sweep.contacts=[glued]", "sweep.contacts.0: must be one of"),
        ("cell.width_ratio=-1", "cell.width_ratio: must be > 1 (got -1)"),
        ("numerics.continuation_factor=1", "numerics.continuation_factor: must be > 1 (got 1)"),
        (
            "sweep.stack_pressure_ratio=0.5 cell.lithium_boundary=free",
            "sweep.stack_pressure_ratio: must be 0 with cell.lithium_boundary: free",
        ),
    ],
)
def test_cli_study_rejects_bad_input(override, message):
    proc = run_lisse(["study", STUDY, *(f"--set={item}" for item in override.split())])
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lisse: error: ") and message in lines[0]


BOUNDARIES = ("collector", "free")
MPI_SCRIPT = """
import json, sys
from mpi4py import MPI
from lisse.solver.physics.patch_flow import PatchCell, patch_cases
from tests.verification.test_patch_study import BOUNDARIES, TEST_CELL
res = {b: patch_cases(PatchCell(**TEST_CELL), [3.0], [1, 5], ["frictionless"], MPI.COMM_WORLD,
                      lithium_boundary=b) for b in BOUNDARIES}
if MPI.COMM_WORLD.rank == 0:
    print("RESULTS", json.dumps({b: [[r.k_J, r.v_ratio, r.collector_velocity] for r in rs]
                                 for b, rs in res.items()}))
"""


@pytest.mark.slow
def test_mpi_matches_serial():
    """Both Li boundaries (collector, free) under one ``mpirun -n 2`` against serial."""
    from lisse.solver.physics.patch_flow import PatchCell, patch_cases

    proc = run_mpi([sys.executable, "-c", MPI_SCRIPT])
    assert proc.returncode == 0, proc.stderr
    parallel = json.loads(proc.stdout.split("RESULTS")[1])
    assert sorted(parallel) == sorted(BOUNDARIES)
    for boundary in BOUNDARIES:
        serial = patch_cases(PatchCell(**TEST_CELL), [3.0], [1, 5], ["frictionless"],
                             MPI.COMM_WORLD, lithium_boundary=boundary)
        for mine, theirs in zip(serial, parallel[boundary], strict=True):
            assert theirs == pytest.approx([mine.k_J, mine.v_ratio, mine.collector_velocity],
                                           rel=1e-6)
