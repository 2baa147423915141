"""The AMG hierarchy's rebuild rule across Newton steps (``solver.fem.amg_reuse``)."""

from __future__ import annotations

from lisse.solver.fem.amg_reuse import REBUILD, AmgReuse


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
