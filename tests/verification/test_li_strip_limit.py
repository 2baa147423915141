"""The stripping depth a time step of the coupled model may apply to the P2 Li mesh
(solver.physics.li_strip_limit; docs/moving_interface.md "Performance"): the closed-form
folding depth of a P2 edge against the Jacobian of the P2 map, and the strip benchmark's
cell stripped to 0.15 mAh/cm² without a failed Li step."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
H = 0.5e-6  # m: height of the test cell (the closed void tips of the benchmark: 0.52 µm)


def triangle(mid_height: float) -> np.ndarray:
    """A P2 triangle (basix order) with vertices (0, 0), (1 µm, 0), (0, H), straight edges
    except the mid node of the vertical edge (0, 2), at ``mid_height`` [m]."""
    w = 1e-6
    return np.array([[0, 0], [w, 0], [0, H], [w / 2, H / 2], [0, mid_height], [w / 2, 0]])


def moved(x: np.ndarray, depth: float) -> np.ndarray:
    """The nodes on the plane (0, 1, 5) moved up by ``depth`` (down if negative)."""
    y = x.copy()
    y[[0, 1, 5], 1] += depth
    return y


@pytest.mark.parametrize(("mid", "bound", "sign"), [
    (0.5, 1 / 3, 1),   # straight: stripping folds the vertical edge at H/3 (mid node at 1/4)
    (0.7, 0.2, -1),    # mid node high: plating folds the vertical edge at 3H − 4·0.7H = 0.2H
])
def test_folding_depth_is_where_the_p2_jacobian_vanishes(mid, bound, sign, validation):
    """folding_depth = the closed form of the P2 edge (its mid node reaching a quarter of the
    edge) to 1e-12; the cell moved by 0.99 of it keeps a positive Jacobian determinant at
    every node, by 1.01 of it has a negative one (li_smoothing.cell_quality: det J at the six
    nodes and the centroid)."""
    import basix

    from lisse.solver.physics.li_smoothing import cell_quality
    from lisse.solver.physics.li_strip_limit import folding_depth

    x = triangle(mid * H)
    on_plane = np.isin(np.arange(6), [0, 1, 5])[None, :]
    depth = folding_depth(x[None], on_plane, basix.CellType.triangle, 1, sign)
    assert depth == pytest.approx(bound * H, rel=1e-12)
    cells = np.arange(6)[None, :]
    below = float(cell_quality(moved(x, sign * 0.99 * depth), cells)[0])
    beyond = float(cell_quality(moved(x, sign * 1.01 * depth), cells)[0])
    assert below > 0 > beyond
    validation.record(f"Li strip limit: P2 folding depth ({'strip' if sign > 0 else 'plate'})",
                      "det J > 0 below, < 0 beyond", "P2 map (closed form)", "1e-12",
                      f"{depth / H:.4f} H; min q {below:.2e} / {beyond:.2e}",
                      "one P2 triangle", True)


@pytest.mark.slow
def test_strip_benchmark_steps_without_failures(validation):
    """scripts/bench_coupled_strip.py at 0.15 mAh/cm² (the voids close, then the stripping
    runs with Δt capped by the strip limit from ~0.03 mAh/cm²): no Li step fails (before the
    cap every doubled step failed: 2 failed steps of 11 s each by 0.15 mAh/cm², load ~5),
    the voids close, the Li bookkeeping stays within E5 (0.5 %)."""
    from mpi4py import MPI

    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.errors import SolverError
    from lisse.solver.physics.lithium_body import LithiumBody
    from lisse.solver.studies.evolution import _engine
    from lisse.solver.studies.model import build_model

    spec = importlib.util.spec_from_file_location(
        "bench_coupled_strip", ROOT / "scripts" / "bench_coupled_strip.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    params = resolve(validate_case(bench.case(0.15, 0.5, 2.0, 4.0)))
    model = build_model(params, MPI.COMM_WORLD, "evolution")
    failed, steps = [], []
    step = LithiumBody.step

    def counted(body, dt, current=None):
        try:
            report = step(body, dt, current)
        except SolverError:
            failed.append(dt)
            raise
        steps.append(dt)
        return report

    LithiumBody.step = counted
    try:
        outcome = _engine(model, params.evolution).run()
    finally:
        LithiumBody.step = step
    error = max(r.mass_balance_error for r in outcome.records)
    assert not outcome.failed and outcome.records[-1].contact_fraction > 0.999
    assert failed == []
    assert error < 5e-3
    validation.record("Li strip limit: strip benchmark to 0.15 mAh/cm² (axisymmetric, 3 voids)",
                      "no failed Li step; E5", "before the limit: 2 failed steps", "0; 0.5 %",
                      f"{len(steps)} steps, 0 failed; E5 {error:.1e}",
                      "bench_coupled_strip (interface 4 µm)", True)
