"""Small-signal impedance of the cell about a steady state (validation Z1, Z2).

A harmonic perturbation δV e^{iωt} of the Li potential (the counter electrode is the
reference) drives the complex potential amplitude φ̂ in the electrolyte,

    −∇·((κ + iωε) ∇φ̂) = 0                      (conduction and displacement current),

with the linearised interface law on the Li contact (lumped nodal weights w, as the
steady solve):

    ĵ = Y (δV − φ̂ − Û),   1/Y = R_f + R_s/(1 + iω R_s C_s) + 1/(g_ct + iω C_dl),

g_ct = ∂j/∂η at the steady state, R_f the kinetics' series film resistance, R_s ‖ C_s an
interphase (resistance and dielectric capacitance, ``physics.interphase``, written in the
interface state) and C_dl the double-layer capacitance, in parallel with the charge
transfer; void floors and other insulating faces carry no current; an ideal counter
electrode holds φ̂ = 0, a kinetic one carries its own linearised admittance. The impedance
per interface area is Z(ω) = δV A / Î, Î = Σ w Y (δV − φ̂) [Ω m²].

With the real-scalar PETSc the complex system is solved as the real 2×2 block system

    [A  −B] [x_r]   [b_r]        A = K_κ + G,   B = ω (K_ε + C),
    [B   A] [x_i] = [b_i],

K the stiffness matrices of κ and ε, G and C the diagonal interface conductances and
susceptances (Y = G + iωC). A is SPD and B symmetric positive semi-definite, so the PRESB
preconditioner (Axelsson, Neytcheva & Ahmad, Numer. Algorithms 66, 811, 2014)

    P = [A  −B; B  A + 2B],   P⁻¹: h = (A+B)⁻¹(f + g),  y = (A+B)⁻¹(A h − f),  x = h − y

bounds the eigenvalues of P⁻¹M in [1/2, 1] independently of the mesh and of ω: FGMRES
converges in a few iterations, each costing two solves with the SPD matrix A + B — LU for
small systems; for large ones each "solve" is one V-cycle of smoothed-aggregation AMG (GAMG)
on A + B, an inexact PRESB that the flexible outer iteration absorbs (about 16 FGMRES
iterations per frequency at 1e-8 instead of about 4 with CG-converged inner solves, at a
third of the cost) — so a spectrum scales like a series of steady solves
(scripts/bench_impedance.py, docs/benchmarks.md). FGMRES stops at ``numerics.krylov_rtol``.
"""

from __future__ import annotations

import numpy as np
import ufl
from dolfinx import fem
from dolfinx.fem import petsc as fem_petsc
from petsc4py import PETSc

from lisse.solver.errors import SolverError
from lisse.solver.fem.linear import is_direct, krylov_options
from lisse.solver.physics.current import CurrentDistribution, CurrentSolution
from lisse.solver.physics.kinetics import charge_transfer


