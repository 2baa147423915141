"""One CG solve of a symmetric bordered system: an SPD operator with one global unknown.

The rigid current collector of the cell mechanics (``solver.physics.mechanics``) adds one
unknown to the displacement field: the collector's displacement U [m]. The Newton system in
(δu, δU) reads

    [A   k] [δu]     [R]     A: the tangent, rows and columns of the constrained dofs set to
    [kᵀ  d] [δU] = − [F]     the identity (SPD); k = J e on the free dofs and d = eᵀ J e
                             (e = 1 on the collector z-dofs, J the unconstrained tangent) [N/m];
                             R the residual [N], F the collector's force balance [N].

It is the tangent in the coordinates (free dofs, U), hence SPD, with the Schur complement
s = d − kᵀA⁻¹k > 0 (the cell's stiffness under the collector). Elimination needs two solves of
A per Newton iteration (x_a = −A⁻¹R and x_b = −A⁻¹k). Here one CG solve of the whole
(n + 1)-system instead, preconditioned by the block factorisation of its inverse with P, the
AMG of A, in place of A⁻¹:

    M⁻¹ = Lᵀ diag(P, 1/s̃) L,   L = [I 0; −wᵀ 1],   w = P k,   s̃ = d − kᵀw,

symmetric, and positive definite while s̃ > 0: the V-cycle is symmetric (pre- and
post-smoothing adjoint), so I − PA is positive semidefinite in the A-inner product,
kᵀPk ≤ kᵀA⁻¹k and s̃ ≥ s > 0 (checked at each solve; the benchmark's first creep tangent
at 63,189 unknowns: d = 1.1e7, s̃ = 4.1e6, s = 8.8e5 N/m). With P = A⁻¹ it is the exact
inverse; with the AMG the border costs one V-cycle per solve (w) and adds no CG iteration:
at 63,189 unknowns 27 iterations for the bordered system as for A alone, against 33 with the
block diagonal diag(P, 1/d), whose preconditioned operator has the outlying eigenvalues
1 ± √(1 − s/d). x_b had cost a second solve (at 163,731 unknowns 37 of a creep step's 122 CG
iterations; docs/benchmarks.md, issue 16). The CG stopping test is on the residual of the
whole system, ‖(r_u, r_U)‖ ≤ rtol ‖(R, F)‖ (unpreconditioned norm): the inexact-Newton
condition of the bordered Newton step itself.

Layout of the (n + 1)-vectors: the owned entries of A's vectors on each rank, then U on
rank 0 only.
"""

from __future__ import annotations

import numpy as np
from petsc4py import PETSc

from lisse.solver.errors import SolverError


