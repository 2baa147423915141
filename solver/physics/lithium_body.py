"""Lithium as a creeping body on its own moving mesh, pressed on a rigid electrolyte.

First slice of the moving Li/SSE interface (issue 12, docs/moving_interface.md).

Constitutive choice (why, and its error: docs/moving_interface.md). The Li is an
incompressible power-law viscous body, ε̇_eq = ε̇0 (σ_eq/σ0)^n, s = (2/3)(σ_eq/ε̇_eq) ε̇,
∇·v = 0, σ = s − q I, with ε̇ = sym ∇v (axisymmetric: plus the hoop rate v_r/r) and
ε̇_eq² = (2/3) ε̇:ε̇; the elastic strain is neglected (an error of (σ/E)·L ≈ 2e-4 of the Li
size, once). Without memory, the updated-Lagrangian problem at time t is the instantaneous
flow on the current configuration Ω(t), the stationary point of

    Π(v, q) = ∫_Ω [ W(ε̇) − q ∇·v ] r^k dA + Σ_tags P ∫ v·n r^k ds,
    W = σ0 ε̇0 n/(n+1) (ε̇_eq²/ε̇0² + δ²)^((n+1)/(2n)),

(k = 0 plane strain, k = 1 axisymmetric with 2π dropped; P a follower pressure on the
current boundary; δ regularises the viscosity at rest). Taylor–Hood P2–P1, Newton with the
exact Jacobian, MUMPS; the first solve continues in n from 1, and so does a
warm-started solve that fails (once, before the step is refused). Internally stresses are
scaled by S = max |P| and times by 1/R, R = ε̇0 (S/σ0)^n; within a step the unknown is the
flow relative to the contact's descent (``lithium_step.solve_flow``: round-off at low p).

Mesh motion. The mesh moves with the material: x ← x + Δu with Δu = Δt v at the geometry
nodes (the P2 velocity dofs of each cell are mapped to its geometry nodes; P1 or P2
geometry). Time integration is the implicit midpoint rule, solved by fixed point:
Δu ← Δt v(Ω(x_n + Δu/2)) until max|Δu_new − Δu| ≤ rtol·max|Δu_new|. It is second order in
Δt; with a P2 geometry in plane strain the area is a quadratic form of the node positions,
so A(x_n + Δu) − A(x_n) = ∫_{Ω(x_n+Δu/2)} ∇·Δu dA = 0 for constant pressure test functions:
the Li area is conserved to the fixed-point tolerance (axisymmetric: to O(Δt³) per step).

Contact. The electrolyte is a rigid flat obstacle: the Li stays in y ≥ 0. Unilateral,
frictionless contact on the ``obstacle`` facets by a primal–dual active set on the P2
y-velocity dofs i of those facets: active dofs are constrained to land on the plane at the
end of the step, v_y,i = −y_i/Δt (y_i at the start of the step); the contact reaction is
the residual R_i of the unconstrained equations at the active dofs (the obstacle's force on
the Li, positive in compression) and the nodal contact pressure λ_i = R_i / ∫ φ_i r^k ds.
Iterate (activate dofs ending below −tol, release active dofs with R_i < −tol) until the
set is unchanged: then λ ≥ 0 and λ·gap = 0 dof by dof; the error is that the constraint is
nodal (a curved P2 edge may dip below y = 0 by O(h²·curvature) between dofs). Axisymmetric
P2 vertices on the axis (∫ φ_i r ds = 0) take the contact state of the nearest dof (3D
triangle vertices: also of their spokes, ``li_vertex_contact``, through ``vertex_hooks``).
Sticking (no slip at the active dofs) is ``li_sticking``, through ``contact_hooks``.

Stripping and plating (j from ``coupled_interface``): before the flow step every obstacle
node in contact moves up by δ = Ω j Δt / F (down when plating); the flow brings it back where
the Li can follow or leaves a gap. Li removed: ∫ of j's nodal interpolant over the contact.
"""

from __future__ import annotations