class Impedance:
    """Impedance spectrum of a current operator about ``steady`` (None: equilibrium, no
    current). ``capacitance``: C_dl [F/m²] of the Li contact; ``permittivity``: ε [F/m]
    (a float or a DG0 field, 0 for none), or ``admittivity(ω) -> (Re, Im)`` of κ + iωε
    (floats or DG0 fields) where it is not separable (laminated grain-boundary bands)."""

    _count = 0

    def __init__(self, cd: CurrentDistribution, steady: CurrentSolution | None,
                 capacitance: float, permittivity=0.0, admittivity=None):
        self.cd, self.n = cd, cd.n
        msh = cd.domain.mesh
        u, v = ufl.TrialFunction(cd.space), ufl.TestFunction(cd.space)
        r = cd.domain.radius_weight

        self.admittivity = admittivity

        def stiffness(coefficient):
            c = (coefficient if isinstance(coefficient, fem.Function)
                 else fem.Constant(msh, PETSc.ScalarType(coefficient)))
            flux = c * ufl.grad(u) if c.ufl_shape == () else ufl.dot(c, ufl.grad(u))
            mat = fem_petsc.assemble_matrix(fem.form(ufl.inner(flux, ufl.grad(v)) * r * ufl.dx))
            mat.assemble()
            return mat

        self.stiffness = stiffness
        self.K = self.K_eps = None  # κ and ε stiffness, when ε is one field for all ω
        if admittivity is None:
            self.K = stiffness(cd.conductivity)
            if isinstance(permittivity, fem.Function) or permittivity > 0:
                self.K_eps = stiffness(permittivity)
        phi = np.zeros(self.n) if steady is None else steady.potential.x.array[: self.n]
        voltage = 0.0 if steady is None else steady.cell_voltage
        self.g, self.c_film = self._interface(phi, voltage, capacitance)
        self.counter_g = np.zeros(self.n)
        if cd.counter.model != "ideal":
            _, dj = cd.counter_flux(phi)
            self.counter_g[cd.counter_nodes] = dj
        self.dirichlet = cd.counter_dirichlet
        Impedance._count += 1
        self.prefix = f"lisse_eis_{Impedance._count}_"
        self.ksp = PETSc.KSP().create(cd.comm)
        self.ksp.setOptionsPrefix(self.prefix)
        opts = PETSc.Options()
        options = krylov_options(self.prefix, cd.numerics, cd.ndofs)
        if not is_direct(cd.numerics, cd.ndofs):  # one AMG V-cycle per inner "solve"
            options = {k: v for k, v in options.items()
                       if not k[len(self.prefix):].startswith("ksp_")}
            options[f"{self.prefix}ksp_type"] = "preonly"
        for key, value in options.items():
            opts[key] = value
        self.ksp.setFromOptions()
        self.iterations = 0  # inner (A + B) Krylov iterations, all frequencies
        self.outer_iterations = 0  # FGMRES iterations, all frequencies

    def _interface(self, phi, voltage, capacitance):
        """Per contact node: charge-transfer conductance w g_ct [S] (per radian), double-layer
        capacitance w C_dl [F], the kinetics' film resistance R_f/w [Ω], the interphase
        resistance R_s/w [Ω] and its time constant R_s C_s [s]."""
        cd, c = self.cd, self.cd.contact
        s = cd.interface
        film = cd.working.film_resistance + s.film_resistance[c]
        j, _ = cd.working_current(phi, voltage)
        eta = voltage - phi[c] - s.shift[c] - j * film
        _, g_ct = charge_transfer(eta, cd.working, cd.temperature, i0_factor=s.i0_factor[c])
        w = cd.w_contact[c]
        r_s = s.film_resistance[c]
        tau = np.zeros_like(r_s) if s.film_capacitance is None else r_s * s.film_capacitance[c]
        return w * g_ct, (w * capacitance, cd.working.film_resistance / w, r_s / w, tau)

    def admittance(self, omega: float) -> np.ndarray:
        """Complex nodal admittance Y [S] of the contact nodes at ω [rad/s]."""
        cap, film_r, inter_r, tau = self.c_film
        inner = self.g + 1j * omega * cap
        series = film_r + inter_r / (1.0 + 1j * omega * tau)
        return inner / (1.0 + series * inner)

    def solve(self, frequency: float) -> complex:
        """Z [Ω m²] per interface area at ``frequency`` [Hz]."""
        omega = 2 * np.pi * frequency
        cd, n = self.cd, self.n
        y = self.admittance(omega)
        G, B = np.zeros(n), np.zeros(n)
        G[cd.contact], B[cd.contact] = y.real, y.imag
        G += self.counter_g
        if self.admittivity is None:
            K_re, K_im = self.K, self.K_eps
            if K_im is not None:
                K_im = K_im.copy()
                K_im.scale(omega)
        else:
            K_re, K_im = (self.stiffness(c) for c in self.admittivity(omega))
        A = self._with_diagonal(K_re, G)
        ApB = self._with_diagonal(K_re, G + B, K_im, 1.0)
        Bm = None if K_im is None else K_im.copy()
        if Bm is not None:
            self._zero_dirichlet(Bm, 0.0)
        b_r, b_i = np.zeros(n), np.zeros(n)
        b_r[cd.contact], b_i[cd.contact] = y.real, y.imag
        system = _Presb(self, A, Bm, B, ApB)
        x_r, x_i = system.solve(b_r, b_i)
        return complex(cd.interface_area / self._counter_current(K_re, K_im, x_r, x_i))

    def _counter_current(self, K_re, K_im, x_r, x_i) -> complex:
        """Î [A per unit δV] through the counter electrode: the reaction −Σ (K φ̂)_i of the
        full κ (+ iωε) stiffness at its Dirichlet nodes (ideal), else Σ g_c φ̂ of its own
        admittance. Equal to Σ Y (δV − φ̂) over the contact by conservation, but free of its
        cancellation at high frequency, where the double layer shorts the contact and
        δV − φ̂ → 0 there while the bulk carries the whole drop."""
        cd = self.cd
        if cd.counter.model != "ideal":
            local = complex(np.sum(self.counter_g * (x_r + 1j * x_i)))
        else:
            re, im = _matvec(K_re, x_r), _matvec(K_re, x_i)
            if K_im is not None:
                re, im = re - _matvec(K_im, x_i), im + _matvec(K_im, x_r)
            d = self.dirichlet
            local = -complex(np.sum(re[d]) + 1j * np.sum(im[d]))
        return cd.comm.allreduce(local)

    def _with_diagonal(self, K, diagonal, K2=None, scale=0.0):
        """K (+ scale·K2) + diag(diagonal) with identity Dirichlet rows and columns."""
        mat = K.copy()
        if K2 is not None and scale:
            mat.axpy(scale, K2, structure=PETSc.Mat.Structure.SAME_NONZERO_PATTERN)
        d = mat.createVecLeft()
        d.array[:] = diagonal
        mat.setDiagonal(d, addv=PETSc.InsertMode.ADD_VALUES)
        self._zero_dirichlet(mat, 1.0)
        return mat

    def _zero_dirichlet(self, mat, diag):
        rows = self.cd.space.dofmap.index_map.local_range[0] + np.flatnonzero(self.dirichlet)
        mat.zeroRowsColumns(rows.astype(PETSc.IntType), diag=diag)


