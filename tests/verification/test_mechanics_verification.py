"""Verification of the mechanics solver (../shared/validation.md M1–M3).

M1: uniaxial power-law creep at constant stress: the strain rate is ε̇₀(σ/S)ⁿ from the first
    creep step on (the stress is statically determined), at two temperatures; 3D and
    axisymmetric.
M2: closure of a cylindrical hole (plane strain) in a power-law creeping solid under an
    outer pressure p, at steady state. The exact steady rate of a thick cylinder a < r < b
    (incompressible flow v_r = −C/r, equilibrium integrated from the free hole to r = b) is
        (da/dt)/a = −(√3/2) ε̇₀ (√3 p / (n σ₀ (1 − (a/b)^(2/n))))ⁿ,
    which tends to the validation formula as b → ∞. For n = 6.6 and b = 20a the finite-b
    factor is ~30, so the test compares with the finite-b law (the solver does not know
    it). The elastic part is compressible (ν = 0.3); at steady state the stress is constant,
    the elastic strain rate vanishes and the measured rate is pure creep.
M3: Kirsch: peak hoop stress 3σ∞ at a circular hole, plate 30 hole radii wide.

``main()`` prints the numbers (used for the ``mpirun -n 2`` comparison).
"""

from __future__ import annotations

import numpy as np
import pytest
from dolfinx import fem
from dolfinx import mesh as dm
from mpi4py import MPI

from lisse.meshes.geometry import CELL_TAGS, FACET_TAGS
from lisse.meshes.plates import quarter_plate
from lisse.solver.config.params import GAS_CONSTANT, Numerics
from lisse.solver.physics.creep import LinearElastic, PowerLawCreep, deviator, von_mises
from lisse.solver.physics.mechanics import Mechanics
from tests.helpers import mpi_numbers, print_numbers

# Li library values (solver/config/data/materials.yaml)
LI = dict(
    youngs_modulus=7.8e9,
    poisson_ratio=0.38,
    prefactor=4.25e4,
    activation_energy=37e3,
    reference_stress=0.95e6,
    exponent=6.67,
)
LLZO = LinearElastic(150e9, 0.26)
DIRECT = Numerics(linear_solver="direct")


def _tags(msh, dim, groups):
    idx = np.concatenate([g for g, _ in groups])
    val = np.concatenate([np.full(len(g), t) for g, t in groups]).astype(np.int32)
    order = np.argsort(idx)
    return dm.meshtags(msh, dim, idx[order], val[order])


def _column(comm, dimension: str, size: float):
    """A Li block [0, size]^d (3D) or rectangle (axisymmetric): bottom "counter", top
    "collector", x = 0 (and y = 0 in 3D) symmetry faces; other faces free."""
    if dimension == "3d":
        msh = dm.create_box(comm, [[0, 0, 0], [size] * 3], [2, 2, 2])
    else:
        msh = dm.create_rectangle(comm, [[0, 0], [size, size]], [2, 2])
    tdim, z = msh.topology.dim, msh.geometry.dim - 1
    cells = np.arange(msh.topology.index_map(tdim).size_local, dtype=np.int32)
    cell_tags = _tags(msh, tdim, [(cells, CELL_TAGS["lithium"])])

    def on(f):
        return dm.locate_entities_boundary(msh, tdim - 1, f)

    side = "axis" if dimension == "axisymmetric" else "side_lithium"
    groups = [
        (on(lambda x: np.isclose(x[z], 0)), FACET_TAGS["counter"]),
        (on(lambda x: np.isclose(x[z], size)), FACET_TAGS["collector"]),
        (on(lambda x: np.isclose(x[0], 0) | (np.isclose(x[1], 0) & (z == 2))), FACET_TAGS[side]),
    ]
    return msh, cell_tags, _tags(msh, tdim - 1, groups)


def m1_rate(temperature: float, dimension: str = "3d", stress: float = 1.0e6) -> float:
    """Steady uniaxial creep rate [1/s] under a traction ``stress`` on a Li column."""
    size = 10e-6
    msh, ct, ft = _column(MPI.COMM_WORLD, dimension, size)
    li = PowerLawCreep(temperature=temperature, **LI)
    mech = Mechanics(msh, ct, ft, dimension, li, LLZO, "traction", stress, DIRECT)
    z = msh.geometry.dim - 1
    mech.step(0.0)
    top = []
    for dt in (1e-3, 1e-2, 0.1, 0.1):
        mech.step(dt)
        uz = mech.u.x.array.reshape(-1, msh.geometry.dim)[:, z]
        top.append(MPI.COMM_WORLD.allreduce(uz.min(), op=MPI.MIN))
    return -(top[-1] - top[-2]) / size / 0.1


