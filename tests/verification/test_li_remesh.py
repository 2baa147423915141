"""Li remeshing of the coupled interface model (solver.physics.li_remesh;
docs/moving_interface.md "Li remeshing"): the new mesh keeps the Li volume to round-off and
the facet tags, restores the cell quality, and carries the per-cell state; a coupled Anand
run that stalls without it strips on with it, and under mpirun -n 2 gives serial's records."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from tests.helpers import mpi_numbers, print_numbers
from tests.verification.test_coupled_interface import case

SAG = 0.02  # outward shift of a bottom edge's mid node / the edge's length
AMPLITUDE = 0.1e-6  # m: distortion of the interior nodes (cells of 1–10 µm), none inverted
# (DOLFINx integrates |det J|: an inverted cell would add volume)


def distorted(dimension: str):
    """The TINY Li body (void at the axis, P2) with its interior nodes moved by up to
    AMPLITUDE (by their rank-independent number, ``li_gather``): (body, its smallest cell
    quality before the distortion)."""
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.physics.li_gather import GatheredMesh
    from lisse.solver.physics.li_remesh import boundary_edges
    from lisse.solver.physics.li_remesh_transfer import min_quality
    from lisse.solver.studies.model import lithium_body

    body = lithium_body(resolve(validate_case(case(dimension))), MPI.COMM_WORLD)
    q0 = min_quality(body)
    mesh = GatheredMesh(body.msh, body.comm)
    x = mesh.nodes(body.msh.geometry.x)
    interior = np.ones(len(x), dtype=bool)
    interior[boundary_edges(mesh.cells).ravel()] = False
    k = np.arange(len(x), dtype=float)[interior]
    x[interior, 0] += AMPLITUDE * np.sin(1.7 * k)
    x[interior, 1] += AMPLITUDE * np.cos(2.3 * k)
    body.msh.geometry.x[:, :2] = x[mesh.local]
    return body, q0


def _tag_lengths(body) -> dict[int, float]:
    """{facet tag: ∫ ds over its facets} of the body's mesh (all ranks)."""
    import ufl
    from dolfinx import fem

    ds = ufl.Measure("ds", domain=body.msh, subdomain_data=body.tags)
    one = fem.Constant(body.msh, 1.0)
    tags = np.unique(np.concatenate(body.comm.allgather(body.tags.values)))
    return {int(t): body.comm.allreduce(fem.assemble_scalar(fem.form(one * ds(int(t)))))
            for t in tags}


def _integral(body, values: np.ndarray) -> float:
    """∫ f r^k dA of the DG0 values ``values`` on the body's mesh (all ranks)."""
    import ufl
    from dolfinx import fem

    f = fem.Function(body.strength.function_space)
    f.x.array[:] = values
    r = ufl.SpatialCoordinate(body.msh)[0] if body.axisymmetric else 1.0
    return body.comm.allreduce(fem.assemble_scalar(fem.form(
        f * r * ufl.dx(metadata={"quadrature_degree": 4}))))


def remeshed(dimension: str) -> dict:
    """The distorted TINY Li body remeshed, a uniform S and a linear ε_eq carried: the
    qualities q0 (initial), q1 (distorted), q2 (remeshed), the relative volume change, the
    largest relative change of a tag's boundary length, whether S stayed uniform and the
    relative change of ∫ ε_eq r^k dA."""
    from dolfinx import fem

    from lisse.solver.physics.evolution_settings import REMESH_QUALITY
    from lisse.solver.physics.li_remesh import remesh
    from lisse.solver.physics.li_remesh_transfer import min_quality

    body, q0 = distorted(dimension)
    q1, v1, tags1 = min_quality(body), body.volume(), _tag_lengths(body)
    space = body.strength.function_space
    body.strength.x.array[:] = 1.7  # uniform S/σ0
    strain = fem.Function(space)
    strain.interpolate(lambda p: 1.0 + p[0] / 40e-6 + 0.5 * p[1] / 10e-6)  # at the centroids
    before = _integral(body, strain.x.array)
    new, strain_new = remesh(body, strain, REMESH_QUALITY * q0)  # the engine's trigger
    tags2 = _tag_lengths(new)
    assert tags2.keys() == tags1.keys()
    return {"q0": q0, "q1": q1, "q2": min_quality(new), "drift": abs(new.volume() / v1 - 1),
            "tags": max(abs(tags2[t] / length - 1) for t, length in tags1.items()),
            "uniform": bool(new.comm.allreduce(bool(np.all(new.strength.x.array == 1.7)),
                                               op=MPI.LAND)),
            "transfer": abs(_integral(new, strain_new) / before - 1)}


