"""The elastic electrolyte under the Li's contact pressure (solver.physics.electrolyte_elastic;
``evolution.electrolyte_mechanics: elastic``; docs/moving_interface.md, "The electrolyte:
rigid against elastic").

(a, b) uniform pressure p on the whole top of a layer of thickness H, roller bottom and
symmetry sides (plane strain; axisymmetric with the axis): uniaxial strain, w = p H (1+ν)
(1−2ν)/(E(1−ν)) and the lateral stress σ_xx = σ_θθ = −ν p/(1−ν) (= σ_1) everywhere; the
displacement is linear in y, so the P2 field is exact: tolerance 1e-9 (round-off), with LU
and with CG + GAMG; the same through two elastic regions in series (w = Σ p h_i/M_i);
(c) equilibrium under a non-uniform pressure: the bottom reaction equals the applied force
∫ p r dA to round-off (1e-10); (d) a coupled run with a void: the option leaves the Li and its
contact history bit for bit the same (one-way), its columns are finite, positive while the void
is open, and the uniaxial-strain values once the void has closed (uniform contact pressure)."""

from __future__ import annotations

import numpy as np
import pytest
from dolfinx import mesh as dm
from mpi4py import MPI

from lisse.meshes.geometry import CELL_TAGS, FACET_TAGS
from lisse.solver.config.params import Numerics
from lisse.solver.fem.domain import Domain
from lisse.solver.physics.creep import LinearElastic
from lisse.solver.physics.electrolyte_elastic import ElasticElectrolyte
from tests.verification.test_coupled_interface import case, run

E, NU, P, H, WIDTH = 20e9, 0.3, 2e6, 12e-6, 20e-6
TOL = 1e-9  # the exact (linear) field, to round-off


def layer(dimension: str, nx: int = 4, ny: int = 6, lower: int | None = None) -> Domain:
    """The rectangle [0, WIDTH] × [−H, 0] of electrolyte: top contact, bottom counter, left
    side the axis (axisymmetric) or a symmetry face, right side a symmetry face; ``lower``:
    the cell tag of the lower half (default: electrolyte)."""
    msh = dm.create_rectangle(MPI.COMM_WORLD, [[0.0, -H], [WIDTH, 0.0]], [nx, ny])
    msh.topology.create_connectivity(1, 2)
    left = "axis" if dimension == "axisymmetric" else "side_electrolyte"
    idx, val, seen = [], [], np.zeros(0, dtype=np.int32)
    for name, where in (("contact", lambda x: np.isclose(x[1], 0.0)),
                        ("counter", lambda x: np.isclose(x[1], -H)),
                        (left, lambda x: np.isclose(x[0], 0.0)),
                        ("side_electrolyte", lambda x: np.isclose(x[0], WIDTH))):
        facets = np.setdiff1d(dm.locate_entities_boundary(msh, 1, where), seen)
        seen = np.concatenate([seen, facets])
        idx.append(facets)
        val.append(np.full(facets.size, FACET_TAGS[name], dtype=np.int32))
    idx, val = np.concatenate(idx), np.concatenate(val)
    order = np.argsort(idx)
    n = msh.topology.index_map(2).size_local + msh.topology.index_map(2).num_ghosts
    values = np.full(n, CELL_TAGS["electrolyte"], dtype=np.int32)
    if lower is not None:
        centres = dm.compute_midpoints(msh, 2, np.arange(n, dtype=np.int32))
        values[centres[:, 1] < -H / 2] = lower
    cells = dm.meshtags(msh, 2, np.arange(n, dtype=np.int32), values)
    return Domain(msh, dm.meshtags(msh, 1, idx[order], val[order]),
                  dimension == "axisymmetric", cells)


def solver(dimension: str, linear_solver: str = "auto", **mesh) -> ElasticElectrolyte:
    return ElasticElectrolyte(layer(dimension, **mesh),
                              {CELL_TAGS["electrolyte"]: LinearElastic(E, NU)}, dimension,
                              Numerics(linear_solver=linear_solver))


