"""Small-strain mechanics of the full cell: elastic electrolyte, creeping Li, stack pressure.

Unknown: the displacement u [m] (vector Lagrange, degree 2 by default) on the whole cell
mesh, electrolyte (cell tag 1) and Li (cell tag 2), bonded on the contact by shared nodes.
Equilibrium ∇·σ = 0 in plane strain, axisymmetric (r, y) or 3D form; the residual is

    R(u; v) = ∫ σ : ε(v) r dV + ∫_collector p n·v r dA (traction loading)
              − ∫_void-roof k_c ⟨−g⟩ v_z r dA,

r the radius in axisymmetric cells (hoop strain u_r/r), else 1. The Li stress comes from a
``solver.physics.creep.Constitutive`` model evaluated at quadrature points (backward Euler in
time); the electrolyte is linear elastic, region by region (grain-boundary bands and
interlayers of ``meshes.microstructure`` carry their own moduli).

Boundary conditions: counter electrode (bottom) u_z = 0; lateral faces and the axis are
symmetry planes, u·n = 0; void surfaces are traction-free. Stack pressure p either as a
uniform traction on the collector face (``traction``) or through a rigid, frictionless
current collector (``collector``): u_z = U on the collector face with the single unknown U
fixed by the total force, Σ reactions = −p·A. (z means the stacking direction: y in 2D.)

Contact of the Li void roof with the electrolyte surface z = 0: the gap of a roof point is
g = Z + u_z (Z its height in the undeformed cell); a penalty k_c⟨−g⟩ with
k_c = penalty · E_Li / h (h the cell diameter) pushes back where the roof penetrates the
plane, so a roof that creeps down closes the void and adds to the contact. The penalty lets
the roof penetrate by p/k_c (~1e-5 µm), so a roof counts as closed where g ≤ 1 nm.

Newton's method with the consistent tangent, inexact (``Mechanics._forcing``: the linear
solves of a creep step are only as accurate as the Newton iteration needs; the AMG
hierarchy is reused within a step and across steps while it serves as well,
``solver.fem.amg_reuse``, and its interpolation when it is rebuilt; the electrolyte's
elastic part of the tangent is assembled once, ``solver.fem.split_tangent``). Collector loading
solves the bordered Newton system in (δu, δU) (e = 1 on the collector z-dofs, k = J e):
with CG as one solve of the (n + 1)-system, preconditioned by the AMG and the Schur
complement of U (``solver.fem.bordered_cg``); with LU by elimination, A x_a = −R,
A x_b = −k, δu = x_a + δU x_b, δU from the linearised force balance. The tangent is
consistent (``tests/verification/test_mechanics_tangent.py``: Taylor remainder O(ε²)); the
creep Newton's first iterations contract by only ~0.03 because of the power law's curvature
(n ≈ 6.7) at the void's Li surface, then it converges quadratically (docs/benchmarks.md,
issue 16). Linear solver: CG with GAMG (rigid-body near-null space; one Chebyshev–Schwarz–SOR
step per level, ``solver.fem.linear.displacement_amg_options``) or MUMPS LU for
small problems (``numerics``).

The kinematics (Mandel strain, elastic stress) and the observables of a state (contact
fraction, interface pressures, stress maxima, cell fields) are in
``solver.physics.mechanics_state``, in ``CellStress``, the base class of ``Mechanics``.
"""

from __future__ import annotations

import basix
import basix.ufl
import numpy as np
import ufl
from dolfinx import fem
from dolfinx import mesh as dmesh
from dolfinx.fem import petsc as fem_petsc
from petsc4py import PETSc

from lisse.meshes.geometry import CELL_TAGS, FACET_TAGS
from lisse.solver.config.params import Numerics
from lisse.solver.errors import SolverError
from lisse.solver.fem.amg_reuse import AmgReuse, reuse_hierarchy
from lisse.solver.fem.bordered_cg import BorderedCG
from lisse.solver.fem.linear import displacement_amg_options, krylov_options, rigid_body_modes
from lisse.solver.fem.split_tangent import SplitTangent
from lisse.solver.physics.creep import Constitutive, LinearElastic, identity
from lisse.solver.physics.mechanics_facets import normal_axis, without_open_mouths
from lisse.solver.physics.mechanics_state import CLOSED_GAP, CellStress, MechanicsState, trace

__all__ = ["CLOSED_GAP", "LOADINGS", "Mechanics", "MechanicsState", "fixed_component", "supports"]

