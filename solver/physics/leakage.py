"""Electronic leakage through the electrolyte and the Li nucleation risk inside it.

The electrolyte is a mixed conductor: beside the ionic potential φ (``solver.physics.current``)
it carries an electron potential φ_e [V] (minus the electrochemical potential of its
electrons over F) that obeys

    ∇·(σ_e ∇φ_e) = 0,    φ_e = V on the Li (contact and Li-filled cracks),
                         φ_e = 0 on the counter electrode,  no flux elsewhere,

with the electronic conductivity σ_e [S/m] (a float or a DG0 field: grain boundaries
conduct electrons better). The electronic current density is j_e = −σ_e∇φ_e [A/m²].

The local Li potential vs Li/Li⁺ is U = φ_e − φ (the overpotential a Li nucleus at that
point would have: at the Li contact U equals the interface overpotential). Li metal is
stable where U < 0, but a nucleus has a barrier: by classical nucleation theory only a
nucleus larger than the critical radius

    r* = 2 γ Ω / (F |U|)        (Gibbs–Thomson; as used for electrodeposited Li by
                                 Pei et al., Nano Lett. 17 (2017) 1132)

grows, γ [J/m²] the interface energy of the nucleus, Ω the molar volume of Li. A metallic
sphere of radius r in the electronic current density j_e collects the current 3π r² |j_e|
(a perfect conductor in a uniform field), so it reaches r* within the plating time t if
(4/3)π r*³ F/Ω ≤ 3π r*² |j_e| t, i.e. a point is at risk of Li nucleation where

    U < 0   and   |U| |j_e| t ≥ 8γ/9.

Ω cancels; the charge per area needed, 8γ/(9|U|), falls as U grows more negative, so the
risk region grows continuously with σ_e (|j_e| ∝ σ_e), with the current and with time.
The ionic and electronic problems are coupled only through U: the electronic current
(σ_e/κ ~ 1e-5 or less) does not change the ionic one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import ufl
from dolfinx import fem
from dolfinx.fem.petsc import LinearProblem
from mpi4py import MPI

from lisse.solver.config.params import Numerics
from lisse.solver.errors import SolverError
from lisse.solver.fem.domain import Domain
from lisse.solver.fem.linear import krylov_options

ELECTRON_SOURCES = ("contact", "crack_lithium")  # Li faces that inject electrons


@dataclass
class LeakageSolution:
    """Electronic leakage and nucleation risk (SI units).

    current: electronic current from the Li into the electrolyte and on to the counter
        electrode [A] (per radian of an axisymmetric cell); positive when V > 0.
    current_density: current / interface area [A/m²].
    risk_fraction: volume fraction of the electrolyte at nucleation risk [-].
    risk_location: centroid of the risk region [m] (None if empty).
    risk_depth: largest distance of the risk region below the interface plane [m].
    min_li_potential: smallest cell value of U [V].
    """

    electron_potential: fem.Function
    li_potential: fem.Function  # U = φ_e − φ, DG0 [V]
    risk: fem.Function  # DG0 indicator of the risk region
    current: float
    current_density: float
    risk_fraction: float
    risk_location: list[float] | None
    risk_depth: float
    min_li_potential: float


def solve_leakage(
    domain: Domain,
    sigma_e,
    potential: fem.Function,
    cell_voltage: float,
    interface_area: float,
    interface_energy: float,
    plating_time: float,
    numerics: Numerics,
) -> LeakageSolution:
    """Solve for φ_e given the ionic solution (φ, V) and evaluate the nucleation risk.

    sigma_e: electronic conductivity [S/m], a float or a DG0 function on the domain.
    interface_area: area of the interface plane [m²] (per radian if axisymmetric).
    interface_energy: γ of a Li nucleus [J/m²]; plating_time: t [s] (``nucleation_barrier``).
    """
    msh = domain.mesh
    comm = msh.comm
    tdim = msh.topology.dim
    space = potential.function_space
    r, dx = domain.radius_weight, domain.dx()
    u, v = ufl.TrialFunction(space), ufl.TestFunction(space)
    sigma = sigma_e if isinstance(sigma_e, fem.Function) else fem.Constant(msh, float(sigma_e))
    # scale σ_e to order one: the Dirichlet rows of the lifted system are identity rows, and
    # σ_e ~ 1e-12..1e-5 S/m would leave the interior residual below the Krylov tolerance
    scale = _magnitude(sigma, comm)
    a = ufl.inner(_flux(sigma, u), ufl.grad(v)) / scale * r * dx
    zero = fem.Constant(msh, 0.0)
    rhs = zero * v * r * dx
    sources = np.concatenate([domain.facets(name) for name in ELECTRON_SOURCES])
    counter = domain.facets("counter")
    if comm.allreduce(len(sources)) == 0 or comm.allreduce(len(counter)) == 0:
        raise SolverError("electronic leakage needs Li contact and counter-electrode facets")
    bcs = [
        fem.dirichletbc(
            fem.Constant(msh, float(cell_voltage)),
            fem.locate_dofs_topological(space, tdim - 1, sources),
            space,
        ),
        fem.dirichletbc(zero, fem.locate_dofs_topological(space, tdim - 1, counter), space),
    ]
    ndofs = space.dofmap.index_map.size_global
    problem = LinearProblem(
        a,
        rhs,
        bcs=bcs,
        petsc_options_prefix="lisse_leakage_",
        petsc_options=krylov_options("", numerics, ndofs),
    )
    phi_e = problem.solve()
    if problem.solver.getConvergedReason() < 0:
        raise SolverError("electronic leakage: linear solver failed")
    phi_e.name = "electron_potential"
    current = _counter_current(domain, sigma, phi_e)
    li_potential, j_e, volume = _cell_fields(domain, sigma, phi_e, potential)
    ncells = msh.topology.index_map(tdim).size_local
    u_cells = li_potential.x.array[:ncells]
    at_risk = (u_cells < 0) & (
        -u_cells * j_e[:ncells] * plating_time >= nucleation_barrier(interface_energy))
    risk = fem.Function(li_potential.function_space, name="nucleation_risk")
    risk.x.array[:ncells] = at_risk
    risk.x.scatter_forward()
    total = comm.allreduce(float(volume.sum()))
    risk_volume = comm.allreduce(float(volume[at_risk].sum()))
    centres = _midpoints(msh, ncells)
    moment = comm.allreduce((centres[at_risk] * volume[at_risk, None]).sum(axis=0))
    up = msh.geometry.dim - 1
    depth = comm.allreduce(float(-centres[at_risk, up].min()) if at_risk.any() else 0.0, op=MPI.MAX)
    u_min = comm.allreduce(
        float(li_potential.x.array[:ncells].min()) if ncells else np.inf, op=MPI.MIN
    )
    return LeakageSolution(
        electron_potential=phi_e,
        li_potential=li_potential,
        risk=risk,
        current=current,
        current_density=current / interface_area,
        risk_fraction=risk_volume / total,
        risk_location=(list(moment[: msh.geometry.dim] / risk_volume) if risk_volume > 0 else None),
        risk_depth=max(depth, 0.0),
        min_li_potential=u_min,
    )


def nucleation_barrier(interface_energy: float) -> float:
    """8γ/9 [J/m²]: the least |U| |j_e| t that grows a critical Li nucleus (module doc)."""
    return 8 * interface_energy / 9


def _counter_current(domain: Domain, sigma, phi_e: fem.Function) -> float:
    """Current leaving the electrolyte into the counter electrode, from the discrete
    reaction: I = −a(φ_e, χ) with χ the P1 function equal to 1 on the counter nodes
    (exactly conservative)."""
    space = phi_e.function_space
    tdim = domain.mesh.topology.dim
    chi = fem.Function(space)
    dofs = fem.locate_dofs_topological(space, tdim - 1, domain.facets("counter"))
    chi.x.array[dofs] = 1.0
    chi.x.scatter_forward()
    form = fem.form(
        ufl.inner(_flux(sigma, phi_e), ufl.grad(chi)) * domain.radius_weight * domain.dx()
    )
    return -domain.mesh.comm.allreduce(fem.assemble_scalar(form))


def _cell_fields(domain: Domain, sigma, phi_e: fem.Function, phi: fem.Function):
    """U = φ_e − φ at the cell midpoints (DG0), |j_e| per cell and the cell volumes
    (weighted by r if axisymmetric)."""
    msh = domain.mesh
    dg0 = fem.functionspace(msh, ("DG", 0))
    points = dg0.element.interpolation_points
    li_potential = fem.Function(dg0, name="li_potential")
    li_potential.interpolate(fem.Expression(phi_e - phi, points))
    flux = _flux(sigma, phi_e)
    magnitude = fem.Function(dg0)
    magnitude.interpolate(fem.Expression(ufl.sqrt(ufl.inner(flux, flux)), points))
    volume = fem.assemble_vector(
        fem.form(ufl.TestFunction(dg0) * domain.radius_weight * domain.dx())
    )
    ncells = msh.topology.index_map(msh.topology.dim).size_local
    return li_potential, magnitude.x.array.copy(), volume.array[:ncells].copy()


def _magnitude(sigma, comm) -> float:
    """Largest |σ_e| entry [S/m]."""
    if isinstance(sigma, fem.Function):
        return comm.allreduce(float(np.abs(sigma.x.array).max(initial=0.0)), op=MPI.MAX)
    return abs(float(sigma.value))


def _flux(sigma, u):
    """σ∇u for a scalar or tensor conductivity."""
    return ufl.dot(sigma, ufl.grad(u)) if sigma.ufl_shape else sigma * ufl.grad(u)


def _midpoints(msh, ncells: int) -> np.ndarray:
    nodes = msh.geometry.dofmaps[0][:ncells]
    return msh.geometry.x[nodes].mean(axis=1)