@pytest.mark.parametrize("dimension", ["plane", "axisymmetric"])
def test_uniform_pressure_is_uniaxial_strain(dimension, validation):
    el = solver(dimension)
    response = el.solve(P)
    w = P * H * (1 + NU) * (1 - 2 * NU) / (E * (1 - NU))  # 0.891 nm
    assert response.deflection.size > 0
    lateral = -NU / (1 - NU) * P
    errors = (float(np.max(np.abs(response.deflection / w - 1))),
              abs(response.max_principal / lateral - 1))
    validation.record(
        f"Elastic electrolyte, uniform pressure ({dimension})",
        f"w = pH(1+ν)(1−2ν)/(E(1−ν)) = {w * 1e9:.4f} nm; σ_1 = −νp/(1−ν)",
        "uniaxial strain (exact in P2)", f"{TOL:g} rel",
        f"{errors[0]:.1e} (w), {errors[1]:.1e} (σ_1)",
        f"4×6 rectangle, P2, {el.V.dofmap.index_map.size_global * 2} dofs", max(errors) < TOL)
    assert np.allclose(response.deflection, w, rtol=TOL, atol=0)
    assert response.max_principal == pytest.approx(lateral, rel=TOL)
    fields = el.fields()
    assert np.allclose(fields["electrolyte_max_principal_stress_Pa"].x.array, lateral, rtol=TOL)
    hydrostatic = P * (1 + 2 * NU / (1 - NU)) / 3
    assert np.allclose(fields["electrolyte_hydrostatic_pressure_Pa"].x.array, hydrostatic,
                       rtol=TOL)
    force = P * (WIDTH if dimension == "plane" else WIDTH**2 / 2)  # per m / per radian
    assert response.applied_force == pytest.approx(force, rel=TOL)
    assert response.bottom_reaction == pytest.approx(force, rel=TOL)
    iterative = solver(dimension, "iterative")  # CG + GAMG (krylov_rtol 1e-12)
    assert iterative.ksp.getPC().getType() == "gamg"
    assert np.allclose(iterative.solve(P).deflection, w, rtol=TOL, atol=0)


@pytest.mark.parametrize("dimension", ["plane", "axisymmetric"])
def test_two_regions_in_series(dimension):
    """Upper half E, lower half (a second region, as a grain-boundary band's own modulus)
    E/4, same ν: uniaxial strain in each, w = (pH/2)(1/M + 4/M), M = E(1−ν)/((1+ν)(1−2ν));
    σ_1 = −νp/(1−ν) in both."""
    band = CELL_TAGS["grain_boundary"]
    el = ElasticElectrolyte(layer(dimension, lower=band),
                            {CELL_TAGS["electrolyte"]: LinearElastic(E, NU),
                             band: LinearElastic(E / 4, NU)}, dimension, Numerics())
    response = el.solve(P)
    modulus = E * (1 - NU) / ((1 + NU) * (1 - 2 * NU))
    assert np.allclose(response.deflection, P * H / 2 * 5 / modulus, rtol=TOL, atol=0)
    assert response.max_principal == pytest.approx(-NU / (1 - NU) * P, rel=TOL)


@pytest.mark.parametrize("dimension", ["plane", "axisymmetric"])
def test_bottom_reaction_equals_the_applied_force(dimension, validation):
    """A parabolic pressure patch p0 (1 − x²/a²) on x < a = WIDTH/2 (the rest unloaded)."""
    el = solver(dimension, nx=8, ny=6)
    a = WIDTH / 2
    response = el.solve(lambda x: P * np.maximum(1 - (x[0] / a) ** 2, 0.0))
    force = P * (2 * a / 3 if dimension == "plane" else a**2 / 4)  # ∫ p r dx, P2 exact
    assert response.applied_force == pytest.approx(force, rel=TOL)
    error = response.bottom_reaction / response.applied_force - 1
    x, r = ("x", "") if dimension == "plane" else ("r", " r")
    validation.record(
        f"Elastic electrolyte, bottom reaction = applied force ({dimension})",
        f"Σ counter y-reactions = ∫ p{r} dA", "equilibrium", "1e-10 rel",
        f"{error:.1e} rel (parabolic patch p0(1 − {x}²/a²), a = W/2)",
        f"8×6 rectangle, P2, {el.V.dofmap.index_map.size_global * 2} dofs, LU",
        abs(error) < 1e-10)
    assert response.bottom_reaction == pytest.approx(response.applied_force, rel=1e-10)
    w = response.deflection
    assert w.max() > 0 and w.max() - w.min() > 0.1 * w.max()  # a dent under the patch
    assert response.max_principal > 0  # tension at the edge of the patch


def _coupled(dimension: str, mode: str):
    c = case(dimension)
    c["evolution"]["electrolyte_mechanics"] = mode
    return run(c)


