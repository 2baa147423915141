"""Steady current distribution in the solid electrolyte.

The electrolyte potential φ [V] solves ∇·(κ∇φ) = 0 (single-ion conductor, electroneutral).
The Li electrode is an equipotential at the cell voltage V (the counter electrode is the
reference, 0 V). Boundary conditions:

* contact (Li/electrolyte): κ∂φ/∂n = j_w(V − φ), the working-electrode kinetics
  (``solver.physics.kinetics``), or φ = V for a primary (kinetics-free) distribution;
* void floors and lateral symmetry faces: no flux;
* counter electrode: φ = 0 (ideal) or −κ∂φ/∂n = −j_c(−φ), the current leaving the
  electrolyte into the counter electrode.

Galvanostatic control adds the global unknown V and the constraint ∫_contact j_w dA = I.

Discretisation: P1 Lagrange. The interface laws are applied node by node with lumped
(vertex-quadrature) weights w_i = ∫ v_i dA, which makes a series film resistance (an
implicit law) a local scalar solve and keeps the Jacobian exact. The Newton system
(φ, V) is bordered:

    [A   c] [δφ]     [R_φ]          A = K + diag(w_i j'_i)  (SPD, solved by CG + GAMG)
    [rᵀ  d] [δV] = − [R_V]

and is solved by PETSc SNES with a shell preconditioner doing exact block elimination with
two solves of A, so AMG applies to the only large block. Axisymmetric integrals carry the
weight r (the common factor 2π is dropped throughout).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import ufl
from dolfinx import fem
from dolfinx.fem import petsc as fem_petsc
from mpi4py import MPI
from petsc4py import PETSc

from lisse.meshes.geometry import FACET_TAGS
from lisse.solver.config.params import Kinetics, Numerics
from lisse.solver.errors import SolverError
from lisse.solver.fem.bordered import BorderedNewton
from lisse.solver.fem.domain import Domain
from lisse.solver.fem.linear import krylov_options
from lisse.solver.physics.interface_state import InterfaceState
from lisse.solver.physics.kinetics import interface_current, planar_cell_voltage


@dataclass
class CurrentSolution:
    """Result of a current-distribution solve (SI units).

    current: total current through the contact [A] (per radian of an axisymmetric cell).
    interface_area: area of the interface plane, contact plus voids [m²] (per radian).
    contact_area: area in contact [m²].
    nodes_x: coordinates of the owned interface nodes (contact and void floor), shape (n, 3).
    nodes_j: local current density at those nodes [A/m²] (0 on void floors).
    nodes_contact: True where the node belongs to a contact facet.
    local_current: local current density at every owned dof [A/m²] (0 off the contact).
    """

    potential: fem.Function
    cell_voltage: float
    current: float
    interface_area: float
    contact_area: float
    nodes_x: np.ndarray
    nodes_j: np.ndarray
    nodes_contact: np.ndarray
    local_current: np.ndarray
    newton_iterations: int
    krylov_iterations: int
    domain: Domain | None = None
    conductivity: float | fem.Function | None = None  # κ as given to the solver

    @property
    def current_density(self) -> float:
        """Mean current density over the interface plane [A/m²]."""
        return self.current / self.interface_area


# Li surfaces of the conduction domain that carry the working-electrode kinetics.
REACTING_FACETS = ("contact", "crack_lithium", "liquid_lithium")


class CurrentDistribution:
    """Assembles the conduction operator once and solves for φ and V.

    conductivity: κ [S/m], a float or a DG0 function on the domain (scalar, or a gdim×gdim
    tensor for anisotropic grain-boundary bands; ``solver.physics.conductivity``).
    source: an optional extra linear form L(v) added to the right-hand side (used by the
    manufactured-solution tests).

    The kinetics act on every Li surface of the domain (REACTING_FACETS: the planar
    contact, Li-filled crack faces, wetted roofs of liquid-filled voids); ``contact_area``
    is the planar contact only and ``interface_area`` the interface plane (contact plus
    void floors, dry or liquid-filled).
    """

    _count = 0

    def __init__(self, domain: Domain, conductivity: float, working: Kinetics,
                 counter: Kinetics, temperature: float, numerics: Numerics,
                 source: ufl.Form | None = None):
        self.domain, self.working, self.counter = domain, working, counter
        self.temperature, self.numerics = temperature, numerics
        msh = domain.mesh
        self.comm = msh.comm
        self.space = fem.functionspace(msh, ("Lagrange", 1))
        self.phi = fem.Function(self.space, name="potential")
        u, v = ufl.TrialFunction(self.space), ufl.TestFunction(self.space)
        r, ds = domain.radius_weight, domain.ds()
        self.conductivity = conductivity
        if isinstance(conductivity, fem.Function):
            kappa = conductivity
        else:
            kappa = fem.Constant(msh, PETSc.ScalarType(conductivity))
        flux = kappa * ufl.grad(u) if kappa.ufl_shape == () else ufl.dot(kappa, ufl.grad(u))
        self.K = fem_petsc.assemble_matrix(fem.form(ufl.inner(flux, ufl.grad(v)) * r * ufl.dx))
        self.K.assemble()
        self.n = self.space.dofmap.index_map.size_local
        w_meshed = self._lumped_weights(v * r * ds(FACET_TAGS["contact"]))
        # lumped area of the interface plane (contact and dry void floors) and of the other
        # reacting Li surfaces (crack faces, wetted roofs), always in contact
        self.w_interface = w_meshed + self._lumped_weights(
            v * r * ds(FACET_TAGS["void_electrolyte"]))
        self.w_reacting = sum(self._lumped_weights(v * r * ds(FACET_TAGS[name]))
                              for name in REACTING_FACETS if name != "contact")
        self.w_counter = self._lumped_weights(v * r * ds(FACET_TAGS["counter"]))
        self.counter_nodes = np.flatnonzero(self.w_counter > 0)
        self.interface_area = self.sum(self.w_interface) + self._filled_void_area()
        if self.sum(w_meshed) <= 0:
            raise SolverError("the mesh has no contact facets (tag 'contact')")
        self.interface_nodes = np.flatnonzero(self.w_interface > 0)
        meshed_share = np.divide(w_meshed, self.w_interface, out=np.zeros(self.n),
                                 where=self.w_interface > 0)
        self.meshed_interface = InterfaceState.neutral(meshed_share)
        self.source = None
        if source is not None:
            vec = fem_petsc.assemble_vector(fem.form(source))
            vec.ghostUpdate(PETSc.InsertMode.ADD, PETSc.ScatterMode.REVERSE)
            self.source = vec.array_r[: self.n].copy()
        # Dirichlet nodes: counter (ideal) and, for a primary distribution, the contact.
        self.dirichlet = np.zeros(self.n, dtype=bool)
        if counter.model == "ideal":
            self.dirichlet[self.counter_nodes] = True
        self.counter_dirichlet = self.dirichlet.copy()
        self.ndofs = self.space.dofmap.index_map.size_global
        CurrentDistribution._count += 1
        self.prefix = f"lisse_current_{CurrentDistribution._count}_"
        # The Newton operator is A = K + diag(added) with identity Dirichlet rows and
        # columns. With kinetics on the contact the Dirichlet set (an ideal counter) never
        # changes: K itself becomes A and K φ = A φ − added ⊙ φ (φ = 0 there), so only one
        # matrix is stored. A primary distribution keeps K for its lifting and reactions.
        self.added = np.zeros(self.n)
        if working.model == "primary":
            self.A = self.K.copy()
        else:
            self.A = self.K
            self._zero_dirichlet()
            self.base_diagonal = self.A.getDiagonal().array_r.copy()
        self.ksp = PETSc.KSP().create(self.comm)
        self.ksp.setOptionsPrefix(self.prefix)
        opts = PETSc.Options()
        for key, value in krylov_options(self.prefix, numerics, self.ndofs).items():
            opts[key] = value
        self.ksp.setFromOptions()
        self.krylov_iterations = 0
        self.set_interface(self.meshed_interface)

    # -- the interface state (lisse.solver.physics.interface_state) ---------------------
    def set_interface(self, state: InterfaceState) -> None:
        """Use ``state`` for the working-electrode law: the contact shares set the lumped
        contact weights w_c = s·w_plane (plus the other reacting Li surfaces, always in
        contact), the rest of the plane is insulating void floor."""
        if self.working.model == "primary" and (
                np.any(state.shift) or np.any(state.i0_factor != 1)
                or np.any(state.film_resistance)):
            raise SolverError("stress coupling and interphases need butler_volmer or linear "
                              "kinetics")
        self.interface = state
        share = np.clip(state.contact, 0.0, 1.0)
        self.w_plane = self.w_interface * share
        self.w_void = self.w_interface - self.w_plane
        self.w_contact = self.w_plane + self.w_reacting
        self.contact = np.flatnonzero(self.w_contact > 0)
        self.contact_area = self.sum(self.w_plane)

    def working_current(self, phi: np.ndarray, voltage: float):
        """j and dj/d(V − φ) of the working electrode at the contact nodes."""
        c, s = self.contact, self.interface
        film = self.working.film_resistance + s.film_resistance[c]
        return interface_current(voltage - phi[c] - s.shift[c], self.working,
                                 self.temperature, i0_factor=s.i0_factor[c],
                                 film_resistance=film)

    def planar_voltage(self, current_density: float) -> float:
        """Cell voltage of the kinetics alone at a uniform current density [A/m²] (the
        Newton start)."""
        return planar_cell_voltage(current_density, 0.0, 1.0, self.working, self.counter,
                                   self.temperature)

    def ohmic_share(self) -> np.ndarray:
        """s = 1 + z/L ∈ [0, 1] at the owned dofs (z the coordinate normal to the interface
        plane z = 0, L the electrolyte thickness): φ = sV is the ohmic profile of a planar
        cell at cell voltage V, the potentiostatic Newton start."""
        gdim = self.domain.mesh.geometry.dim
        z = self.space.tabulate_dof_coordinates()[: self.n, gdim - 1]
        depth = -self.comm.allreduce(float(z.min(initial=0.0)), op=MPI.MIN)
        return np.clip(1.0 + z / depth, 0.0, 1.0) if depth > 0 else np.ones(self.n)

    # -- assembly helpers -------------------------------------------------------------
    def _filled_void_area(self) -> float:
        """Area of void floors inside the domain (liquid-filled voids: interior facets)."""
        weight = self.domain.radius_weight
        weight = weight("+") if self.domain.axisymmetric else fem.Constant(self.domain.mesh, 1.0)
        dS = ufl.Measure("dS", domain=self.domain.mesh, subdomain_data=self.domain.facet_tags)
        form = fem.form(weight * dS(FACET_TAGS["void_electrolyte"]))
        return self.comm.allreduce(fem.assemble_scalar(form))

    def _lumped_weights(self, form) -> np.ndarray:
        vec = fem_petsc.assemble_vector(fem.form(form))
        vec.ghostUpdate(PETSc.InsertMode.ADD, PETSc.ScatterMode.REVERSE)
        return vec.array_r[: self.n].copy()

    def sum(self, a: np.ndarray) -> float:
        return self.comm.allreduce(float(np.sum(a)))

    def K_times(self, phi_owned: np.ndarray) -> np.ndarray:
        """K φ (off the Dirichlet rows when K has become the Newton operator)."""
        x = self.K.createVecRight()
        x.array[:] = phi_owned
        y = self.K.createVecLeft()
        self.K.mult(x, y)
        if self.A is self.K:
            return y.array_r - self.added * phi_owned
        return y.array_r.copy()

    def apply_operator(self, x: np.ndarray) -> np.ndarray:
        """A x with the present Newton operator A (owned dofs)."""
        vx, vy = self.A.createVecRight(), self.A.createVecLeft()
        vx.array[:] = x
        self.A.mult(vx, vy)
        return vy.array_r.copy()

    def counter_flux(self, phi: np.ndarray):
        """Nodal current leaving the electrolyte into the counter electrode and its
        derivative with respect to φ (zero for an ideal counter electrode)."""
        nodes = self.counter_nodes
        if self.counter.model == "ideal":
            return np.zeros(len(nodes)), np.zeros(len(nodes))
        j, dj = interface_current(-phi[nodes], self.counter, self.temperature)
        return -self.w_counter[nodes] * j, self.w_counter[nodes] * dj

    # -- public solves ----------------------------------------------------------------
    def solve(self, mode: str, value: float) -> CurrentSolution:
        """Solve under ``mode`` "galvanostatic" (value: mean current density over the
        interface plane [A/m²]) or "potentiostatic" (value: cell voltage [V])."""
        if self.working.model == "primary":
            return self._solve_primary(mode, value)
        return self._solve_newton(mode, value)

    def set_operator(self, diagonal: np.ndarray) -> None:
        """Set A = K + diag(diagonal), with identity rows and columns on Dirichlet nodes."""
        d = self.A.createVecLeft()
        if self.A is self.K:
            self.added = np.where(self.dirichlet, 0.0, diagonal)
            d.array[:] = self.base_diagonal + self.added
            self.A.setDiagonal(d, addv=PETSc.InsertMode.INSERT_VALUES)
        else:
            self.K.copy(self.A, structure=PETSc.Mat.Structure.SAME_NONZERO_PATTERN)
            d.array[:] = diagonal
            self.A.setDiagonal(d, addv=PETSc.InsertMode.ADD_VALUES)
            self._zero_dirichlet()
        self.ksp.setOperators(self.A)

    def _zero_dirichlet(self) -> None:
        rows = self.space.dofmap.index_map.local_range[0] + np.flatnonzero(self.dirichlet)
        self.A.zeroRowsColumns(rows.astype(PETSc.IntType), diag=1.0)

    def linear_solve(self, rhs: np.ndarray) -> np.ndarray:
        b = self.A.createVecLeft()
        b.array[:] = rhs
        x = self.A.createVecRight()
        self.ksp.solve(b, x)
        if self.ksp.getConvergedReason() < 0:
            raise SolverError(f"linear solver failed (PETSc reason "
                              f"{self.ksp.getConvergedReason()})")
        self.krylov_iterations += self.ksp.getIterationNumber()
        return x.array_r.copy()

    def _solve_primary(self, mode: str, value: float) -> CurrentSolution:
        """Equipotential contact. The problem is linear and homogeneous in V (the counter
        electrode must be ideal or linear): solve once for V = 1 and scale."""
        if self.counter.model not in ("ideal", "linear"):
            raise SolverError("primary kinetics needs an ideal or linear counter electrode")
        self.dirichlet = self.counter_dirichlet.copy()
        self.dirichlet[self.contact] = True
        diagonal = np.zeros(self.n)
        if self.counter.model == "linear":
            _, dflux = self.counter_flux(np.zeros(self.n))
            diagonal[self.counter_nodes] = dflux
        lift = np.zeros(self.n)
        lift[self.contact] = 1.0
        rhs = -self.K_times(lift)
        if self.source is not None:
            raise SolverError("a source term is not supported with primary kinetics")
        rhs[self.dirichlet] = lift[self.dirichlet]
        self.set_operator(diagonal)
        unit = self.linear_solve(rhs)
        reaction = self.K_times(unit)  # nodal current entering through the contact
        unit_current = self.sum(reaction[self.contact])
        if mode == "galvanostatic":
            voltage = value * self.interface_area / unit_current
        else:
            voltage = value
        phi = voltage * unit
        nodal_current = np.zeros(self.n)
        nodal_current[self.contact] = voltage * reaction[self.contact]
        return self._solution(phi, voltage, nodal_current, newton_iterations=1)

    def _solve_newton(self, mode: str, value: float) -> CurrentSolution:
        """Newton on (φ, V) through SNES with the exact Jacobian (see module docstring)."""
        phi, voltage, its = BorderedNewton(self, mode, value).solve(self.prefix + "snes_")
        nodal_current = np.zeros(self.n)
        j, _ = self.working_current(phi, voltage)
        nodal_current[self.contact] = self.w_contact[self.contact] * j
        return self._solution(phi, voltage, nodal_current, newton_iterations=its)

    def _solution(self, phi: np.ndarray, voltage: float, nodal_current: np.ndarray,
                  newton_iterations: int) -> CurrentSolution:
        self.phi.x.array[: self.n] = phi
        self.phi.x.scatter_forward()
        nodes = np.flatnonzero((self.w_contact > 0) | (self.w_void > 0))
        in_contact = self.w_contact[nodes] > 0
        local = np.divide(nodal_current, self.w_contact, out=np.zeros(self.n),
                          where=self.w_contact > 0)
        j = local[nodes]
        x = self.space.tabulate_dof_coordinates()[nodes]
        return CurrentSolution(
            potential=self.phi, cell_voltage=float(voltage),
            current=self.sum(nodal_current[self.contact]),
            interface_area=self.interface_area, contact_area=self.contact_area,
            nodes_x=x, nodes_j=j, nodes_contact=in_contact, local_current=local,
            newton_iterations=newton_iterations, krylov_iterations=self.krylov_iterations,
            domain=self.domain, conductivity=self.conductivity)