class _Bordered:
    """The bordered operator and its preconditioner: the python context of the PETSc Mat
    and PC. Separate from ``BorderedCG``, which holds the KSP: a context that held the KSP
    would close a reference cycle through PETSc objects that Python's garbage collector
    cannot see, and keep A and its AMG hierarchy alive after their owner is gone."""

    def __init__(self, A: PETSc.Mat, pc: PETSc.PC):
        self.A, self.pc = A, pc
        self.comm = A.getComm().tompi4py()
        self.root = self.comm.rank == 0
        self.xu, self.yu = A.createVecs()
        self.k, self.w = self.xu.duplicate(), self.xu.duplicate()
        self.n = self.xu.getLocalSize()
        self.sizes = (self.n + (1 if self.root else 0), self.xu.getSize() + 1)
        self.d = self.schur = 1.0

    def border_value(self, a: np.ndarray) -> float:
        """The global unknown of an (n + 1)-vector's local array, on every rank."""
        return self.comm.bcast(float(a[self.n]) if self.root else None, root=0)

    # PETSc python-Mat interface: y = [A k; kᵀ d] x. Vector algebra by PETSc, not numpy:
    # a numpy dot product (BLAS) leaves OpenBLAS threads spinning for a while after it,
    # which doubled the CPU time of each CG iteration on this 2-core machine.
    def mult(self, mat, x: PETSc.Vec, y: PETSc.Vec) -> None:
        a = x.array_r
        value = self.border_value(a)
        self.xu.array[:] = a[: self.n]
        self.A.mult(self.xu, self.yu)
        self.yu.axpy(value, self.k)
        dot = self.k.dot(self.xu)  # global
        out = y.array
        out[: self.n] = self.yu.array_r
        if self.root:
            out[self.n] = dot + self.d * value

    # PETSc python-PC interface: y = Lᵀ diag(P, 1/s̃) L x, L = [I 0; −wᵀ 1]
    def apply(self, pc, x: PETSc.Vec, y: PETSc.Vec) -> None:
        a = x.array_r
        self.xu.array[:] = a[: self.n]
        value = (self.border_value(a) - self.w.dot(self.xu)) / self.schur
        self.pc.apply(self.xu, self.yu)
        self.yu.axpy(-value, self.w)
        out = y.array
        out[: self.n] = self.yu.array_r
        if self.root:
            out[self.n] = value

    def set_border(self, k: np.ndarray, d: float) -> None:
        """k (owned entries, zero on the constrained rows), d > 0; w = P k, s̃ = d − kᵀw."""
        self.k.array[:], self.d = k, d
        self.pc.setUp()  # a no-op while the caller reuses P
        self.pc.apply(self.k, self.w)
        self.schur = d - self.k.dot(self.w)
        if not 0 < self.schur <= d:
            raise SolverError(f"bordered solve: Schur complement estimate {self.schur:g} "
                              f"outside (0, d = {d:g}]: the preconditioner is not SPD")


class BorderedCG:
    """CG with the preconditioner Lᵀ diag(P, 1/s̃) L on [A k; kᵀ d] (a PETSc python Mat and
    PC).

    A: the assembled SPD operator (its object is kept: reassemble it in place); pc: the
    preconditioner P of A (set up by the caller for each new A); prefix: PETSc options prefix
    of the outer CG (its ``max_it`` from ``max_it``)."""

    def __init__(self, A: PETSc.Mat, pc: PETSc.PC, prefix: str, max_it: int):
        self.op = _Bordered(A, pc)
        mat = PETSc.Mat().createPython((self.op.sizes, self.op.sizes), self.op,
                                       comm=self.op.comm)
        mat.setUp()
        self.ksp = PETSc.KSP().create(self.op.comm)
        self.ksp.setOptionsPrefix(prefix)
        self.ksp.setType("cg")
        self.ksp.setNormType(PETSc.KSP.NormType.UNPRECONDITIONED)
        self.ksp.setOperators(mat)
        self.ksp.getPC().setType("python")
        self.ksp.getPC().setPythonContext(self.op)
        self.ksp.setTolerances(atol=1e-300, max_it=max_it)
        self.b, self.x = mat.createVecs()

    def solve(self, k: np.ndarray, d: float, rhs: np.ndarray, rhs_border: float,
              out: PETSc.Vec, rtol: float) -> tuple[float, int]:
        """Solve [A k; kᵀ d] (x, X) = (rhs, rhs_border) to ``rtol`` from zero.

        k, rhs: owned entries (zero on the constrained rows); d > 0. Writes x into the owned
        entries of ``out``; returns (X, CG iterations). Raises SolverError if CG fails."""
        op = self.op
        op.set_border(k, d)
        b = self.b.array
        b[: op.n] = rhs
        if op.root:
            b[op.n] = rhs_border
        self.x.set(0.0)
        self.ksp.setTolerances(rtol=rtol)
        self.ksp.solve(self.b, self.x)
        reason = self.ksp.getConvergedReason()
        if reason < 0:
            raise SolverError(f"bordered linear solve failed (PETSc reason {reason})")
        a = self.x.array_r
        out.array[: op.n] = a[: op.n]
        return op.border_value(a), self.ksp.getIterationNumber()
