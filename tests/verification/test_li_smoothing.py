"""Li mesh smoothing of the coupled interface model (solver.physics.li_smoothing;
docs/moving_interface.md "Li mesh smoothing"): the relocation conserves the Li volume
exactly, raises the cell quality of a distorted mesh, and gives serial's mesh under mpirun."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from tests.helpers import mpi_numbers, print_numbers
from tests.verification.test_coupled_interface import case

AMPLITUDE = 0.08e-6  # m: distortion of the free node coordinates (cells of 1–10 µm), no cell
# inverted (DOLFINx integrates |det J|: an inverted cell would add volume)


def smoothed(dimension: str) -> dict:
    """The TINY Li body (void at the axis, P2 geometry), its free coordinates distorted
    (interior nodes in x and y, plane nodes in x, face nodes in y: the Li volume is kept),
    then relocated: volumes, qualities and a checksum of the node positions."""
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.physics.li_smoothing import EDGES, LiSmoother
    from lisse.solver.studies.model import lithium_body

    body = lithium_body(resolve(validate_case(case(dimension))), MPI.COMM_WORLD)
    smoother = LiSmoother(body)
    x0 = smoother.x0
    mids = x0[smoother.cells[:, EDGES[:, 2]]]
    ends = 0.5 * (x0[smoother.cells[:, EDGES[:, 0]]] + x0[smoother.cells[:, EDGES[:, 1]]])
    node_order = float(np.max(np.abs(mids - ends)))  # P2 node order: straight edges
    v0, q0 = body.volume(), smoother.quality()
    free_x, free_y = smoother._free(x0)
    key = smoother.mesh.keys.astype(float)
    x = x0.copy()
    x[free_x, 0] += AMPLITUDE * np.sin(1.7 * key[free_x])
    x[free_y, 1] += AMPLITUDE * np.cos(2.3 * key[free_y])
    body.msh.geometry.x[:, :2] = x[smoother.mesh.local]
    v1, q1 = body.volume(), smoother.quality()
    changed = smoother(force=True)
    v2, q2 = body.volume(), smoother.quality()
    return {"node_order": node_order, "v0": v0, "v1": v1, "v2": v2, "q0": q0, "q1": q1,
            "q2": q2, "changed": changed,
            "checksum": float(np.sum(smoother.mesh.nodes(body.msh.geometry.x) * [1.0, 3.0]))}


@pytest.mark.parametrize("dimension", ["plane", "axisymmetric"])
def test_smoothing_conserves_li_and_restores_quality(dimension, validation):
    """Volume after = before to 1e-12 (plane ∫ dA; axisymmetric ∫ r dA); the distorted mesh's
    smallest quality is raised (here back to the initial mesh: the boundary did not move)."""
    r = smoothed(dimension)
    assert r["node_order"] < 1e-12 * 1e-5
    assert r["q1"] > 0 and abs(r["v1"] / r["v0"] - 1) < 1e-12  # the distortion keeps the Li
    drift = abs(r["v2"] / r["v1"] - 1)
    assert drift < 1e-12
    assert r["changed"] and r["q2"] > r["q1"]
    assert r["q2"] == pytest.approx(r["q0"], rel=1e-9)
    validation.record(f"E5 Li volume through a mesh relocation ({dimension})",
                      "volume after = before", "exact (boundary integral)", "1e-12",
                      f"{drift:.1e}; min cell quality {r['q1']:.2f} → {r['q2']:.2f}",
                      "TINY cell, P2 Li", True)


def main() -> None:
    """Under mpirun: print the axisymmetric numbers as JSON on rank 0."""
    print_numbers(smoothed("axisymmetric"))


def test_smoothing_mpi_matches_serial():
    """mpirun -n 2: the same relocated mesh (checksum), volumes and qualities as serial."""


    parallel = mpi_numbers("tests.verification.test_li_smoothing")
    serial = smoothed("axisymmetric")
    for key in ("v1", "v2", "q1", "q2", "checksum"):
        assert parallel[key] == pytest.approx(serial[key], rel=1e-12), key
