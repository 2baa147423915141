"""The keys that match cells and facets in the ParaView output (lisse.solver.io.dataset):
independent of the node order in a row, sorted like the rows lexicographically, exact."""

from __future__ import annotations

import numpy as np
import pytest

from lisse.solver.io.dataset import _key


@pytest.mark.parametrize("width", [2, 3, 4])
def test_keys_order_rows_lexicographically(width):
    count = 10**6  # nodes: count² < 2⁵³, so both parts of a key are exact
    rng = np.random.default_rng(width)
    rows = rng.integers(0, count, size=(5000, width))
    rows[1::2] = rows[::2]  # duplicates, in another node order
    rows[1::2] = rows[1::2, ::-1]
    keys = _key(rows, count)
    assert np.array_equal(keys[::2], keys[1::2])
    by_key = np.argsort(keys, kind="stable")
    by_rows = np.lexsort(np.sort(rows, axis=1).T[::-1])
    assert np.array_equal(np.sort(rows, axis=1)[by_key], np.sort(rows, axis=1)[by_rows])


def test_too_many_nodes_for_exact_keys():
    with pytest.raises(ValueError, match="too many for the keys"):
        _key(np.zeros((1, 4), dtype=np.int64), 2**27)