LOADINGS = ("collector", "traction")
ETA_MAX = 1e-2  # loosest relative tolerance of a creep Newton iteration's linear solves
SHARE = 0.1  # linear tolerance / the Newton iteration's last contraction (``_forcing``)
SIDE_TAGS = ("side_electrolyte", "side_lithium", "axis")


class Mechanics(CellStress):
    """The displacement problem of a cell under stack pressure, advanced in time.

    msh, cell_tags, facet_tags: the full cell mesh and its tags (``meshes.geometry``).
    dimension: "plane" (plane strain), "axisymmetric" or "3d".
    lithium: the Li model (``solver.physics.creep``); electrolyte: its elastic constants, or a
        mapping cell tag → constants for several elastic regions.
    loading: "collector" or "traction"; pressure: stack pressure p [Pa].
    degree: polynomial degree of u; penalty: contact penalty factor (× E_Li / h).
    """

    _count = 0

    def __init__(
        self,
        msh: dmesh.Mesh,
        cell_tags: dmesh.MeshTags,
        facet_tags: dmesh.MeshTags,
        dimension: str,
        lithium: Constitutive,
        electrolyte: LinearElastic | dict[int, LinearElastic],
        loading: str,
        pressure: float,
        numerics: Numerics,
        degree: int = 2,
        penalty: float = 10.0,
    ):
        if loading not in LOADINGS:
            raise ValueError(f"loading must be one of {LOADINGS}")
        facet_tags = without_open_mouths(msh, facet_tags)
        self.msh, self.facet_tags, self.dimension = msh, facet_tags, dimension
        if isinstance(electrolyte, LinearElastic):
            electrolyte = {CELL_TAGS["electrolyte"]: electrolyte}
        self.lithium, self.regions = lithium, electrolyte
        self.electrolyte = electrolyte.get(CELL_TAGS["electrolyte"])
        self.loading, self.pressure, self.numerics = loading, pressure, numerics
        self.comm = msh.comm
        self.time = 0.0
        gdim = msh.geometry.dim
        self.vertical = gdim - 1
        self.ncomp = 6 if gdim == 3 else 4
        tdim = msh.topology.dim
        msh.topology.create_connectivity(tdim - 1, tdim)
        self.V = fem.functionspace(msh, ("Lagrange", degree, (gdim,)))
        self.u = fem.Function(self.V, name="displacement")
        x = ufl.SpatialCoordinate(msh)
        self.r = x[0] if dimension == "axisymmetric" else 1.0
        self.qdeg = max(2 * (degree - 1), 1)
        meta = {"quadrature_degree": self.qdeg, "quadrature_scheme": "default"}
        dx = ufl.Measure("dx", domain=msh, subdomain_data=cell_tags, metadata=meta)
        ds = ufl.Measure("ds", domain=msh, subdomain_data=facet_tags)
        self.dx, self.ds = dx, ds
        li = CELL_TAGS["lithium"]

        # Li state at quadrature points
        cell_name = msh.topology.cell_name()
        self.qpoints, _ = basix.make_quadrature(basix.CellType[cell_name], self.qdeg)
        vec_q = basix.ufl.quadrature_element(cell_name, (self.ncomp,), degree=self.qdeg)
        sca_q = basix.ufl.quadrature_element(cell_name, (), degree=self.qdeg)
        Wv, Ws = fem.functionspace(msh, vec_q), fem.functionspace(msh, sca_q)
        self.stress_q, self.direction_q = fem.Function(Wv), fem.Function(Wv)
        self.shear2_q, self.rank1_q = fem.Function(Ws), fem.Function(Ws)
        self.li_cells = cell_tags.find(li)
        self.region_cells = {tag: cell_tags.find(tag) for tag in electrolyte}
        self.li_qdofs = Ws.dofmap.list[self.li_cells].ravel()
        lithium.allocate(self.li_qdofs.size, self.ncomp)
        self.strain_expr = fem.Expression(self.strain(self.u), self.qpoints)

        v, du = ufl.TestFunction(self.V), ufl.TrialFunction(self.V)
        eps_v, eps_du = self.strain(v), self.strain(du)
        one = ufl.as_vector(identity(self.ncomp))

        def dev(e):
            return e - (e[0] + e[1] + e[2]) / 3 * one

        r = self.r
        K = fem.Constant(msh, lithium.bulk_modulus)
        F = ufl.inner(self.stress_q, eps_v) * r * dx(li)
        for tag, material in electrolyte.items():
            F += ufl.inner(self.elastic_stress(self.u, material), eps_v) * r * dx(tag)
        J = (
            (
                K * trace(eps_du) * trace(eps_v)
                + self.shear2_q * ufl.inner(dev(eps_du), dev(eps_v))
                + self.rank1_q
                * ufl.inner(self.direction_q, eps_du)
                * ufl.inner(self.direction_q, eps_v)
            )
            * r
            * dx(li)
        )
        J_sse = sum(ufl.inner(self.elastic_stress(du, material), eps_v) * r * dx(tag)
                    for tag, material in electrolyte.items())
        # contact of the void roof with the plane z = 0 (penalty)
        h = 2 * ufl.Circumradius(msh)
        k_c = penalty * lithium.youngs_modulus / h
        z = self.vertical
        self.gap = x[z] + self.u[z]
        roof = FACET_TAGS["void_lithium"]
        contact = -k_c * ufl.max_value(-self.gap, 0.0) * v[z] * r * ds(roof)
        F += contact
        J += ufl.derivative(contact, self.u, du)  # the part that changes with the state
        self.k_c = k_c
        if loading == "traction":
            n = ufl.FacetNormal(msh)
            F += pressure * ufl.inner(n, v) * r * ds(FACET_TAGS["collector"])
        self.F_form, self.J_form = fem.form(F), fem.form(J + J_sse)
        self.area = {
            name: self._integrate(r * ds(FACET_TAGS[name]))
            for name in ("collector", "void_electrolyte")
        }
        # the bonded contact is interior to the cell mesh (Li on one side, SSE on the other)
        dS = ufl.Measure("dS", domain=msh, subdomain_data=facet_tags)
        r_facet = r("+") if dimension == "axisymmetric" else 1.0
        self.area["contact"] = self._integrate(r_facet * dS(FACET_TAGS["contact"]))
        self.reference_force = abs(pressure) * self.area["collector"]
        if self.reference_force <= 0:
            raise SolverError("the mesh has no loaded collector face (tag 'collector')")

        self.bcs, self.collector_dofs = self._dirichlet(loading == "collector")
        self.e_collector = fem.Function(self.V)
        self.e_collector.x.array[self.collector_dofs] = 1.0
        self.k_form = fem.form(ufl.action(J + J_sse, self.e_collector))
        self.U = 0.0

        self.A = fem_petsc.create_matrix(self.J_form)
        self.tangent = SplitTangent(self.J_form, fem.form(J_sse), fem.form(J), self.bcs)
        self.ndofs = self.V.dofmap.index_map.size_global * gdim
        Mechanics._count += 1
        prefix = f"lisse_mechanics_{Mechanics._count}_"
        opts = PETSc.Options()
        for key, value in krylov_options(prefix, numerics, self.ndofs, max_it=2000).items():
            opts[key] = value
        self.ksp = PETSc.KSP().create(self.comm)
        self.ksp.setOptionsPrefix(prefix)
        if opts.hasName(f"{prefix}pc_type") and opts.getString(f"{prefix}pc_type") == "gamg":
            for key, value in displacement_amg_options(prefix, self.comm.size > 1).items():
                opts[key] = value
        self.ksp.setFromOptions()
        self.iterative = self.ksp.getPC().getType() == "gamg"
        if self.iterative:
            self.A.setNearNullSpace(rigid_body_modes(self.V))
            self.bordered = BorderedCG(self.A, self.ksp.getPC(), f"{prefix}bordered_", 2000)
        self.newton_iterations = 0
        self.krylov_iterations = 0
        self.amg = AmgReuse()

    # -- helpers ------------------------------------------------------------------------
    def _dirichlet(self, collector: bool):
        """Homogeneous BCs (``supports``) and, for collector loading, the collector z-dofs
        (u_z = U)."""
        bcs = supports(self.V, self.facet_tags)
        collector_dofs = np.zeros(0, dtype=np.int32)
        if collector:
            bc, dofs = fixed_component(self.V, self.facet_tags.find(FACET_TAGS["collector"]),
                                       self.vertical)
            bcs.append(bc)
            collector_dofs = dofs * 1  # unrolled indices of V (a component sub-space)
        return bcs, collector_dofs

    def _update_material(self, dt: float):
        """Evaluate the strain at the Li quadrature points and the trial stress/tangent."""
        strain = self.strain_expr.eval(self.msh, self.li_cells).reshape(-1, self.ncomp)
        tangent = self.lithium.update(strain, dt)
        q = self.li_qdofs
        self.stress_q.x.array.reshape(-1, self.ncomp)[q] = tangent.stress
        self.direction_q.x.array.reshape(-1, self.ncomp)[q] = tangent.direction
        self.shear2_q.x.array[q] = tangent.shear2
        self.rank1_q.x.array[q] = tangent.rank1
        return tangent

    def _residual(self) -> PETSc.Vec:
        b = fem_petsc.assemble_vector(self.F_form)
        b.ghostUpdate(PETSc.InsertMode.ADD, PETSc.ScatterMode.REVERSE)
        return b

    def _solve(self, rhs: PETSc.Vec) -> PETSc.Vec:
        """x = A⁻¹ rhs."""
        x = rhs.duplicate()
        self.ksp.solve(rhs, x)
        reason = self.ksp.getConvergedReason()
        if reason < 0:
            raise SolverError(f"mechanics linear solver failed (PETSc reason {reason})")
        self.krylov_iterations += self.ksp.getIterationNumber()
        return x

    def _forcing(self, dt: float, norm: float, previous: float | None, tol: float) -> float:
        """Relative tolerance η of the linear solves of a Newton iteration (inexact Newton):
        η = ``SHARE`` · ‖R_k‖/‖R_{k−1}‖, a tenth of the last observed contraction (the linear
        error adds at most a tenth to the step's expected reduction; η → 0 as the Newton
        converges, so it stays superlinear), at most ``ETA_MAX`` (also at the first
        iteration of a creep step), at least krylov_rtol. The creep Newton's first
        iterations contract by only 0.03–0.04 (the power law's curvature), and solving
        them more accurately than that buys nothing: Eisenstat–Walker's 0.9 (‖R_k‖/‖R_{k−1}‖)²
        (η ≈ 1.4·10⁻³ there) gave the same residuals to 2.3 % with 9 % more CG iterations at
        63,189 unknowns (docs/benchmarks.md, issue 16, sixth pass). The
        iteration expected to be the last one (‖R_k‖²/‖R_{k−1}‖ ≤ 10 tol, the observed
        contraction carried on) is solved to η = 0.1 tol/‖R_k‖ (its linear error a tenth of
        the Newton tolerance; not capped by ``ETA_MAX``: at 1,069,563 unknowns the fifth
        iteration started from ‖R‖ = 1.1 tol and took 25 CG iterations to 10⁻² where
        η = 0.09 suffices), the elastic response (dt = 0) to krylov_rtol.
        Accuracy: tests/verification/test_mechanics_solvers.py (iterative = direct)."""
        if previous is None:
            return self.numerics.krylov_rtol if dt <= 0 else max(ETA_MAX,
                                                                   self.numerics.krylov_rtol)
        if norm * norm / previous <= 10 * tol:  # no more accurate than the Newton needs
            return max(0.1 * tol / norm, self.numerics.krylov_rtol)  # < 0.1: norm > tol
        return max(min(ETA_MAX, SHARE * norm / previous), self.numerics.krylov_rtol)

    def _collector_force(self, res: PETSc.Vec) -> float:
        """Σ internal forces on the owned collector z-dofs + p·A (zero at equilibrium)."""
        own = self._own_collector()
        return self.comm.allreduce(float(res.array_r[own].sum())) + self.reference_force

    def _own_collector(self) -> np.ndarray:
        n = self.V.dofmap.index_map.size_local * self.V.dofmap.index_map_bs
        return self.collector_dofs[self.collector_dofs < n]

    def _collector_step(self, rhs: PETSc.Vec, force: float) -> tuple[PETSc.Vec, float]:
        """The bordered Newton step for (δu, δU) of the rigid collector (``rhs`` = −R with
        zero constrained rows, ``force`` its balance F): one CG solve of the bordered system
        (``solver.fem.bordered_cg``), or with LU the elimination δu = x_a + δU x_b,
        x_a = A⁻¹ rhs, x_b = −A⁻¹ k, δU = −(F + k·x_a)/(d + k·x_b). Returns δu on the free
        dofs and δU [m]."""
        k = fem_petsc.assemble_vector(self.k_form)
        k.ghostUpdate(PETSc.InsertMode.ADD, PETSc.ScatterMode.REVERSE)
        own = self._own_collector()
        d = self.comm.allreduce(float(k.array_r[own].sum()))
        fem_petsc.set_bc(k, self.bcs, alpha=0.0)
        dx = rhs.duplicate()
        if self.iterative:
            dU, its = self.bordered.solve(k.array_r, d, rhs.array_r, -force, dx,
                                          self.ksp.getTolerances()[0])
            self.krylov_iterations += its
            return dx, dU
        dx = self._solve(rhs)
        xb = self._solve(k)
        xb.scale(-1.0)
        dU = -(force + k.dot(dx)) / (d + k.dot(xb))
        dx.axpy(dU, xb)
        return dx, dU

    def _newton(self, dt: float) -> int:
        """Solve one step of length dt (0: the instantaneous elastic response)."""
        tol = self.numerics.newton_rtol * self.reference_force
        collector = self.loading == "collector"
        previous = None
        for it in range(self.numerics.newton_max_iterations + 1):
            self._update_material(dt)
            res = self._residual()
            force = self._collector_force(res) if collector else 0.0
            fem_petsc.set_bc(res, self.bcs, alpha=0.0)
            norm = np.hypot(res.norm(), force)
            if not np.isfinite(norm):
                raise SolverError("mechanics residual is not finite")
            if norm <= tol:
                return it
            if it == self.numerics.newton_max_iterations:
                break
            self.tangent.assemble(self.A)  # the electrolyte's part assembled once
            self.ksp.setOperators(self.A)
            if self.iterative:  # the AMG hierarchy kept within a step and, while it serves
                # as well, across steps (solver.fem.amg_reuse)
                reuse_hierarchy(self.ksp.getPC(), it > 0 or not self.amg.rebuild())
                self.ksp.setTolerances(rtol=self._forcing(dt, norm, previous, tol))
            previous, before = norm, self.krylov_iterations
            res.scale(-1.0)
            dx, dU = self._collector_step(res, force) if collector else (self._solve(res), 0.0)
            self.amg.record(self.krylov_iterations - before, self.ksp.getTolerances()[0])
            fem_petsc.set_bc(dx, self.bcs, alpha=0.0)  # exact on the constrained dofs (an
            # inexact solve leaves them slightly off, and the residual does not see them)
            dx.array[self._own_collector()] = dU
            self.U += dU
            self.u.x.petsc_vec.axpy(1.0, dx)
            self.u.x.scatter_forward()
            self.newton_iterations += 1
        raise SolverError(
            f"mechanics Newton did not converge in "
            f"{self.numerics.newton_max_iterations} iterations (residual "
            f"{norm / self.reference_force:.2e} of the load)"
        )

    # -- public -------------------------------------------------------------------------
    def step(self, dt: float, max_halvings: int = 8) -> int:
        """Advance the state by dt [s] (dt = 0: apply the load elastically); a step whose
        Newton iteration fails is split in two, up to ``max_halvings`` times. Returns the
        number of Newton iterations."""
        saved_u, saved_U = self.u.x.array.copy(), self.U
        try:
            its = self._newton(dt)
        except SolverError:
            self.amg.end_step(converged=False)
            self.u.x.array[:] = saved_u
            self.U = saved_U
            if dt <= 0 or max_halvings == 0:
                raise
            return self.step(dt / 2, max_halvings - 1) + self.step(dt / 2, max_halvings - 1)
        self.amg.end_step(converged=True)
        self.lithium.commit()
        self.time += dt
        return its


def fixed_component(V: fem.FunctionSpace, facets: np.ndarray, component: int):
    """(u_component = 0 on ``facets``, its dofs) for a vector displacement space V."""
    fdim = V.mesh.topology.dim - 1
    dofs = fem.locate_dofs_topological(V.sub(component), fdim, facets)
    return fem.dirichletbc(PETSc.ScalarType(0.0), dofs, V.sub(component)), dofs


def supports(V: fem.FunctionSpace, facet_tags: dmesh.MeshTags) -> list:
    """The homogeneous supports of a cell's displacement space V: counter electrode
    (bottom) u_z = 0, lateral faces and the axis (``SIDE_TAGS``) symmetry planes u·n = 0;
    tags a mesh lacks (the Li's side on the electrolyte's own mesh) hold nothing."""
    msh, tags = V.mesh, facet_tags
    gdim = msh.geometry.dim
    bcs = [fixed_component(V, tags.find(FACET_TAGS["counter"]), gdim - 1)[0]]
    sides = np.unique(np.concatenate([tags.find(FACET_TAGS[n]) for n in SIDE_TAGS]))
    axis = normal_axis(msh, sides)
    bcs += [fixed_component(V, sides[axis == k], k)[0] for k in range(gdim)]
    return bcs
