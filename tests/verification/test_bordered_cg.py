"""One CG solve of a bordered SPD system (``solver.fem.bordered_cg``) against the dense
solve, and the cost of its border: a P1 Laplacian on a unit cube, fixed at z = 0, its top
face z = 1 moved as one rigid unknown (the shape of the rigid collector of the mechanics)."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import ufl
from dolfinx import fem, mesh
from dolfinx.fem import petsc as fem_petsc
from mpi4py import MPI
from petsc4py import PETSc

from lisse.solver.fem.bordered_cg import BorderedCG


def _system():
    msh = mesh.create_unit_cube(MPI.COMM_SELF, 7, 7, 7)
    V = fem.functionspace(msh, ("Lagrange", 1))
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    a = ufl.inner(ufl.grad(u), ufl.grad(v)) * ufl.dx

    def dofs(z):
        return fem.locate_dofs_geometrical(V, lambda x: np.isclose(x[2], z))

    bottom, top = dofs(0.0), dofs(1.0)
    bcs = [fem.dirichletbc(PETSc.ScalarType(0.0), d, V) for d in (bottom, top)]
    A = fem_petsc.assemble_matrix(fem.form(a), bcs=bcs)
    A.assemble()
    e = fem.Function(V)
    e.x.array[top] = 1.0
    k_full = fem_petsc.assemble_vector(fem.form(ufl.action(a, e)))
    d = float(k_full.array_r[top].sum())  # eᵀ K e
    fem_petsc.set_bc(k_full, bcs, alpha=0.0)
    rng = np.random.default_rng(1)
    rhs = rng.standard_normal(k_full.getSize())
    rhs[np.concatenate([bottom, top])] = 0.0
    return msh, A, k_full.array_r.copy(), d, rhs  # the mesh keeps A's communicator alive


def _ksp(A: PETSc.Mat, prefix: str) -> PETSc.KSP:
    ksp = PETSc.KSP().create(MPI.COMM_SELF)
    ksp.setOptionsPrefix(prefix)
    ksp.setType("cg")
    ksp.setNormType(PETSc.KSP.NormType.UNPRECONDITIONED)
    ksp.getPC().setType("gamg")
    ksp.setOperators(A)
    ksp.setTolerances(rtol=1e-10, atol=1e-300)
    ksp.setUp()
    return ksp


def test_bordered_cg_matches_the_dense_solve_in_the_iterations_of_A_alone(validation):
    _msh, A, k, d, rhs = _system()
    indptr, cols, vals = A.getValuesCSR()
    dense = np.zeros((A.getSize()[0],) * 2)
    for row in range(dense.shape[0]):
        dense[row, cols[indptr[row]:indptr[row + 1]]] = vals[indptr[row]:indptr[row + 1]]
    full = np.block([[dense, k[:, None]], [k[None, :], np.array([[d]])]])
    exact = np.linalg.solve(full, np.append(rhs, 0.3))
    plain = _ksp(A, "test_bordered_plain_")
    solver = BorderedCG(A, plain.getPC(), "test_bordered_", 200)
    out = A.createVecs()[0]
    value, its = solver.solve(k, d, rhs, 0.3, out, 1e-10)
    x = np.append(out.array_r, value)
    rel = np.linalg.norm(x - exact) / np.linalg.norm(exact)
    validation.record("Bordered CG: one solve of [A k; kᵀ d] (the rigid collector's system)",
                      "dense solve of the (n + 1)-system", "numpy.linalg.solve",
                      "1e-8 rel. (CG rtol 1e-10)", f"{rel:.1e} rel, {its} CG its",
                      "P1 unit cube 7³ (512 dofs)", rel < 1e-8)
    assert rel < 1e-8, rel
    assert 0 < d - k @ np.linalg.solve(dense, k) <= solver.op.schur <= d  # s ≤ s̃ ≤ d
    b, y = A.createVecs()
    b.array[:] = rhs
    plain.solve(b, y)
    assert its <= plain.getIterationNumber() + 1, (its, plain.getIterationNumber())
    context = weakref.ref(solver.op)
    del solver
    gc.collect()
    assert context() is None  # no reference cycle keeps A and its AMG alive
