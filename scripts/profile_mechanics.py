"""Profile of scripts/bench_mechanics.py: where the CPU time of each Newton solve goes.

    nice -n 19 .venv/bin/python scripts/profile_mechanics.py --size-um 1.2 [--dt 1.0]

Runs the benchmark unchanged (same arguments and output) with CPU-time counters around the
phases of ``solver.physics.mechanics.Mechanics``: the Li material update at the quadrature
points, the residual and tangent assemblies, the bordered CG solve of the collector
(``solver.fem.bordered_cg``: its operator products, its preconditioner applications — one
AMG V-cycle each — and the border's set-up, which holds the AMG set-up when the hierarchy
is rebuilt), and prints for each Newton iteration the residual relative to the load, the
linear tolerance η and the CG iterations so far, and after each step the CPU seconds per
phase.
"""

from __future__ import annotations

import collections
import functools
import pathlib
import sys
import time

import lisse  # noqa: F401  (before dolfinx)
import lisse.solver.fem.bordered_cg as bordered_cg
import lisse.solver.fem.split_tangent as split_tangent
import lisse.solver.physics.mechanics as mechanics

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import bench_mechanics  # noqa: E402

CPU: dict[str, float] = collections.defaultdict(float)
CALLS: collections.Counter = collections.Counter()


def _timed(owner, name: str, label: str) -> None:
    """Replace owner.name by a wrapper that adds its CPU time to CPU[label]."""
    function = getattr(owner, name)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            CPU[label] += time.process_time() - start
            CALLS[label] += 1

    setattr(owner, name, wrapper)


def _report(title: str, since: dict[str, float]) -> None:
    print(title, flush=True)
    for label in sorted(CPU):
        if CPU[label] > since.get(label, 0.0):
            print(f"    {label:40s} {CPU[label] - since.get(label, 0.0):9.2f} s CPU", flush=True)


def main() -> None:
    _timed(mechanics.Mechanics, "_update_material", "Li material update")
    _timed(mechanics.Mechanics, "_residual", "residual assembly")
    _timed(split_tangent.SplitTangent, "assemble", "tangent assembly")
    _timed(bordered_cg._Bordered, "set_border", "border set-up (AMG set-up, w = P k)")
    _timed(bordered_cg._Bordered, "apply", "CG: preconditioner (AMG V-cycle)")
    _timed(bordered_cg._Bordered, "mult", "CG: bordered operator product")
    _timed(bordered_cg.BorderedCG, "solve", "bordered CG solve, total")
    _timed(mechanics.Mechanics, "_solve", "baseline KSP solve (AMG set-up + CG)")
    forcing, newton = mechanics.Mechanics._forcing, mechanics.Mechanics._newton

    def logged_forcing(self, dt, norm, previous, tol):
        eta = forcing(self, dt, norm, previous, tol)
        print(f"    Newton: |(R, F)| / load {norm / self.reference_force:.3e}, η {eta:.2e}, "
              f"CG iterations so far {self.krylov_iterations}", flush=True)
        return eta

    def profiled_newton(self, dt):
        since, start = dict(CPU), time.process_time()
        try:
            return newton(self, dt)
        finally:
            _report(f"  step dt = {dt:g} s: {time.process_time() - start:.2f} s CPU", since)

    mechanics.Mechanics._forcing = logged_forcing
    mechanics.Mechanics._newton = profiled_newton
    bench_mechanics.main()
    _report("totals", {})


if __name__ == "__main__":
    main()
