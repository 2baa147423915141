"""Li mesh smoothing in 3D coupled cells (solver.physics.li_smoothing_3d; docs/
moving_interface.md "Li mesh smoothing"): the relocation of a distorted P2 tetrahedral Li
mesh conserves the Li volume exactly (1e-12), raises its smallest cell quality, and gives
serial's mesh under mpirun."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from tests.helpers import mpi_numbers, print_numbers
from tests.verification.test_coupled_3d import small_cell3d

AMPLITUDE = 0.02e-6  # m: distortion of the free node coordinates (cells of 0.5–6 µm), no
# cell inverted (DOLFINx integrates |det J|: an inverted cell would add volume)


def smoothed() -> dict:
    """The Li body of the small 3D cell (two quarter voids, P2 tetrahedra), its free
    coordinates distorted (interior nodes in x, y, z; contact-plane nodes in x, y; lateral-
    face nodes in their plane; nodes on the lines of two planes along them: the Li volume is
    kept), then relocated: volumes, qualities, the node counts and a checksum."""
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.physics.li_smoothing_3d import EDGES, LiSmoother3D
    from lisse.solver.studies.model import lithium_body

    body = lithium_body(resolve(validate_case(small_cell3d())), MPI.COMM_WORLD)
    smoother = LiSmoother3D(body)
    x0 = smoother.x0
    mids = x0[smoother.cells[:, EDGES[:, 2]]]
    ends = 0.5 * (x0[smoother.cells[:, EDGES[:, 0]]] + x0[smoother.cells[:, EDGES[:, 1]]])
    v0, q0 = body.volume(), smoother.quality()
    free = smoother._free(x0)
    key = smoother.mesh.keys.astype(float)
    x = x0.copy()
    for axis, mask in enumerate(free):
        x[mask, axis] += AMPLITUDE * np.sin((1.7 + 0.6 * axis) * key[mask])
    body.msh.geometry.x[:, :3] = x[smoother.mesh.local]
    v1, q1 = body.volume(), smoother.quality()
    changed = smoother(force=True)
    v2, q2 = body.volume(), smoother.quality()
    count = np.sum(free, axis=0)  # nodes with 0, 1, 2, 3 free coordinates
    return {"node_order": float(np.max(np.abs(mids - ends))), "v0": v0, "v1": v1, "v2": v2,
            "q0": q0, "q1": q1, "q2": q2, "changed": changed,
            "free_count": [int(np.sum(count == k)) for k in range(4)],
            "checksum": float(np.sum(smoother.mesh.nodes(body.msh.geometry.x)
                                     * [1.0, 3.0, 7.0]))}


@pytest.fixture(scope="module")
def serial() -> dict:
    return smoothed()


def test_3d_smoothing_conserves_li_and_restores_quality(serial, validation):
    """Volume after = before to 1e-12; the distorted mesh's smallest quality is raised (back
    to the initial mesh's: the fixed boundary did not move); all four kinds of boundary
    node are present (fixed, on a line, in a plane, interior)."""
    r = serial
    assert r["node_order"] < 1e-12 * 1e-5
    assert all(n > 0 for n in r["free_count"]), r["free_count"]
    assert r["q1"] > 0 and abs(r["v1"] / r["v0"] - 1) < 1e-12  # the distortion keeps the Li
    drift = abs(r["v2"] / r["v1"] - 1)
    assert drift < 1e-12
    assert r["changed"] and r["q2"] > r["q1"]
    assert r["q2"] == pytest.approx(r["q0"], rel=1e-9)
    validation.record("E5 Li volume through a mesh relocation (3D)", "volume after = before",
                      "exact (boundary integral)", "1e-12",
                      f"{drift:.1e}; min cell quality {r['q1']:.2f} → {r['q2']:.2f}",
                      "3D 12 × 12 µm, two quarter voids, P2 Li", True)


def main() -> None:
    """Under mpirun: print the numbers as JSON on rank 0."""
    print_numbers(smoothed())


def test_3d_smoothing_mpi_matches_serial(serial):
    """mpirun -n 2: the same relocated mesh (checksum), volumes and qualities as serial."""
    parallel = mpi_numbers("tests.verification.test_li_smoothing_3d")
    for key in ("v1", "v2", "q1", "q2", "checksum"):
        assert parallel[key] == pytest.approx(serial[key], rel=1e-12), key