@pytest.mark.parametrize("dimension", ["plane", "axisymmetric"])
@pytest.mark.slow
def test_coupled_run_is_one_way(dimension, validation):
    """TINY at 2 MPa with its void (coupled model, 40 µm of the library electrolyte): the
    elastic option changes no Li/contact number; the void closes during the run, after which
    the contact pressure is the uniform 2 MPa and the columns take the uniaxial-strain values
    (σ_1 = −ν p/(1−ν), no differential deflection)."""
    rigid_evo, rigid = _coupled(dimension, "rigid")
    evo, elastic = _coupled(dimension, "elastic")
    assert len(rigid.records) == len(elastic.records)
    for a, b in zip(rigid.records, elastic.records, strict=True):
        for name in ("time", "contact_fraction", "max_gap", "cell_voltage",
                     "mean_contact_pressure", "li_void_volume", "collector_recession"):
            assert getattr(a, name) == getattr(b, name), name
        assert a.interface_deflection_range == 0.0  # rigid: not computed
    assert np.array_equal(rigid_evo.body.msh.geometry.x, evo.body.msh.geometry.x)
    stress = np.array([r.max_principal_stress_sse for r in elastic.records])
    spread = np.array([r.interface_deflection_range for r in elastic.records])
    assert np.all(np.isfinite(stress)) and np.all(np.isfinite(spread))
    open_ = np.array([r.contact_fraction < 0.99 for r in elastic.records])
    assert open_[0] and not open_[-1]  # the void closes within the run
    assert np.all(stress[open_] > 0) and np.all(spread[open_] > 0)
    assert spread.max() < 1e-9  # below the contact tolerance (measured 0.14 / 0.11 nm)
    material = evo.electrolyte.electrolyte.regions[CELL_TAGS["electrolyte"]]
    nu, p = material.poisson_ratio, 2e6
    error = abs(stress[-1] / (-nu / (1 - nu) * p) - 1)
    validation.record(
        f"Elastic electrolyte in a coupled run (one-way), {dimension}",
        "Li/contact history unchanged by `electrolyte_mechanics: elastic`; columns finite, "
        f"> 0 while the void is open; after closure σ_1 = −νp/(1−ν) = {-nu / (1 - nu) * 2:.4f}"
        " MPa", "one-way by construction; uniaxial strain", "bit-identical; 1e-6 rel",
        f"identical ({len(elastic.records)} records); σ_1 {error:.1g} rel; largest max w − "
        f"min w over the contact {spread.max() * 1e9:.3g} nm",
        "TINY cell at 2 MPa, void 8 × 2 µm, P2 electrolyte", error < 1e-6)
    assert error < 1e-6
    assert spread[-1] < 1e-6 * P * 40e-6 / material.youngs_modulus  # round-off of w