@pytest.mark.parametrize("dimension", ["plane", "axisymmetric"])
def test_remesh_conserves_li_tags_and_state(dimension, validation):
    """Volume after = before to 1e-12 relative (plane ∫ dA, axisymmetric ∫ r dA); the
    smallest quality back above the initial mesh's / 2; every tag's boundary length the
    same (1e-12); a uniform S carried exactly; ∫ S r^k dA of a linear S (per cell, at its
    centroid) and of ε_eq within 1 % (point remap: not conservative)."""
    r = remeshed(dimension)
    assert 0 < r["q1"] < 0.5 * r["q0"]
    assert r["drift"] < 1e-12
    assert r["q2"] > 0.5 * r["q0"]
    assert r["tags"] < 1e-12
    assert r["uniform"]
    assert r["transfer"] < 0.01
    validation.record(f"E5 Li volume through a remeshing ({dimension})",
                      "volume after = before", "exact (boundary integral)", "1e-12",
                      f"{r['drift']:.1e}; min cell quality {r['q1']:.2f} → {r['q2']:.2f}; "
                      f"linear field integral {r['transfer']:.1e}", "TINY cell, P2 Li", True)


def test_axis_vertex_stays_weightless_after_a_remeshing():
    """The axisymmetric Li body's weightless obstacle dof (the P2 vertex on the axis: ∫ φ r ds
    = 0 on a straight edge from r = 0, so it takes its partner's contact state) is the same
    after a remeshing whose axis roof edge is bent: its mid node moved outward by SAG of the
    edge's length, which the remeshing keeps (boundary mid nodes copied). Its weight is then
    about +1.2 % of the mid node's (closed form on a straight edge from r = 0), so the former
    weight threshold (1e-9 of the largest) lost it: no weightless dof after the remeshing
    (this test's failure without the topological rule). Measured on an
    axisymmetric Anand strip remeshing on the open void's roof (docs/moving_interface.md
    "Not done in 3D"): −2.9e-7 and −3.8e-7 of the largest, kept only by its sign."""
    from dolfinx import fem
    from dolfinx import mesh as dmesh

    from lisse.solver.physics.evolution_settings import REMESH_QUALITY
    from lisse.solver.physics.li_remesh import remesh

    def on_axis(body):  # the obstacle dofs at r = 0
        x = body.vy_space.tabulate_dof_coordinates()[body._obstacle[1]]
        return np.flatnonzero(np.abs(x[:, 0]) <= 1e-12 * np.max(np.abs(x))).tolist()

    body, q0 = distorted("axisymmetric")
    assert body._weightless.tolist() == on_axis(body) and len(on_axis(body)) == 1
    x = body.msh.geometry.x
    edges = dmesh.entities_to_geometry(body.msh, 1, body.obstacle_facets)  # vertices, mid
    (edge,) = edges[(np.abs(x[edges[:, :2], 0]) <= 1e-12 * np.max(np.abs(x))).any(axis=1)]
    x[edge[2], 0] += SAG * np.linalg.norm(x[edge[1]] - x[edge[0]])
    new, _ = remesh(body, fem.Function(body.strength.function_space), REMESH_QUALITY * q0)
    assert new._weightless.tolist() == on_axis(new) and len(on_axis(new)) == 1