def m2_rate(n: float, hole_size: float = 0.1, t_end: float = 2.0) -> tuple[float, float, int]:
    """(measured steady (da/dt)/a, exact finite-b value, unknowns) for a hole of radius a
    in a quarter disc of radius b = 20a; σ₀ = 1 MPa, ε̇₀ = 1/s, E = 1000 σ₀."""
    a, b, s0 = 1e-6, 20e-6, 1e6
    data = quarter_plate(MPI.COMM_WORLD, a, b, hole_size * a, 2 * a, "circle", "lithium")
    li = PowerLawCreep(1e3 * s0, 0.3, 1.0, 0.0, s0, n, 300.0)
    shape = 1 - (a / b) ** (2 / n)
    p = n * s0 * shape / np.sqrt(3)  # gives an exact rate of order one
    exact = -(np.sqrt(3) / 2) * (np.sqrt(3) * p / (n * s0 * shape)) ** n
    mech = Mechanics(
        data.mesh, data.cell_tags, data.facet_tags, "plane", li, LLZO, "traction", p, DIRECT
    )
    x = mech.V.tabulate_dof_coordinates()
    nown = mech.V.dofmap.index_map.size_local
    hole = np.flatnonzero(np.isclose(np.hypot(x[:nown, 0], x[:nown, 1]), a, rtol=1e-6))
    comm = MPI.COMM_WORLD
    count = comm.allreduce(len(hole))

    def radial():  # mean radial displacement of the hole nodes
        u = mech.u.x.array.reshape(-1, 2)[hole]
        return (
            comm.allreduce(
                float(np.sum(u[:, 0] * x[hole, 0] + u[:, 1] * x[hole, 1]) / a), op=MPI.SUM
            )
            / count
        )

    mech.step(0.0)
    rates, previous = [], (0.0, radial())
    for t in np.geomspace(1e-4, t_end, 24):
        mech.step(t - mech.time)
        now = (mech.time, radial())
        rates.append((now[1] - previous[1]) / (now[0] - previous[0]) / a)
        previous = now
    assert abs(rates[-1] / rates[-2] - 1) < 2e-3, "closure rate not yet steady"
    return rates[-1], exact, mech.ndofs


def m3_hoop(hole_size: float) -> tuple[float, int]:
    """Peak hoop stress / σ∞ at (0, a) of a quarter plate (side 30a) in tension along x;
    σ_xx at the node from each adjacent cell (P2: linear strain per cell), averaged."""
    a, sigma = 1e-6, 1e6
    data = quarter_plate(MPI.COMM_WORLD, a, 30 * a, hole_size * a, 3 * a, "square", "electrolyte")
    msh = data.mesh
    li = LinearElastic(LI["youngs_modulus"], LI["poisson_ratio"])
    mech = Mechanics(
        msh, data.cell_tags, data.facet_tags, "plane", li, LLZO, "traction", -sigma, DIRECT
    )
    mech.step(0.0)
    x = msh.geometry.x
    vertex = np.flatnonzero(np.isclose(x[:, 0], 0) & np.isclose(x[:, 1], a))
    reference = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    expr = fem.Expression(mech.elastic_stress(mech.u)[0], reference)  # collective (JIT)
    total, count = 0.0, 0
    if vertex.size:
        msh.topology.create_connectivity(0, 2)
        cells = msh.topology.connectivity(0, 2).links(vertex[0])
        cells = cells[cells < msh.topology.index_map(2).size_local]  # owned: no duplicates
        values = expr.eval(msh, cells)
        local = np.argmax(msh.geometry.dofmaps[0][cells] == vertex[0], axis=1)
        chosen = values[np.arange(len(cells)), local]
        total, count = float(chosen.sum()), len(chosen)
    comm = MPI.COMM_WORLD  # the vertex may be on several ranks (ghosts): plain average
    return comm.allreduce(total) / comm.allreduce(count) / sigma, mech.ndofs


# --- constitutive update ---------------------------------------------------------------------


