"""Linear-solver options shared by the physics: MUMPS LU for small systems, CG with
smoothed-aggregation AMG (GAMG, Chebyshev–Jacobi smoothing) otherwise; for the displacement
problem (``solver.physics.mechanics``) one Chebyshev step with SOR (in overlapping
Schwarz on several ranks)."""

from __future__ import annotations

import gc

import numpy as np
from dolfinx import fem
from petsc4py import PETSc

from lisse.solver.config.params import Numerics


def release_unreferenced(comm) -> None:
    """Destroy the PETSc objects no longer referenced (a previous model's, when one process
    builds several: sweep groups, CCD curves, scripts and tests under mpirun) on every rank
    of ``comm`` at one program point: ``gc.collect()`` hands them to petsc4py's deferred
    destruction, and ``PETSc.garbage_cleanup(comm)`` (collective) destroys them together.
    Left to Python's collector, their collective destruction comes at different points on
    different ranks, and a build after it can hang (seen building two 3D models under
    ``mpirun -n 2``)."""
    gc.collect()
    PETSc.garbage_cleanup(comm)


def is_direct(numerics: Numerics, ndofs: int) -> bool:
    """True if the system of ``ndofs`` global unknowns is solved by LU."""
    return numerics.linear_solver == "direct" or (
        numerics.linear_solver == "auto" and ndofs <= numerics.direct_max_dofs)


def krylov_options(prefix: str, numerics: Numerics, ndofs: int, max_it: int = 1000) -> dict:
    """PETSc options (with ``prefix``) of an SPD system of ``ndofs`` global unknowns."""
    if is_direct(numerics, ndofs):
        return {f"{prefix}ksp_type": "preonly", f"{prefix}pc_type": "lu",
                f"{prefix}pc_factor_mat_solver_type": "mumps"}
    return {f"{prefix}ksp_type": "cg", f"{prefix}pc_type": "gamg",
            f"{prefix}ksp_rtol": numerics.krylov_rtol, f"{prefix}ksp_atol": 1e-300,
            f"{prefix}ksp_max_it": max_it, f"{prefix}ksp_norm_type": "unpreconditioned",
            f"{prefix}pc_gamg_coarse_eq_limit": 1000, f"{prefix}mg_levels_ksp_type": "chebyshev",
            f"{prefix}mg_levels_pc_type": "jacobi"}


def displacement_amg_options(prefix: str, schwarz: bool = False) -> dict:
    """GAMG options (with ``prefix``) of the displacement problem, added to ``krylov_options``:
    one Chebyshev step of symmetric SOR per level as the smoother (instead of two
    Chebyshev–Jacobi steps), and the interpolation reused between operators. The creep
    tangent of Li (shear stiffness β·2G ≪ K: nearly incompressible) needs 2× the CG
    iterations per decade of the elastic operator under Jacobi smoothing; with SOR, at
    163,731 unknowns, a creep step of the benchmark took 122 instead of 197 CG iterations
    and 27 instead of 35 s of CPU time.

    On several ranks, SOR alone is SOR within a rank and Jacobi across the partition: the
    SOR-preconditioned fine operator's largest eigenvalue, 1.0 on one rank, is 1.78 on two
    (164,043 unknowns), the Chebyshev step scaled to it damps every mode less, and the
    creep step took 103 CG iterations on two ranks against 77 on one. With ``schwarz`` (the
    cell mechanics on several ranks) the SOR runs in restricted additive Schwarz: on each
    rank's dofs plus one layer of its neighbours' (overlap 1), the rank's own dofs kept; 78
    CG iterations on two ranks (docs/benchmarks.md, issue 16, MPI efficiency, sixth pass).
    On one rank that Schwarz smoother (one subdomain) is the SOR itself, without the copy
    of the operator. Restricted Schwarz is not symmetric; CG converges with it here (the
    residual is checked unpreconditioned), but on the small 2D layer of the elastic
    electrolyte (``krylov_rtol`` 1e-12) two ranks took 44 CG iterations with it against 29
    with SOR: that solver keeps SOR. Under a kept hierarchy,
    ``solver.fem.amg_reuse.reuse_hierarchy`` refreshes the Schwarz smoother's copy for a
    changed operator."""
    options = {f"{prefix}mg_levels_pc_type": "sor", f"{prefix}mg_levels_ksp_max_it": 1,
               f"{prefix}pc_gamg_reuse_interpolation": True}
    if schwarz:
        options |= {f"{prefix}mg_levels_pc_type": "asm", f"{prefix}mg_levels_pc_asm_overlap": 1,
                    f"{prefix}mg_levels_pc_asm_type": "restrict",
                    f"{prefix}mg_levels_sub_pc_type": "sor"}
    return options


def rigid_body_modes(space: fem.FunctionSpace) -> PETSc.NullSpace:
    """Orthonormal rigid-body modes (2D: 3, 3D: 6) of a vector space, for GAMG."""
    gdim = space.mesh.geometry.dim
    n = space.dofmap.index_map.size_local
    x = space.tabulate_dof_coordinates()[:n]
    modes = [np.zeros((n, gdim)) for _ in range(3 if gdim == 2 else 6)]
    for k in range(gdim):
        modes[k][:, k] = 1.0
    rotations = [(0, 1)] if gdim == 2 else [(0, 1), (1, 2), (2, 0)]
    for m, (i, j) in zip(modes[gdim:], rotations, strict=True):
        m[:, i], m[:, j] = -x[:, j], x[:, i]
    vecs = []
    for m in modes:
        v = PETSc.Vec().createMPI((n * gdim, PETSc.DECIDE), bsize=gdim, comm=space.mesh.comm)
        v.array[:] = m.ravel()
        for w in vecs:  # Gram–Schmidt
            v.axpy(-v.dot(w), w)
        v.normalize()
        vecs.append(v)
    return PETSc.NullSpace().create(vectors=vecs, comm=space.mesh.comm)