def film(r0: float, n: int = 3, width: float = 2.7e-6, top: float = 33e-9,
         sag: float = 18e-9) -> tuple[np.ndarray, np.ndarray]:
    """A Li film at r0 ≤ x ≤ r0 + n·``width`` [m] as at the strip benchmark's stall: contact
    vertices (y = 0) ``width``/2 apart, collector vertices ``width`` apart at y = ``top``,
    their P2 collector edges sagging to y = ``sag`` at the mid node; every cell has its
    three vertices on the boundary. (P2 nodes (N, 2), cells (C, 6), DOLFINx order)."""
    from lisse.solver.physics.li_smoothing import EDGES

    bottom = np.column_stack([r0 + 0.5 * width * np.arange(2 * n + 1), np.zeros(2 * n + 1)])
    roof = np.column_stack([r0 + width * np.arange(n + 1), np.full(n + 1, top)])
    t = 2 * n + 1  # the first collector vertex
    tri = np.array([c for k in range(n) for c in ((2 * k, 2 * k + 1, t + k),
                   (2 * k + 1, t + k + 1, t + k), (2 * k + 1, 2 * k + 2, t + k + 1))])
    v = np.concatenate([bottom, roof])
    pairs, inverse = np.unique(np.sort(tri[:, EDGES[:, :2]].reshape(-1, 2), axis=1),
                               axis=0, return_inverse=True)
    mids = 0.5 * (v[pairs[:, 0]] + v[pairs[:, 1]])
    mids[np.all(pairs >= t, axis=1), 1] = sag
    return np.concatenate([v, mids]), np.column_stack([tri, len(v) + inverse.reshape(-1, 3)])


def _p2_integral(x: np.ndarray, cells: np.ndarray, weight: int) -> float:
    """∫ r^weight dA over the P2 cells (6-point Gauss rule: exact for the P2 map)."""
    import basix

    points, w = basix.make_quadrature(basix.CellType.triangle, 6)
    table = basix.create_element(basix.ElementFamily.P, basix.CellType.triangle,
                                 2).tabulate(1, points)[..., 0]  # (3, q, 6)
    xc = x[cells]
    r = np.einsum("qi,ci->cq", table[0], xc[..., 0])
    jac = np.einsum("dqi,cia->cqad", table[1:], xc)
    det = jac[..., 0, 0] * jac[..., 1, 1] - jac[..., 0, 1] * jac[..., 1, 0]
    return float(np.sum(w * r**weight * det))