def test_return_mapping_and_consistent_tangent():
    """Backward-Euler residual satisfied to round-off, and the tangent matches finite
    differences of the stress update (plane and 3D Mandel vectors)."""
    rng = np.random.default_rng(1)
    for ncomp in (4, 6):
        li = PowerLawCreep(temperature=298.15, **LI)
        li.allocate(5, ncomp)
        li.eps_creep = deviator(rng.normal(scale=2e-4, size=(5, ncomp)))
        strain = rng.normal(scale=5e-4, size=(5, ncomp))
        dt = 0.3
        tan = li.update(strain, dt)
        q = von_mises(tan.stress)
        dp = li._trial[1] - li.p
        assert np.allclose(dp, dt * li.equivalent_rate(q), rtol=1e-10)
        one = np.r_[1.0, 1.0, 1.0, np.zeros(ncomp - 3)]
        dev = np.eye(ncomp) - np.outer(one, one) / 3
        for i in range(5):
            Ci = (
                tan.bulk * np.outer(one, one)
                + tan.shear2[i] * dev
                + tan.rank1[i] * np.outer(tan.direction[i], tan.direction[i])
            )
            h = 1e-9
            fd = np.empty((ncomp, ncomp))
            for k in range(ncomp):
                e = strain.copy()
                e[i, k] += h
                plus = li.update(e, dt).stress[i]
                e[i, k] -= 2 * h
                fd[:, k] = (plus - li.update(e, dt).stress[i]) / (2 * h)
            assert np.allclose(Ci, fd, rtol=1e-5, atol=1e-5 * np.abs(fd).max())


# --- M1 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dimension", ["3d", "axisymmetric"])
def test_m1_uniaxial_creep_rate(dimension, validation):
    for celsius in (25.0, 60.0):
        T = celsius + 273.15
        rate = m1_rate(T, dimension)
        exact = (
            LI["prefactor"]
            * np.exp(-LI["activation_energy"] / (GAS_CONSTANT * T))
            * (1.0 / 0.95) ** LI["exponent"]
        )
        err = abs(rate / exact - 1)
        validation.record(
            f"M1 uniaxial creep, {dimension}, {celsius:g} °C",
            f"ε̇ = A e^(−Q/RT)(σ/S)ⁿ = {exact:.4e} 1/s",
            "validation.md M1",
            "1 %",
            f"{rate:.4e} 1/s ({err:.1e} rel)",
            "2×2(×2) P2",
            err < 0.01,
        )
        assert err < 0.01, (celsius, rate, exact)


# --- M2 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1.0, 3.0, 6.6])
def test_m2_void_closure_rate(n, validation):
    rate, exact, ndofs = m2_rate(n)
    err = abs(rate / exact - 1)
    validation.record(
        f"M2 void closure, n = {n:g}",
        "(da/dt)/a = −(√3/2)ε̇₀(√3p/(nσ₀(1−(a/b)^(2/n))))ⁿ",
        "validation.md M2 (finite-b form)",
        "5 %",
        f"{rate:.4f} vs {exact:.4f} 1/s ({err:.1e} rel)",
        f"b = 20a, h = a/10 at the hole, P2, {ndofs} dofs",
        err < 0.05,
    )
    assert err < 0.05


@pytest.mark.slow
def test_m2_mesh_convergence(validation):
    coarse, exact, _ = m2_rate(3.0, hole_size=0.1)
    fine, _, ndofs = m2_rate(3.0, hole_size=0.05)
    change = abs(fine / coarse - 1)
    validation.record(
        "M2 mesh convergence, n = 3",
        "h/2 changes the rate < 0.5 %",
        "validation.md (tolerance/10)",
        "0.5 %",
        f"{change:.1e} rel; fine mesh {abs(fine / exact - 1):.1e} from exact",
        f"h = a/20 at the hole, {ndofs} dofs",
        change < 0.005,
    )
    assert change < 0.005
    assert abs(fine / exact - 1) < 0.05


# --- M3 ---------------------------------------------------------------------------------------


def test_m3_kirsch_hoop_stress(validation):
    coarse, _ = m3_hoop(0.05)
    fine, ndofs = m3_hoop(0.025)
    err = abs(fine / 3 - 1)
    validation.record(
        "M3 Kirsch hole",
        "σ_θθ,max = 3σ∞",
        "validation.md M3",
        "2 %",
        f"{fine:.4f} σ∞ (h/2: {abs(fine / coarse - 1):.1e} change)",
        f"plate 30a, h = a/40 at the hole, P2, {ndofs} dofs",
        err < 0.02,
    )
    assert err < 0.02
    assert abs(fine / coarse - 1) < 0.002


# --- MPI ----------------------------------------------------------------------------------


def _numbers() -> dict:
    return {
        "m1": m1_rate(298.15),
        "m1_axi": m1_rate(333.15, "axisymmetric"),
        "m2": m2_rate(3.0)[0],
        "m3": m3_hoop(0.05)[0],
    }


@pytest.mark.slow
def test_mechanics_mpi_matches_serial():
    parallel = mpi_numbers("tests.verification.test_mechanics_verification")
    serial = _numbers()
    for key, value in serial.items():
        assert parallel[key] == pytest.approx(value, rel=1e-6), key


def main() -> None:
    print_numbers(_numbers())
