"""Linear-elastic fracture mechanics of a pressurised crack: K_I by a domain integral.

The body (``meshes.crack``: the half y ≥ 0 of a Griffith, penny or edge crack, symmetric
about the crack plane) is linear elastic, σ = λ tr ε I + 2μ ε, in plane strain or
axisymmetric (r, z) form; the crack face is loaded by a pressure p(x) [Pa] (a Li-filled
flaw: p = p_Li). Displacement u [m]: vector Lagrange of degree 2, direct (MUMPS) solve.

Energy release rate by the domain form of the J-integral (equivalently the virtual crack
extension / shape derivative of the potential energy, Destuynder et al. 1983; Li, Shih &
Needleman, Eng. Fract. Mech. 21 (1985) 405): with θ = q e_x the virtual extension field
(q = 1 within r_in of the tip, 0 beyond r_out, linear between), in the half body

    G_half · ℓ = ∫ [σ : (∇u ∇θ) − W div θ] dV + ∫_crack face p n·(∇u θ) dA,

W = σ:ε/2 the strain energy density, n the outward normal of the body on the loaded face
(the traction there is t = −p n, so the face term is −∫ t·(∇u θ) dA). In plane strain
dV = dA per unit thickness and ℓ = 1; in an axisymmetric cell every field is three
dimensional (∇u has the hoop entry u_r/r, ∇θ the entry q/r, div θ = ∂q/∂r + q/r),
dV = r dA per radian and ℓ = a (the front length per radian), which is the axisymmetric
J-integral with its area terms. By symmetry G = 2 G_half, and for mode I

    K_I = sqrt(G E'),   E' = E / (1 − ν²)   (plane strain; the penny front is in plane strain).

The symmetric half model carries mode I only: K_II = 0 by construction (a crack face
loaded by a normal pressure in a symmetric body). Closed forms checked by the tests
(../shared/validation.md M4, M5): Griffith K_I = p sqrt(π a), penny K_I = 2 p sqrt(a/π),
edge crack in a half-plane K_I = 1.1215 p sqrt(π a) (Tada, Paris & Irwin, The Stress
Analysis of Cracks Handbook, 3rd ed. 2000, p. 8.1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import ufl
from dolfinx import fem
from dolfinx.fem.petsc import LinearProblem
from mpi4py import MPI

from lisse.meshes.crack import CRACK_FACET_TAGS, CrackMesh, load_crack_mesh
from lisse.solver.errors import SolverError

DIMENSION = {"griffith": "plane", "edge": "plane", "penny": "axisymmetric"}
DOMAIN_RADII = (0.25, 0.6)  # r_in / a, r_out / a of the q-function (inside the body for
# every kind: the edge crack's free surface lies a from the tip)
EDGE_CRACK_FACTOR = 1.1215  # Tada, Paris & Irwin (2000), p. 8.1


@dataclass
class CrackSolution:
    """Result of a pressurised-crack solve (SI units).

    energy_release_rate: G [J/m²]; stress_intensity: K_I [Pa·m^0.5] (K_II = 0 by symmetry);
    opening: crack-mouth opening 2 u_y at x = 0 [m]; cells: global cell count.
    """

    energy_release_rate: float
    stress_intensity: float
    opening: float
    cells: int
    displacement: fem.Function


def reference_stress_intensity(kind: str, pressure: float, a: float) -> float:
    """Closed-form K_I [Pa·m^0.5] of a crack of size a [m] under a uniform face pressure
    p [Pa]: Griffith p sqrt(π a), penny 2 p sqrt(a/π), edge 1.1215 p sqrt(π a)."""
    if kind == "griffith":
        return pressure * np.sqrt(np.pi * a)
    if kind == "penny":
        return 2 * pressure * np.sqrt(a / np.pi)
    if kind == "edge":
        return EDGE_CRACK_FACTOR * pressure * np.sqrt(np.pi * a)
    raise ValueError(f"unknown crack kind {kind!r}")


def solve_crack(
    spec: CrackMesh,
    youngs_modulus: float,
    poisson_ratio: float,
    pressure: float | Callable[[np.ndarray], np.ndarray],
    comm=MPI.COMM_WORLD,
    degree: int = 2,
) -> CrackSolution:
    """K_I of the crack ``spec`` with its face loaded by ``pressure`` [Pa]: a number, or a
    function of the coordinates x (shape (3, N), metres) giving p at each point (e.g. the
    Li pressure of a partly filled flaw). E [Pa], ν [-]."""
    if not 0 <= poisson_ratio < 0.5:
        raise ValueError("poisson_ratio must lie in [0, 0.5)")
    data = load_crack_mesh(spec, comm)
    msh, facets = data.mesh, data.facet_tags
    axisymmetric = DIMENSION[spec.kind] == "axisymmetric"
    a = spec.half_length
    lam = youngs_modulus * poisson_ratio / ((1 + poisson_ratio) * (1 - 2 * poisson_ratio))
    mu = youngs_modulus / (2 * (1 + poisson_ratio))
    x = ufl.SpatialCoordinate(msh)
    r = x[0] if axisymmetric else 1.0

    def grad3(w):
        """The 3 × 3 gradient of an in-plane vector field (hoop entry w_r/r if
        axisymmetric, zero in plane strain)."""
        g = ufl.grad(w)
        hoop = w[0] / x[0] if axisymmetric else 0.0
        return ufl.as_matrix([[g[0, 0], g[0, 1], 0], [g[1, 0], g[1, 1], 0], [0, 0, hoop]])

    def stress(w):
        e = ufl.sym(grad3(w))
        return lam * ufl.tr(e) * ufl.Identity(3) + 2 * mu * e

    V = fem.functionspace(msh, ("Lagrange", degree, (2,)))
    P1 = fem.functionspace(msh, ("Lagrange", 1))
    p = fem.Function(P1)
    if callable(pressure):
        p.interpolate(pressure)
    else:
        p.x.array[:] = float(pressure)
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    ds = ufl.Measure("ds", domain=msh, subdomain_data=facets)
    n = ufl.FacetNormal(msh)
    face = ds(CRACK_FACET_TAGS["crack_face"])
    lhs = ufl.inner(stress(u), ufl.sym(grad3(v))) * r * ufl.dx
    rhs = -p * ufl.dot(n, v) * r * face
    bcs = _dirichlet(spec.kind, V, facets)
    problem = LinearProblem(
        lhs,
        rhs,
        bcs=bcs,
        petsc_options_prefix="lisse_fracture_",
        petsc_options={
            "ksp_type": "preonly",
            "pc_type": "lu",
            "pc_factor_mat_solver_type": "mumps",
        },
    )
    uh = problem.solve()
    if problem.solver.getConvergedReason() < 0:
        raise SolverError("fracture: the elastic solve failed")
    uh.name = "displacement"

    # virtual crack extension θ = q e_x, q a ramp in the distance to the tip
    r_in, r_out = DOMAIN_RADII[0] * a, DOMAIN_RADII[1] * a
    q = fem.Function(P1)
    q.interpolate(
        lambda y: np.clip((r_out - np.hypot(y[0] - a, y[1])) / (r_out - r_in), 0.0, 1.0)
    )
    theta = ufl.as_vector([q, 0.0])
    grad_theta = grad3(theta)
    grad_u = grad3(uh)
    sigma = stress(uh)
    energy = 0.5 * ufl.inner(sigma, ufl.sym(grad_u))
    bulk = (ufl.inner(sigma, grad_u * grad_theta) - energy * ufl.tr(grad_theta)) * r * ufl.dx
    crack_face = p * q * ufl.dot(n, ufl.grad(uh)[:, 0]) * r * face
    half = _sum(comm, fem.form(bulk + crack_face))
    front = a if axisymmetric else 1.0
    G = 2 * half / front
    if not G > 0:
        raise SolverError(f"fracture: non-positive energy release rate {G:.3e} J/m²")
    plane_modulus = youngs_modulus / (1 - poisson_ratio**2)
    opening = _mouth_opening(uh, a, comm)
    cells = msh.topology.index_map(2).size_global
    return CrackSolution(G, float(np.sqrt(G * plane_modulus)), opening, cells, uh)


def _dirichlet(kind: str, V: fem.FunctionSpace, facets) -> list:
    """Symmetry u_y = 0 on the ligament; u_x = 0 on the left edge (Griffith symmetry plane,
    penny axis) or on the right edge (edge crack: a roller far from the crack)."""
    fdim = V.mesh.topology.dim - 1
    zero = np.float64(0.0)

    def fix(component: int, name: str):
        found = facets.find(CRACK_FACET_TAGS[name])
        dofs = fem.locate_dofs_topological(V.sub(component), fdim, found)
        return fem.dirichletbc(zero, dofs, V.sub(component))

    return [fix(1, "ligament"), fix(0, "right" if kind == "edge" else "left")]


def _sum(comm, form) -> float:
    return comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)


def _mouth_opening(uh: fem.Function, a: float, comm) -> float:
    """2 u_y at the crack mouth x = y = 0 [m] (the largest opening of a centre crack)."""
    V = uh.function_space
    nown = V.dofmap.index_map.size_local
    xs = V.tabulate_dof_coordinates()[:nown]
    at = np.flatnonzero(np.hypot(xs[:, 0], xs[:, 1]) < 1e-9 * a)
    value = float(uh.x.array[2 * at[0] + 1]) if at.size else -np.inf
    return 2 * comm.allreduce(value, op=MPI.MAX)