import numpy as np
import ufl
from basix.ufl import element, mixed_element
from dolfinx import fem, la
from dolfinx import mesh as dmesh
from dolfinx.fem import petsc as fem_petsc
from mpi4py import MPI
from petsc4py import PETSc

from lisse.solver.errors import SolverError
from lisse.solver.physics.li_vertex_contact import vertex_dofs
from lisse.solver.physics.lithium_step import StepReport, absolute, solve_flow
from lisse.units import FARADAY

GEOMETRIES = ("plane", "axisymmetric", "3d")
ON_PLANE = 1e-12  # y ≤ ON_PLANE × the largest |coordinate|: on the plane (landing round-off)


def strain_rate(v, r, axisymmetric: bool):
    """ε̇ as a 3×3 tensor (in-plane, out-of-plane/hoop v_r/r or 0; 3D: sym ∇v)."""
    g = ufl.grad(v)
    if ufl.shape(v)[0] == 3:
        return ufl.sym(g)
    shear = 0.5 * (g[0, 1] + g[1, 0])
    hoop = v[0] / r if axisymmetric else 0.0 * v[0]
    return ufl.as_tensor([[g[0, 0], shear, 0], [shear, g[1, 1], 0], [0, 0, hoop]])


class LithiumBody:
    """Creeping Li on its own mesh, moved with the material (see the module docstring).

    msh, facet_tags: the Li mesh (2D: y up, 3D: z up; electrolyte below 0) and its facet tags.
    geometry: "plane" (plane strain), "axisymmetric" (x = r, y = z) or "3d".
    sigma0 (Pa), rate0 (1/s), n: the power law ε̇_eq = rate0 (σ_eq/sigma0)^n.
    pressures: {facet tag: applied pressure (Pa)} (follower, on the current surface).
    symmetry: {facet tag: velocity component (0 = x/r, 1 = y, 2 = z) held at zero}.
    obstacle: facet tags that may touch the rigid plane y = 0 (3D: z = 0; frictionless).
    regularisation: δ, relative to the rate scale R.
    molar_volume: Ω (m³/mol) of Li, for stripping (``step(dt, current_density)``).
    contact_tolerance: obstacle nodes this close to the plane (m) are stripped or plated
    (besides those on it, y ≤ 1e-12 of the body size).
    """

    _count = 0

    def __init__(
        self,
        msh: dmesh.Mesh,
        facet_tags: dmesh.MeshTags,
        geometry: str,
        sigma0: float,
        rate0: float,
        n: float,
        pressures: dict[int, float],
        symmetry: dict[int, int] | None = None,
        obstacle: tuple[int, ...] = (),
        regularisation: float = 1e-6,
        molar_volume: float = 0.0,
        midpoint_rtol: float = 1e-10,
        max_midpoint: int = 20,
        contact_tolerance: float = 0.0,
    ):
        self.arguments = {k: v for k, v in locals().items() if k not in ("self", "msh",
                          "facet_tags")}  # for a body on a new mesh (li_remesh)
        if geometry not in GEOMETRIES:
            raise ValueError(f"geometry must be one of {GEOMETRIES}")
        self.msh, self.tags, self.comm = msh, facet_tags, msh.comm
        self.axisymmetric, self.up = geometry == "axisymmetric", msh.geometry.dim - 1  # up: y/z
        self.exponent = float(n)
        self.stress_scale = max(abs(p) for p in pressures.values())
        self.reference_stress = sigma0  # σ0 [Pa]: S = σ0 · strength (li_hardening)
        self.rate_scale = rate0 * (self.stress_scale / sigma0) ** n
        self.midpoint_rtol, self.max_midpoint = midpoint_rtol, max_midpoint
        self.molar_volume, self.contact_tolerance = molar_volume, contact_tolerance
        self.length = self.comm.allreduce(  # initial: a rank may own no Li cell
            float(np.max(np.abs(msh.geometry.x), initial=0.0)), op=MPI.MAX)
        self.time = 0.0
        self.descent = 0.0  # V̄: v = w + V̄ e_up (scaled; lithium_step.solve_flow)
        # R_i (N per unit weight) and λ_i (Pa) at the obstacle dofs, last step, at the midpoint
        self.contact_reaction = self.contact_pressure = np.zeros(0)
        cell = msh.basix_cell()
        vector = element("Lagrange", cell, 2, shape=(self.up + 1,))
        self.space = fem.functionspace(msh, mixed_element([vector, element("Lagrange", cell, 1)]))
        self.w = fem.Function(self.space)
        self.velocity_space, self._velocity_dofs = self.space.sub(0).collapse()
        v, q = ufl.split(self.w)
        x = ufl.SpatialCoordinate(msh)
        weight = x[0] if self.axisymmetric else 1.0
        self.n = fem.Constant(msh, PETSc.ScalarType(n))
        self.delta = delta = fem.Constant(msh, PETSc.ScalarType(regularisation))  # δ
        eps = strain_rate(v, x[0], self.axisymmetric)
        eq2 = 2.0 / 3.0 * ufl.inner(eps, eps) + delta**2
        # S/σ0 per cell: 1, or the deformation resistance of solver.physics.li_hardening
        self.strength = fem.Function(fem.functionspace(msh, ("DG", 0)))
        self.strength.x.array[:] = 1.0
        self.step_hooks = []  # called with Δt on the step's midpoint configuration
        self.contact_hooks = []  # active set → extra Dirichlet conditions (li_sticking)
        self.vertex_hooks = []  # active set → vertices in contact (3D: li_vertex_contact)
        energy = self.strength * self.n / (self.n + 1) * eq2 ** ((self.n + 1) / (2 * self.n))
        dx = ufl.Measure("dx", domain=msh, metadata={"quadrature_degree": 4})
        ds = ufl.Measure("ds", domain=msh, subdomain_data=facet_tags)
        normal = ufl.FacetNormal(msh)
        potential = (energy - q * ufl.tr(eps)) * weight * dx
        for tag, value in pressures.items():
            scaled = fem.Constant(msh, PETSc.ScalarType(value / self.stress_scale))
            potential += scaled * ufl.dot(v, normal) * weight * ds(tag)
        residual = ufl.derivative(potential, self.w)
        self._residual = fem.form(residual)
        self._volume = fem.form(weight * dx)
        fdim = msh.topology.dim - 1
        self.bcs = []
        for tag, comp in (symmetry or {}).items():
            sub = self.space.sub(0).sub(comp)
            collapsed, _ = sub.collapse()
            dofs = fem.locate_dofs_topological((sub, collapsed), fdim, facet_tags.find(tag))
            self.bcs.append(fem.dirichletbc(fem.Function(collapsed), dofs, sub))
        self._fixed = list(self.bcs)
        self._vy_sub = self.space.sub(0).sub(self.up)
        self.vy_space, _ = self._vy_sub.collapse()
        self.obstacle_facets = facets = np.asarray(np.concatenate(  # the Li bottom's facets
            [facet_tags.find(t) for t in obstacle]) if obstacle else [], dtype=np.int32)
        self._obstacle = fem.locate_dofs_topological((self._vy_sub, self.vy_space), fdim, facets)
        self._landing = fem.Function(self.vy_space)  # v_y = −y0/Δt on the active dofs
        self.active = np.zeros(len(self._obstacle[0]), dtype=bool)
        test = ufl.TestFunction(self.space)
        weights = [test[self.up] * weight * ds(t) for t in obstacle] or [test[1] * weight * dx]
        self._weights = fem.form(sum(weights[1:], weights[0]))
        self._node_to_dof = self._geometry_map()
        self._weightless, self._partner = self._axis_partners(facets)
        self._surface_nodes = self._obstacle_nodes(fdim, facets)
        self._initial = (msh.geometry.x.copy(), self.active.copy())
        LithiumBody._count += 1
        options = {
            "snes_type": "newtonls", "snes_linesearch_type": "bt", "snes_rtol": 1e-10,
            "snes_atol": 1e-12, "snes_stol": 0.0, "snes_max_it": 50,
            "ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps",
            # MUMPS workspace +1000 %: delayed pivots of the saddle-point flow at low pressure
            # overflowed the default +20 % (PETSc "factor out of memory", 0.045 MPa, 1 mA/cm²)
            "mat_mumps_icntl_14": 1000,
        }
        self.problem = fem_petsc.NonlinearProblem(
            residual,
            self.w,
            bcs=self.bcs,  # the list is mutated in place by the active set
            petsc_options_prefix=f"lisse_lithium_body_{LithiumBody._count}_",
            petsc_options=options,
        )

    def reset(self) -> None:
        """Back to the body as built: the initial mesh geometry, no flow solved (the next
        step continues in n from 1 again, as the first one did), the initial active set,
        time 0 and no contact reactions. A run from a reset body repeats the first run."""
        x, active = self._initial
        self.msh.geometry.x[:] = x
        self.w.x.array[:] = 0.0
        self.n.value = 1.0
        self.active = active.copy()
        self.time = self.descent = 0.0
        self.contact_reaction = self.contact_pressure = np.zeros(0)
        self.bcs[:] = self._fixed
        self.strength.x.array[:] = 1.0

    def _geometry_map(self) -> np.ndarray:
        """For every geometry node (ghosts included), its block dof in the velocity space:
        cell by cell, the first k P2 dofs are the k geometry nodes (same reference order)."""
        geo = self.msh.geometry
        if geo.cmaps[0].degree not in (1, 2):
            raise SolverError("the Li mesh must have a P1 or P2 geometry")
        nodes = geo.dofmaps[0]
        dofs = self.velocity_space.dofmap.list[: nodes.shape[0], : nodes.shape[1]]
        mapping = np.full(geo.x.shape[0], -1, dtype=np.int64)
        mapping[nodes.ravel()] = dofs.ravel()
        return mapping

    def _axis_partners(self, facets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Obstacle dofs with ∫ φ_i r ds = 0 on straight edges (flat triangles), found by
        topology (``li_vertex_contact.vertex_dofs``), not by a weight threshold, which a
        remeshing's bent edges defeat: in 3D every P2 triangle vertex of the obstacle
        ``facets``, axisymmetric the P2 vertex on the axis, in plane strain none. Their
        reaction is ~0, so they take the state of the nearest obstacle dof (a mid-edge dof of
        their facet; 3D: or enter if they would penetrate, and stay for the step)."""
        x = self.vy_space.tabulate_dof_coordinates()[self._obstacle[1]]
        weightless = vertex_dofs(self, facets)
        if self.up == 1:  # r = 0 (held there by the axis condition v_r = 0)
            size = self.comm.allreduce(float(np.max(np.abs(x), initial=0.0)), op=MPI.MAX)
            weightless = weightless[self.axisymmetric & (np.abs(x[weightless, 0]) <= ON_PLANE
                                                         * size)]
        partner = np.empty(len(weightless), dtype=np.int64)
        for i, k in enumerate(weightless):
            d = np.linalg.norm(x - x[k], axis=1)
            d[weightless] = np.inf
            partner[i] = int(np.argmin(d))
        return weightless, partner

    def _obstacle_nodes(self, fdim: int, facets: np.ndarray) -> np.ndarray:
        """Geometry nodes (local + ghost) on the obstacle facets of any rank."""
        marker = fem.Function(self.velocity_space)
        blocks = fem.locate_dofs_topological(self.velocity_space, fdim, facets)
        marker.x.array.reshape(-1, self.up + 1)[blocks, self.up] = 1.0
        marker.x.scatter_reverse(la.InsertMode.add)
        marker.x.scatter_forward()
        shape = (-1, self.up + 1)
        return np.flatnonzero(marker.x.array.reshape(shape)[self._node_to_dof, self.up] > 0)

    def _strip(self, dt: float, current_density) -> None:
        """Remove Li at the touching obstacle nodes: y += δ = Ω j Δt / F (j in A/m², a
        number or a callable of x with shape (3, m); j > 0 strips, j < 0 plates)."""
        x = self.msh.geometry.x
        nodes = self._surface_nodes
        size = self.comm.allreduce(float(np.max(np.abs(x), initial=0.0)), op=MPI.MAX)
        nodes = nodes[x[nodes, self.up] <= self.touching_height(size)]
        if callable(current_density):
            j = np.asarray(current_density(x[nodes].T), dtype=float)
        else:
            j = np.full(len(nodes), float(current_density))
        x[nodes, self.up] += self.molar_volume * j * dt / FARADAY

    def touching_height(self, size: float) -> float:
        """Height (m) up to which an obstacle node is stripped or plated (``size``: the
        largest |coordinate| of the mesh)."""
        return max(ON_PLANE * size, self.contact_tolerance)

    def volume(self) -> float:
        """Li area (plane strain, m²/m) or ∫ r dA (axisymmetric, m³/(2π))."""
        return self.comm.allreduce(fem.assemble_scalar(self._volume), op=MPI.SUM)

    def velocity(self) -> np.ndarray:
        """The velocity (m/s) at the velocity-space dofs (local + ghost), shape (m, gdim)."""
        v = self.w.x.array[self._velocity_dofs].reshape(-1, self.up + 1).copy()
        v[:, self.up] += self.descent  # the uniform descent (lithium_step.solve_flow)
        return v * self.rate_scale

    def _newton(self) -> int:
        """Newton solves of the flow (``lithium_step.solve_flow``); returns the iterations."""
        return solve_flow(self)

    def reactions(self) -> tuple[np.ndarray, np.ndarray]:
        """(R_i in N per unit weight, nodal contact pressure λ_i in Pa; NaN where the dof's
        weight vanishes) at the obstacle dofs (local + ghost), on the current configuration."""
        values = []
        for form in (self._residual, self._weights):
            vec = fem_petsc.assemble_vector(form)
            vec.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
            vec.ghostUpdate(addv=PETSc.InsertMode.INSERT, mode=PETSc.ScatterMode.FORWARD)
            with vec.localForm() as local:
                values.append(local.array[self._obstacle[0]].copy())
            vec.destroy()
        force = values[0] * self.stress_scale
        # a P2 vertex dof on the axis has ∫ φ_i r ds = 0 on a straight edge, O(curvature) on a
        # bent one (λ_i = R_i/w_i then −6.8e3 p was seen): λ_i undefined there (NaN), always
        tiny = 1e-9 * self.comm.allreduce(float(np.max(values[1], initial=0.0)), op=MPI.MAX)
        pressure = np.full(len(force), np.nan)
        defined = values[1] > tiny
        defined[self._weightless] &= not self.axisymmetric
        np.divide(force, values[1], out=pressure, where=defined)
        return force, pressure

    def _contact_solve(self, y0: np.ndarray, dt: float) -> tuple[int, int, np.ndarray]:
        """Newton solves with the primal–dual active set; returns (Newton its, passes,
        end-of-step y at the obstacle dofs)."""
        mixed, collapsed = self._obstacle
        scale = max(self.comm.allreduce(float(np.max(np.abs(y0), initial=0.0)), op=MPI.MAX), 1)
        total, passes = 0, 0
        while True:
            passes += 1
            self._landing.x.array[collapsed] = -y0 / (dt * self.rate_scale)
            # residuals scale as P̃ L (plane) or P̃ L² (axisymmetric), L the body size, and
            # their round-off grows with the imposed landing strain rates (scaled units)
            landing = self.comm.allreduce(
                float(np.max(np.abs(self._landing.x.array), initial=0.0)), op=MPI.MAX
            )
            reference = self.length ** (self.up + self.axisymmetric)  # residual scale
            self.problem.solver.setTolerances(
                atol=1e-12 * reference * max(1.0, landing / self.length)
            )
            self.bcs[:] = self._fixed
            if self.comm.allreduce(int(np.any(self.active)), op=MPI.MAX):
                dofs = [mixed[self.active], collapsed[self.active]]
                self.bcs.append(fem.dirichletbc(self._landing, dofs, self._vy_sub))
                self.bcs.extend(c for hook in self.contact_hooks for c in hook(self.active))
            total += self._newton()
            vy = (self.w.x.array[mixed] + self.descent) * self.rate_scale
            y_end = y0 + dt * vy
            force, _ = self.reactions()
            ftol = 1e-9 * self.comm.allreduce(
                float(np.max(np.abs(force), initial=0.0)), op=MPI.MAX
            )
            enter = ~self.active & (y_end < -1e-12 * scale)
            leave = self.active & (force < -ftol)
            leave[self._weightless], solid = False, self.up == 2  # 3D: weightless P2 vertices
            enter[self._weightless] &= solid  # may not penetrate, and stay for the step
            if not self.comm.allreduce(int(np.any(enter | leave)), op=MPI.MAX):
                return total, passes, y_end
            if passes > 50:
                raise SolverError("Li contact active set did not settle in 50 passes")
            self.active = (self.active | enter) & ~leave
            self.active[self._weightless] = self.active[self._partner] | (
                solid & self.active[self._weightless])
            for hook in self.vertex_hooks:
                self.active[self._weightless] |= hook(self.active)

    def step(self, dt: float, current_density=None) -> StepReport:
        """Advance by dt (s): strip the contact by Ω j Δt / F if ``current_density`` (A/m²)
        is given, then the implicit-midpoint flow with contact, then move the mesh."""
        x = self.msh.geometry.x
        size = self.comm.allreduce(float(np.max(np.abs(x), initial=0.0)), op=MPI.MAX)
        up, dofs = self.up, self.vy_space.tabulate_dof_coordinates()[self._obstacle[1]]
        touching = dofs[:, up] <= ON_PLANE * size
        self.active |= touching  # in contact at the start of the step (before stripping)
        self.active[self._weightless] = self.active[self._partner]
        for hook in self.vertex_hooks:
            self.active[self._weightless] |= hook(self.active)
        if current_density is not None:
            self._strip(dt, current_density)
        x0 = x.copy()
        y0 = self.vy_space.tabulate_dof_coordinates()[self._obstacle[1], up]
        move = np.zeros((x.shape[0], up + 1))
        newton = passes = iteration = 0
        while True:
            iteration += 1
            if iteration > self.max_midpoint:
                raise SolverError(f"Li mesh motion: midpoint rule not converged in {iteration} its")
            x[:, :up + 1] = x0[:, :up + 1] + 0.5 * move
            its, pas, y_end = self._contact_solve(y0, dt)
            newton, passes = newton + its, passes + pas
            new = dt * self.velocity()[self._node_to_dof]
            change = self.comm.allreduce(float(np.max(np.abs(new - move), initial=0)), MPI.MAX)
            size = self.comm.allreduce(float(np.max(np.abs(new), initial=0.0)), op=MPI.MAX)
            move = new
            if change <= self.midpoint_rtol * size:
                break
        self.contact_reaction, self.contact_pressure = self.reactions()
        for hook in self.step_hooks:
            hook(dt)
        absolute(self)  # w = v between steps (lithium_step.solve_flow)
        force = self.contact_reaction
        owned = self._obstacle[1] < self.vy_space.dofmap.index_map.size_local
        x[:, :up + 1] = x0[:, :up + 1] + move
        self.time += dt
        return StepReport(
            midpoint_iterations=iteration,
            newton_iterations=newton,
            active_set_passes=passes,
            active=self.comm.allreduce(int(np.sum(self.active & owned)), op=MPI.SUM),
            contact_force=self.comm.allreduce(float(np.sum(force[owned])), op=MPI.SUM),
            penetration=self.comm.allreduce(
                float(np.max(-y_end, initial=0.0)), op=MPI.MAX
            ),
        )