def _curve(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Points c(t) of the P2 edge p = (a, b, mid) (rows of coordinates)."""
    a, b, m = p
    t = t[:, None]
    return a * (1 - t) * (1 - 2 * t) + 4 * m * t * (1 - t) + b * t * (2 * t - 1)


@pytest.mark.parametrize("r0", [0.0, 20e-6], ids=["plane", "axisymmetric"])
def test_boundary_split_is_exact_and_repairs_film(r0, validation):
    """The film of ``film`` (every cell's vertices on the boundary, smallest q 2.6e-3):
    remeshed with the split (``li_boundary_split``) the Li volume (∫ dA, ∫ r dA) is the
    same to 1e-12 relative, every new boundary edge lies on its old edge's P2 curve (7
    points each, to 1e-15 of the size), its tag is the old edge's, and the smallest q rises
    over 5×; without the split (no cell below 0) the mesh comes back as it was (q not
    better: ``remesh`` would keep the old mesh)."""
    from lisse.solver.physics.li_remesh import boundary_edges, p2_mesh
    from lisse.solver.physics.li_remesh_transfer import facet_key
    from lisse.solver.physics.li_smoothing import cell_quality

    x, cells = film(r0)
    q_old = float(np.min(cell_quality(x, cells)))
    kept, kept_cells, _ = p2_mesh(x, cells, 0.0, 1e-8)
    assert float(np.min(cell_quality(kept, kept_cells))) <= q_old  # not repaired
    nodes, new_cells, aliases = p2_mesh(x, cells, 0.25, 1e-8)
    q_new = float(np.min(cell_quality(nodes, new_cells)))
    assert q_new > 5 * q_old
    drift = max(abs(_p2_integral(nodes, new_cells, k) / _p2_integral(x, cells, k) - 1)
                for k in (0, 1))
    assert drift < 1e-12
    old = {facet_key(x[a], x[b]): (a, b, m) for a, b, m in boundary_edges(cells)}
    tag = {key: 15 if x[a, 1] > 0 and x[b, 1] > 0 else 11 for key, (a, b, _) in old.items()}
    tag |= {new: tag[parent] for new, parent in aliases.items()}  # as ``_facet_tags``
    s, size, off = np.linspace(0, 1, 7), float(np.max(np.abs(x))), 0.0
    halves = 0
    for a, b, m in boundary_edges(new_cells):
        key = facet_key(nodes[a], nodes[b])
        parent = old[aliases.get(key, key)]
        assert tag[key] == (15 if nodes[a, 1] > 0 and nodes[b, 1] > 0 else 11)
        halves += key not in old
        where = {tuple(x[n]): t for n, t in zip(parent, (0.0, 1.0, 0.5), strict=True)}
        ta, tb = where[tuple(nodes[a])], where[tuple(nodes[b])]
        sampled = _curve(nodes[[a, b, m]], s) - _curve(x[list(parent)], ta + s * (tb - ta))
        off = max(off, float(np.max(np.abs(sampled))) / size)
    assert off < 1e-15
    assert halves >= 2 and set(aliases.values()) <= set(old)
    dimension = "axisymmetric" if r0 else "plane"
    validation.record(f"E5 Li volume through a boundary-edge split ({dimension})",
                      "volume after = before; curve kept", "exact (P2 halves)", "1e-12",
                      f"{drift:.1e}; curve {off:.0e} of the size; min cell quality "
                      f"{q_old:.1e} → {q_new:.1e} ({q_old:.1e} without the split)",
                      "33 nm film, 8.1 µm, P2", True)


def strip_anand(remeshing: bool, electrolyte: str = "rigid"):
    """The TINY plane cell, Anand Li, stripped at 1 mA/cm² to 0.3 mAh/cm²; stops (paused) when
    the Li step length falls below 1e-3 s (the stall of the folding contact cells); without
    remeshing: ``evolution.remesh_quality: 0``; ``electrolyte``: its
    ``electrolyte_mechanics`` (elastic: one-way, the Li's motion is the same)."""
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.studies.evolution import _engine
    from lisse.solver.studies.model import build_model

    c = case("plane", steps=[{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 0.3}])
    c["lithium"] = {"creep_law": "anand"}
    c.setdefault("output", {})["fields"] = False
    c["evolution"]["electrolyte_mechanics"] = electrolyte
    if not remeshing:
        c["evolution"]["remesh_quality"] = 0
    params = resolve(validate_case(c))
    evo = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution)

    def stalled(control, outcome) -> bool:
        r = outcome.records
        return len(r) > 2 and r[-1].time - r[-2].time < 1e-3

    return evo, evo.run(pause=stalled)


@pytest.fixture(scope="module")
def anand_strip():
    """(engine, outcome) of ``strip_anand(True, "elastic")``, run once for this module's
    tests."""
    return strip_anand(True, "elastic")


@pytest.mark.slow
def test_anand_strip_remeshes_past_the_stall(anand_strip, validation):
    """Without remeshing the Anand strip stalls (Δt → 0, contact cells folding) before
    0.1 mAh/cm² (measured 0.052); with it the 0.3 mAh/cm² are reached, remeshing at least
    once, with E5 ≤ 0.5 %; then the Li point data of fields.xdmf are left out (and noted for
    summary.json), the vertex contact pressures (interface picture) are there. The elastic
    electrolyte (one-way) is loaded by the remeshed Li: its transferred contact pressure
    (``contact_transfer``) carries the Li's contact force without rescaling (1e-12: full
    contact at the end) and its bottom reaction balances it (1e-9)."""
    from lisse.units import C_M2_PER_MAH_CM2, FARADAY

    evo, outcome = anand_strip
    omega = evo.params.electrode.molar_volume
    reached = outcome.records[-1].li_stripped * FARADAY / omega / C_M2_PER_MAH_CM2
    e5 = max(r.mass_balance_error for r in outcome.records)
    assert not outcome.paused and not outcome.failed
    assert reached == pytest.approx(0.3, rel=1e-9)
    assert evo.remeshes >= 1
    assert e5 <= 5e-3
    assert evo.li_fields() is None  # fields.xdmf: Li point data until the 1st remeshing
    values = evo.li_values()  # li_remesh<k>.xdmf: the Li's own vertices (li_dataset)
    assert values["li_displacement_m"].shape == (len(evo._vertices), 2)
    assert all(np.all(np.isfinite(v)) and len(v) == len(evo._vertices) for v in values.values())
    pressure = evo.vertex_contact_pressure()  # the interface picture's, on the new mesh
    assert np.all(pressure >= 0) and np.max(pressure) > 0
    response = evo.electrolyte.update(evo)
    body = evo.body
    owned = body._obstacle[1] < body.vy_space.dofmap.index_map.size_local
    carried = evo.comm.allreduce(float(np.sum(body.contact_reaction[owned & body.active])))
    assert response.applied_force == pytest.approx(carried, rel=1e-12)
    assert response.applied_force == pytest.approx(evo.last.contact_force, rel=1e-12)
    assert response.bottom_reaction == pytest.approx(response.applied_force, rel=1e-9)
    assert outcome.records[-1].max_principal_stress_sse != 0
    _, stalled = strip_anand(False)
    before = stalled.records[-1].li_stripped * FARADAY / omega / C_M2_PER_MAH_CM2
    assert stalled.paused and before < 0.1
    validation.record("E5 Li bookkeeping through Li remeshing (Anand strip)",
                      "(V0 − V)/A vs (Ω/F)∫ i dt", "0", "0.5 %",
                      f"{e5:.1e}; 0.3 mAh/cm² with {evo.remeshes:g} remeshings (stall at "
                      f"{before:.3f} mAh/cm² without)", "TINY plane, Anand, 1 mA/cm²", True)


def _series(outcome) -> np.ndarray:
    """The numeric columns of the records (rows: records)."""
    from dataclasses import asdict

    return np.array([[v for v in asdict(r).values() if not isinstance(v, str)]
                     for r in outcome.records], dtype=float)


def main() -> None:
    """Under mpirun: print the Anand strip's records and remeshings and the remeshed
    bodies' numbers (plane, axisymmetric) as JSON on rank 0."""
    evo, outcome = strip_anand(True, "elastic")
    print_numbers({"series": _series(outcome).tolist(), "remeshes": evo.remeshes} | {
        dimension: remeshed(dimension) for dimension in ("plane", "axisymmetric")})


@pytest.mark.slow  # mpirun: ~7 s CPU per rank
def test_remesh_mpi_matches_serial(anand_strip, validation):
    """mpirun -n 2: the Anand strip (elastic electrolyte) remeshes as often as serial and its
    records equal serial's, every column to 1e-9 of its largest value (E5, the midpoint
    fixed point's residual, to 1e-8 absolutely); the remeshed bodies (plane, axisymmetric)
    keep their volume and tag lengths to 1e-12 and have serial's smallest quality (1e-12)."""
    from dataclasses import asdict

    parallel = mpi_numbers("tests.verification.test_li_remesh")
    evo, outcome = anand_strip
    serial = _series(outcome)
    assert parallel["remeshes"] == evo.remeshes
    other = np.asarray(parallel["series"])
    assert other.shape == serial.shape
    balance = list(asdict(outcome.records[0])).index("mass_balance_error")
    others = np.arange(serial.shape[1]) != balance
    a, b = other[:, others], serial[:, others]
    scale = np.max(np.abs(b), axis=0)  # each column's largest value
    column = float(np.max(np.abs(a - b) / np.where(scale > 0, scale, 1.0)))
    balance_difference = float(np.max(np.abs(other - serial)[:, balance]))
    assert np.all(np.abs(a - b) <= 1e-9 * scale)
    assert balance_difference <= 1e-8
    for dimension in ("plane", "axisymmetric"):
        r = parallel[dimension]
        assert r["drift"] < 1e-12 and r["tags"] < 1e-12 and r["uniform"], dimension
        assert r["q2"] == pytest.approx(remeshed(dimension)["q2"], rel=1e-12), dimension
    drift = max(parallel[d]["drift"] for d in ("plane", "axisymmetric"))
    validation.record("E5 Li remeshing: mpirun -n 2 vs serial (Anand strip)",
                      "serial records; same remeshings", "parallel consistency",
                      "1e-9 of each column's largest value; E5 1e-8 absolute",
                      f"{column:.1e}; E5 {balance_difference:.1e}; {evo.remeshes:g} "
                      f"remeshings in {len(serial)} records; remeshed bodies (plane, "
                      f"axisymmetric, 2 ranks): volume {drift:.1e}", "TINY plane, Anand, 1 mA/cm², "
                      "elastic electrolyte", True)