def _matvec(mat, x: np.ndarray) -> np.ndarray:
    """mat · x for the owned values x of this rank."""
    vx, vy = mat.createVecRight(), mat.createVecLeft()
    vx.array[:] = x
    mat.mult(vx, vy)
    return vy.array_r.copy()


class _Presb:
    """FGMRES on the real 2×2 block system with the PRESB preconditioner (module
    docstring); the global vector holds each rank's real then imaginary owned values."""

    def __init__(self, owner: Impedance, A, B_mat, B_diag, ApB):
        self.o, self.A, self.Bm, self.Bd, self.ApB = owner, A, B_mat, B_diag, ApB
        self.n = owner.n
        self.comm = owner.cd.comm

    def _B(self, x):
        out = self.Bd * x
        out[self.o.dirichlet] = 0.0
        return out if self.Bm is None else out + _matvec(self.Bm, x)

    def _inner(self, rhs):
        self.o.ksp.setOperators(self.ApB)
        b, x = self.ApB.createVecLeft(), self.ApB.createVecRight()
        b.array[:] = rhs
        self.o.ksp.solve(b, x)
        if self.o.ksp.getConvergedReason() < 0:
            raise SolverError(f"impedance: inner solve failed (PETSc reason "
                              f"{self.o.ksp.getConvergedReason()})")
        self.o.iterations += self.o.ksp.getIterationNumber()
        return x.array_r.copy()

    def mult(self, mat, x, y):
        xr, xi = x.array_r[: self.n], x.array_r[self.n:]
        y.array[: self.n] = _matvec(self.A, xr) - self._B(xi)
        y.array[self.n:] = self._B(xr) + _matvec(self.A, xi)

    def apply(self, pc, x, y):
        f, g = x.array_r[: self.n], x.array_r[self.n:]
        h = self._inner(f + g)
        im = self._inner(_matvec(self.A, h) - f)
        y.array[: self.n] = h - im
        y.array[self.n:] = im

    def solve(self, b_r, b_i):
        sizes = (2 * self.n, PETSc.DECIDE)
        op = PETSc.Mat().createPython((sizes, sizes), self, comm=self.comm)
        op.setUp()
        ksp = PETSc.KSP().create(self.comm)
        ksp.setType("fgmres")
        ksp.setGMRESRestart(60)
        ksp.setOperators(op)
        ksp.getPC().setType("python")
        ksp.getPC().setPythonContext(self)
        ksp.setTolerances(rtol=self.o.cd.numerics.krylov_rtol, atol=1e-300, max_it=200)
        b = PETSc.Vec().createMPI(sizes, comm=self.comm)
        b.array[: self.n], b.array[self.n:] = b_r, b_i
        x = b.duplicate()
        x.set(0.0)
        ksp.solve(b, x)
        reason = ksp.getConvergedReason()
        self.o.outer_iterations += ksp.getIterationNumber()
        ksp.destroy()
        if reason < 0:
            raise SolverError(f"impedance: FGMRES did not converge (PETSc reason {reason})")
        return x.array_r[: self.n].copy(), x.array_r[self.n:].copy()