@pytest.mark.parametrize("dimension", ["plane", "axisymmetric"])
def test_coupled_load_is_the_conserved_transfer(dimension, validation):
    """TINY with its void at 2 MPa (coupled model), one Li step at rest: the elastic
    electrolyte's load is the pore law's transfer (``contact_transfer``) onto its interface
    vertices: its p_k equal the pore law's λ_k at the same nodes (1e-12 rel), its applied
    force ∫ p r dA equals the Li's contact force Σ_{i∈A} R_i to 1e-12 with no rescaling, and
    its bottom reaction balances it (1e-9). Then the load-carrying Li vertex dof at an
    interior node k (5e-11 m off it) is made to float (inactive, R = 0, as in the contact
    band): the force drops by R_i, every p_k by the transfer of R_i alone (linearity, 1e-12
    of max p; the nodes beyond k's neighbours keep theirs, 1e-12), p_k by the share
    (R_i/W_k)(M_kk/w_k) for a locally uniform λ (R_i = ∫ ψ_i r ds λ, W_k = w_k = ∫ φ_k r dx,
    M_kk = ∫ φ_k² r dx on the electrolyte nodes: 1/3 · 2/3 = 2/9 in plane strain; ± 1 %).
    The transfer used before (the Li's nodal λ interpolated between dof abscissae, 0 at
    inactive dofs, rescaled to the contact force) needed a scale 1 − 6.0e-4 (plane),
    1 − 3.4e-5 (axisymmetric) here, put 0.98–1.55 × these p_k on the contact nodes (0 on the
    node next to the void edge) and fails the float: p_k drops to 0 (by 0.99996 and
    0.9999998)."""
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.physics.contact_transfer import li_vertices, tributary_pressure
    from lisse.solver.physics.coupled_cavities import SubgridPores
    from lisse.solver.studies.evolution import _engine
    from lisse.solver.studies.model import build_model

    c = case(dimension)
    c["evolution"]["electrolyte_mechanics"] = "elastic"
    params = resolve(validate_case(c))
    evo = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution)
    evo.advance(0.0, 1.0)
    body, coupling = evo.body, evo.electrolyte
    el, comm = coupling.electrolyte, evo.comm
    owned = body._obstacle[1] < body.vy_space.dofmap.index_map.size_local
    force = comm.allreduce(float(np.sum(body.contact_reaction[owned & body.active])))
    response = coupling.update(evo)

    def gathered(x, values):
        x, v = np.concatenate(comm.allgather(x)), np.concatenate(comm.allgather(values))
        return x[np.argsort(x)], v[np.argsort(x)]

    xs, p = gathered(el.x[:, 0], el.nodal.x.array[el.nodes])
    xl, lam = gathered(evo.x[:, 0], SubgridPores.contact_pressure(evo))
    same = np.allclose(xs, xl, rtol=0, atol=1e-15) and np.allclose(p, lam, rtol=1e-12, atol=0)
    error = response.applied_force / force - 1
    balance = response.bottom_reaction / response.applied_force - 1
    x = body.vy_space.tabulate_dof_coordinates()[body._obstacle[1], 0]
    k = int(np.argmin(np.abs(xs - 20e-6)))  # an interior electrolyte node
    i = np.flatnonzero(np.abs(x - xs[k]) < 1e-9)  # the Li vertex dof on it (if on this rank)
    reaction = comm.allreduce(float(np.sum(body.contact_reaction[i[owned[i]]])))
    assert comm.allreduce(int(np.all(body.active[i]) and i.size > 0), op=MPI.MAX)
    body.active[i], body.contact_reaction[i], body.contact_pressure[i] = False, 0.0, 0.0
    coupling.time = None
    floated = coupling.update(evo)
    _, q = gathered(el.x[:, 0], el.nodal.x.array[el.nodes])
    _, w = gathered(el.x[:, 0], el.weights)
    at = np.concatenate(comm.allgather(x[i[owned[i]]]))
    m = int(dimension == "axisymmetric")
    expected = p - tributary_pressure(xs, w, li_vertices(body, comm), at,
                                      np.full(at.size, reaction / at.size), m)
    drop = 1 - q[k] / p[k]
    a, b, c = xs[k - 1:k + 2]
    share = (c - a) / 6 * b**m / w[k]  # R_i / (λ W_k): ∫ ψ_i r ds = (c − a) b^m / 6
    mass = (c - a) / 3 if m == 0 else ((b - a) * (a + 3 * b) + (c - b) * (3 * b + c)) / 12
    predicted = share * mass / w[k]  # 2/9 in plane strain
    others = np.abs(np.arange(len(p)) - k) > 1
    lost = floated.applied_force / (response.applied_force - reaction) - 1
    ok = bool(same and abs(error) < 1e-12 and abs(balance) < 1e-9
              and abs(drop / predicted - 1) < 0.01
              and np.allclose(q, expected, rtol=0, atol=1e-12 * p.max())
              and np.allclose(q[others], p[others], rtol=1e-12, atol=0) and abs(lost) < 1e-12)
    validation.record(
        f"Elastic electrolyte's load: the conserved transfer of the Li reactions, {dimension}",
        "∫ p r dA = Σ R_i (no rescaling), p_k = the pore law's λ_k; a floating band dof "
        "carries nothing (p at its node falls by (R_i/W_k)(M_kk/w_k))",
        "contact_transfer (vertex hats, then mortar)", "1e-12; 1 %",
        f"∫ p r dA / Σ R − 1 = {error:.1e}; p_k = λ_k: {same}; drop at the floated node "
        f"{drop:.4f} against {predicted:.4f}",
        "TINY with void, 2 MPa, interface 4 µm, one step at rest", ok)
    assert same, np.max(np.abs(p / lam - 1))
    assert abs(error) < 1e-12, error
    assert abs(balance) < 1e-9, balance
    assert np.allclose(q, expected, rtol=0, atol=1e-12 * p.max()), q - expected
    assert np.allclose(q[others], p[others], rtol=1e-12, atol=0), q - p
    assert abs(lost) < 1e-12, lost
    assert abs(drop / predicted - 1) < 0.01, (drop, predicted)  # the old transfer: p_k → 0
