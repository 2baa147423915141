"""The AMG hierarchy's rebuild rule across Newton steps, and a kept hierarchy's smoother
for a changed operator (``solver.fem.amg_reuse``)."""

from __future__ import annotations

from mpi4py import MPI
from petsc4py import PETSc

from lisse.solver.config.params import Numerics
from lisse.solver.fem.amg_reuse import REBUILD, AmgReuse, reuse_hierarchy
from lisse.solver.fem.linear import displacement_amg_options, krylov_options


def _step(amg: AmgReuse, iterations: int, decades: float = 4.0) -> bool:
    rebuilt = amg.rebuild()
    amg.record(iterations, 10.0 ** -decades)
    amg.end_step(converged=True)
    return rebuilt


def test_rebuilt_first_kept_while_as_fast_rebuilt_when_slower_or_after_a_failure():
    amg = AmgReuse()
    assert _step(amg, 20)  # no hierarchy yet: 5 CG iterations per decade
    assert not _step(amg, int(20 * REBUILD))  # as slow as REBUILD × the build step: kept
    assert not _step(amg, int(20 * REBUILD) + 1)  # decided on the previous step's rate
    assert _step(amg, 20)  # the previous step was slower than REBUILD ×: rebuilt
    assert not _step(amg, 20)
    amg.end_step(converged=True)  # a step that converged without a linear solve
    assert not _step(amg, 20)
    amg.rebuild()
    amg.end_step(converged=False)  # a failed step (e.g. a linear solve hit max_it)
    assert _step(amg, 20)


def _laplacian(n: int) -> PETSc.Mat:
    """The 5-point Laplacian of an n × n grid (Dirichlet), n² rows over the ranks."""
    A = PETSc.Mat().createAIJ((n * n, n * n), nnz=5, comm=MPI.COMM_WORLD)
    start, end = A.getOwnershipRange()
    for row in range(start, end):
        i, j = divmod(row, n)
        A[row, row] = 4.0
        for di, dj in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            if 0 <= i + di < n and 0 <= j + dj < n:
                A[row, (i + di) * n + j + dj] = -1.0
    A.assemble()
    return A


def test_reused_hierarchy_smooths_with_the_current_operator():
    """Kept for a changed operator, the hierarchy's finest Schwarz smoother copies the new
    operator's subdomain matrices (``reuse_hierarchy``); ``setReusePreconditioner`` alone
    leaves it the old one's."""
    n = 40
    A = _laplacian(n)
    prefix = "test_reuse_hierarchy_"
    opts = PETSc.Options()
    numerics = Numerics(linear_solver="iterative")
    # the cell mechanics' options on several ranks (here possibly one: one subdomain)
    options = krylov_options(prefix, numerics, n * n)
    options |= displacement_amg_options(prefix, schwarz=True)
    for key, value in options.items():
        opts[key] = value
    ksp = PETSc.KSP().create(MPI.COMM_WORLD)
    ksp.setOptionsPrefix(prefix)
    ksp.setOperators(A)
    ksp.setFromOptions()
    b, x = A.createVecs()
    b.set(1.0)
    ksp.solve(b, x)
    pc = ksp.getPC()
    fine = pc.getMGSmoother(pc.getMGLevels() - 1).getPC()
    assert fine.getType() == "asm"
    copy = fine.getASMSubKSP()[0].getOperators()[0]
    before = copy.norm()
    A.scale(2.0)
    pc.setReusePreconditioner(True)
    # nothing refreshed yet: the build's copy
    assert abs(copy.norm() - before) <= 1e-14 * before
    reuse_hierarchy(pc, True)
    assert abs(copy.norm() - 2 * before) <= 1e-14 * before
    ksp.solve(b, x)
    assert ksp.getConvergedReason() > 0
    r = b.duplicate()
    A.mult(x, r)
    r.aypx(-1.0, b)
    assert r.norm() <= numerics.krylov_rtol * b.norm()
    for key in options:
        opts.delValue(key)
