"""Refusals of a coupled resume that need no run (solver/studies/coupled_checkpoint.py): a
checkpoint without the Li body state (written before coupled runs could resume) is refused
with one line; the per-rank arrays of a checkpoint come back on the rank that wrote them, and
another number of ranks is refused."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from mpi4py import MPI

from lisse.solver.errors import UserError
from lisse.solver.io import checkpoint


def test_checkpoint_without_li_state_is_refused():
    from lisse.solver.studies import coupled_checkpoint

    with pytest.raises(UserError, match=r"^--resume old: the checkpoint holds no Li body "
                                        r"state \(written by an earlier lisse\); run the case "
                                        r"again without --resume$"):
        coupled_checkpoint.restore(SimpleNamespace(body=None), {}, None, "--resume old")
    # with the Li state but without the stress coupling's Δp (before the smoothq slice)
    with pytest.raises(UserError, match=r"^--resume old: the checkpoint holds no Li body "):
        coupled_checkpoint.restore(SimpleNamespace(body=None), {"geometry": np.zeros(1)},
                                   {"remeshes": 0}, "--resume old")


def test_ranked_arrays_round_trip_and_rank_count(tmp_path):
    comm = MPI.COMM_SELF
    path = tmp_path / checkpoint.NAME
    ranked = {"geometry": np.arange(6.0).reshape(3, 2), "active": np.array([True, False])}
    checkpoint.write(path, comm, np.zeros((1, 3)), {"gap": np.ones(1)}, {"k": 1}, ranked)
    meta, _, table, mine = checkpoint.load(path, comm, "--resume x")
    assert meta["ranks"] == 1 and meta["ranked"] == ["geometry", "active"]
    assert table.shape == (1, 1)
    for key, value in ranked.items():
        assert mine[key].dtype == value.dtype and np.array_equal(mine[key], value)
    two = SimpleNamespace(size=2, rank=0, bcast=lambda x, root: x,
                          scatter=lambda x, root: x[0])
    with pytest.raises(UserError, match=r"^--resume x: the checkpoint was written on 1 MPI "
                                        r"rank\(s\); resume it on 1 \(this run has 2\)$"):
        checkpoint.load(path, two, "--resume x")
