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
J-integral with its area terms. In the 3D eighth of a penny crack (``penny_3d``) θ = q e_r
(e_r radial in the crack plane, q a ramp in the distance to the front) and ℓ = π a / 2, so
G is the average over the front. By symmetry G = 2 G_half, and for mode I

    K_I = sqrt(G E'),   E' = E / (1 − ν²)   (plane strain; the penny front is in plane strain).

Mode II: a face loading is split into its part symmetric about the crack plane (the
pressure: mode I) and its antisymmetric part (a face shear τ e_x on the upper face, −τ e_x on
the lower: mode II); each is solved on the half body with its own symmetry conditions
(mode I: u_y = 0 on the ligament; mode II: u_x = 0 there), G = G_I + G_II and
K_II = ± sqrt(G_II E'). This decomposition is exact for a straight crack on a symmetry plane
of the body; a kinked or inclined crack in a general body needs an interaction integral on a
full mesh (not implemented).

Closed forms checked by the tests (../shared/validation.md M4, M5): Griffith
K_I = p sqrt(π a), penny K_I = 2 p sqrt(a/π), edge crack in a half-plane
K_I = 1.1215 p sqrt(π a) (Tada, Paris & Irwin, The Stress Analysis of Cracks Handbook,
3rd ed. 2000, p. 8.1); under a face shear τ, K_II = τ sqrt(π a) (Griffith) and
1.1215 τ sqrt(π a) (edge).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import ufl
from dolfinx import fem
from dolfinx.fem.petsc import LinearProblem
from mpi4py import MPI

from lisse.meshes.crack import CRACK_FACET_TAGS, CrackMesh, load_crack_mesh
from lisse.solver.errors import SolverError

DIMENSION = {"griffith": "plane", "edge": "plane", "penny": "axisymmetric", "penny_3d": "3d"}
DOMAIN_RADII = (0.25, 0.6)  # r_in / a, r_out / a of the q-function (inside the body for
# every kind: the edge crack's free surface lies a from the tip)
EDGE_CRACK_FACTOR = 1.1215  # Tada, Paris & Irwin (2000), p. 8.1


@dataclass
class CrackSolution:
    """Result of a pressurised-crack solve (SI units).

    energy_release_rate: G = G_I + G_II [J/m²]; stress_intensity: K_I [Pa·m^0.5];
    mode_ii: K_II [Pa·m^0.5] (0 without a face shear);
    opening: crack-mouth opening 2 u_y at x = 0 [m]; cells: global cell count;
    displacement: the mode I field u [m]; mesh_data: the half-body mesh and its tags
    (``meshes.crack.CRACK_FACET_TAGS``), for ``solver.io.fracture_output``.
    """

    energy_release_rate: float
    stress_intensity: float
    mode_ii: float
    opening: float
    cells: int
    displacement: fem.Function
    mesh_data: Any


def reference_stress_intensity(kind: str, pressure: float, a: float) -> float:
    """Closed-form K_I [Pa·m^0.5] of a crack of size a [m] under a uniform face pressure
    p [Pa]: Griffith p sqrt(π a), penny 2 p sqrt(a/π), edge 1.1215 p sqrt(π a)."""
    if kind == "griffith":
        return pressure * np.sqrt(np.pi * a)
    if kind in ("penny", "penny_3d"):
        return 2 * pressure * np.sqrt(a / np.pi)
    if kind == "edge":
        return EDGE_CRACK_FACTOR * pressure * np.sqrt(np.pi * a)
    raise ValueError(f"unknown crack kind {kind!r}")


def solve_crack(
    spec: CrackMesh,
    youngs_modulus: float,
    poisson_ratio: float,
    pressure: float | Callable[[np.ndarray], np.ndarray],
    shear: float = 0.0,
    comm=MPI.COMM_WORLD,
    degree: int = 2,
) -> CrackSolution:
    """K_I and K_II of the crack ``spec`` with its faces loaded by ``pressure`` [Pa] (a
    number, or a function of the coordinates x, shape (3, N) in metres, e.g. the Li pressure
    of a partly filled flaw) and a uniform face ``shear`` τ [Pa] (traction τ e_x on the upper
    face, −τ e_x on the lower: mode II; plane strain only). E [Pa], ν [-].

    Mode I and mode II are the parts of the face loading symmetric and antisymmetric about
    the crack plane; each is solved on the half body with its own symmetry conditions and
    has its own energy release rate, G = G_I + G_II, K = ± sqrt(G_mode E'), the sign from
    the face opening (mode I) and sliding (mode II). A closing crack (K_I < 0: the faces
    would overlap) is refused: face contact is not modelled."""
    if not 0 <= poisson_ratio < 0.5:
        raise ValueError("poisson_ratio must lie in [0, 0.5)")
    if shear and DIMENSION[spec.kind] != "plane":
        raise ValueError("shear: a face shear on a penny crack is not axisymmetric (mode II "
                         "of a penny crack is not implemented)")
    data = load_crack_mesh(spec, comm)
    msh, facets = data.mesh, data.facet_tags
    axisymmetric = DIMENSION[spec.kind] == "axisymmetric"
    solid = DIMENSION[spec.kind] == "3d"
    gdim = msh.geometry.dim
    a = spec.half_length
    lam = youngs_modulus * poisson_ratio / ((1 + poisson_ratio) * (1 - 2 * poisson_ratio))
    mu = youngs_modulus / (2 * (1 + poisson_ratio))
    x = ufl.SpatialCoordinate(msh)
    r = x[0] if axisymmetric else 1.0

    def grad3(w):
        """The 3 × 3 gradient of a vector field (of an in-plane one: hoop entry w_r/r if
        axisymmetric, zero in plane strain)."""
        g = ufl.grad(w)
        if solid:
            return g
        hoop = w[0] / x[0] if axisymmetric else 0.0
        return ufl.as_matrix([[g[0, 0], g[0, 1], 0], [g[1, 0], g[1, 1], 0], [0, 0, hoop]])

    def stress(w):
        e = ufl.sym(grad3(w))
        return lam * ufl.tr(e) * ufl.Identity(3) + 2 * mu * e

    V = fem.functionspace(msh, ("Lagrange", degree, (gdim,)))
    P1 = fem.functionspace(msh, ("Lagrange", 1))
    p = fem.Function(P1)
    if callable(pressure):
        p.interpolate(pressure)
    else:
        p.x.array[:] = float(pressure)
    ds = ufl.Measure("ds", domain=msh, subdomain_data=facets)
    n = ufl.FacetNormal(msh)
    face = ds(CRACK_FACET_TAGS["crack_face"])
    # virtual crack extension θ = q e (e = e_x; the radial e_r in 3D), q a ramp in the
    # distance to the tip (the front in 3D)
    r_in, r_out = DOMAIN_RADII[0] * a, DOMAIN_RADII[1] * a
    q = fem.Function(P1)
    q.interpolate(lambda y: np.clip((r_out - _front_distance(y, a, solid)) / (r_out - r_in),
                                    0.0, 1.0))
    if solid:
        radius = ufl.sqrt(x[0] ** 2 + x[1] ** 2)
        direction = ufl.as_vector([x[0] / radius, x[1] / radius, 0.0])
    else:
        direction = ufl.as_vector([1.0, 0.0])
    grad_theta = grad3(q * direction)
    # front length: 1 (plane strain), a per radian (axisymmetric), π a / 2 (eighth of 3D)
    front = a if axisymmetric else (np.pi * a / 2 if solid else 1.0)
    plane_modulus = youngs_modulus / (1 - poisson_ratio**2)

    def mode(traction, component: int):
        """Solve the half body under the face traction; returns (G_mode, signed K, u)."""
        u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
        lhs = ufl.inner(stress(u), ufl.sym(grad3(v))) * r * ufl.dx
        rhs = ufl.dot(traction, v) * r * face
        uh = _solve(lhs, rhs, _dirichlet(spec.kind, V, facets, component))
        grad_u, sigma = grad3(uh), stress(uh)
        energy = 0.5 * ufl.inner(sigma, ufl.sym(grad_u))
        bulk = (ufl.inner(sigma, grad_u * grad_theta) - energy * ufl.tr(grad_theta)) * r * ufl.dx
        face_term = -q * ufl.dot(traction, ufl.dot(ufl.grad(uh), direction)) * r * face
        G = 2 * _sum(comm, fem.form(bulk + face_term)) / front
        # the upper face opens (u_y > 0) for K_I > 0 and slides in +x for K_II > 0
        sign = np.sign(_sum(comm, fem.form(uh[component] * q * r * face)))
        return G, float(sign * np.sqrt(max(G, 0.0) * plane_modulus)), uh

    G_I, K_I, uh = mode(-p * n, gdim - 1)
    if K_I < 0:
        raise SolverError("fracture: the crack faces would overlap (K_I < 0); face contact is "
                          "not modelled")
    G_II, K_II = 0.0, 0.0
    if shear:
        G_II, K_II, _ = mode(ufl.as_vector([float(shear), 0.0]), 0)
    uh.name = "displacement_m"
    opening = _mouth_opening(uh, a, comm)
    cells = msh.topology.index_map(msh.topology.dim).size_global
    return CrackSolution(G_I + G_II, K_I, K_II, opening, cells, uh, data)


def _front_distance(y: np.ndarray, a: float, solid: bool) -> np.ndarray:
    """Distance [m] of the points y (3, N) to the tip (a, 0) or, in 3D, to the front r = a
    on z = 0."""
    if solid:
        return np.hypot(np.hypot(y[0], y[1]) - a, y[2])
    return np.hypot(y[0] - a, y[1])


def _solve(lhs, rhs, bcs) -> fem.Function:
    problem = LinearProblem(
        lhs,
        rhs,
        bcs=bcs,
        petsc_options_prefix="lisse_fracture_",
        petsc_options={"ksp_type": "preonly", "pc_type": "lu",
                       "pc_factor_mat_solver_type": "mumps"},
    )
    uh = problem.solve()
    if problem.solver.getConvergedReason() < 0:
        raise SolverError("fracture: the elastic solve failed")
    return uh


def _dirichlet(kind: str, V: fem.FunctionSpace, facets, opening: int) -> list:
    """Conditions of the half body for the mode whose face displacement is component
    ``opening`` (1: mode I, symmetric; 0: mode II, antisymmetric about the crack plane).

    Mode I: u_y = 0 on the ligament; u_x = 0 on the left edge (Griffith symmetry plane, penny
    axis) or on the right edge (edge crack: a roller far from the crack). Mode II: u_x = 0
    on the ligament; u_y = 0 on the left edge (Griffith: the field is antisymmetric about
    x = 0) or on the right edge (edge crack)."""
    fdim = V.mesh.topology.dim - 1
    zero = np.float64(0.0)

    def fix(component: int, name: str):
        found = facets.find(CRACK_FACET_TAGS[name])
        dofs = fem.locate_dofs_topological(V.sub(component), fdim, found)
        return fem.dirichletbc(zero, dofs, V.sub(component))

    if kind == "penny_3d":  # mode I only: u_z = 0 on the ligament, two symmetry planes
        return [fix(2, "ligament"), fix(0, "left"), fix(1, "back")]
    other = 1 - opening
    return [fix(opening, "ligament"), fix(other, "right" if kind == "edge" else "left")]


def _sum(comm, form) -> float:
    return comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)


def _mouth_opening(uh: fem.Function, a: float, comm) -> float:
    """2 u_y (u_z in 3D) at the crack mouth, the origin [m] (the largest opening of a centre
    crack)."""
    V = uh.function_space
    nown = V.dofmap.index_map.size_local
    bs = V.dofmap.index_map_bs
    xs = V.tabulate_dof_coordinates()[:nown]
    at = np.flatnonzero(np.linalg.norm(xs, axis=1) < 1e-9 * a)
    value = float(uh.x.array[bs * at[0] + bs - 1]) if at.size else -np.inf
    return 2 * comm.allreduce(value, op=MPI.MAX)
