"""Squeeze film of a square Newtonian Li plate with the sticking contact in 3D
(docs/moving_interface.md, "Sticking contact in 3D cells"): a measurement, not a test.

The quarter plate 0 < x, y < W (symmetry planes x = 0, y = 0, free sides x = W, y = W),
height H, sticking on the rigid obstacle z = 0 and squeezed by a rigid frictionless plate at
V, in the plate's frame as tests/verification/test_li_sticking_3d.py (the top held at
v_z = 0, every bottom dof active and pushed up at V = d/Δt). Both tangential components stick
on one body. Lubrication (no slip below, no shear above): q = −H³∇P/(3μ), ∇·q = V, so
∇²P = −3μV/H³ on the square of side L = 2W with P = 0 on its edges; with the torsion series
J/L⁴ = (1/3)[1 − (192/π⁵) Σ_{n odd} tanh(nπ/2)/n⁵] (Timoshenko & Goodier) the mean pressure is

    p = 3 J/L⁴ · μ V W²/H³ = 0.42173 μ V W²/H³.

Prints p/p_lub per W/H (2 P2 cells through H) and the CPU time; the end error is O(H/W)
from the two free sides (and the corner). Serial; W/H = 20 takes ~20 s CPU.

    .venv/bin/python scripts/sticking_plate_3d.py [W/H ...]   (default 5 10 20)
"""

from __future__ import annotations

import sys
import time

import numpy as np

import lisse  # noqa: F401  (before dolfinx)
from lisse.meshes.geometry import FACET_TAGS
from lisse.solver.physics.li_sticking import Sticking
from lisse.solver.physics.lithium_body import LithiumBody

BOTTOM, TOP, X0, FREE, Y0 = (FACET_TAGS[k] for k in (
    "contact", "collector", "axis", "side_lithium", "side_electrolyte"))
H, PER_H, PUSH, DT = 1.0, 2, 1e-6, 1e-6
MU = 1.0 / 3.0  # σ0 = ε̇0 = 1, n = 1: μ = σ0/(3 ε̇0)


def coefficient() -> float:
    """p_lub/(μ V W²/H³) of the square: 3 J/L⁴ (torsion series, module docstring)."""
    n = np.arange(1, 400, 2)
    torsion = (1 - 192 / np.pi**5 * np.sum(np.tanh(n * np.pi / 2) / n**5)) / 3
    return 3 * torsion


def plate_ratio(width: float) -> float:
    """The first step's mean obstacle pressure over the lubrication value."""
    from dolfinx import mesh as dmesh
    from mpi4py import MPI

    low = -PUSH
    cells = int(round(width / H * PER_H))
    msh = dmesh.create_box(MPI.COMM_WORLD, [[0.0, 0.0, low], [width, width, low + H]],
                           [cells, cells, PER_H])
    msh.topology.create_connectivity(2, 3)
    groups = {BOTTOM: lambda x: np.isclose(x[2], low), TOP: lambda x: np.isclose(x[2], low + H),
              X0: lambda x: np.isclose(x[0], 0.0), Y0: lambda x: np.isclose(x[1], 0.0),
              FREE: lambda x: np.isclose(x[0], width) | np.isclose(x[1], width)}
    idx, val = [], []
    for tag, where in groups.items():
        found = dmesh.locate_entities_boundary(msh, 2, where)
        idx.append(found)
        val.append(np.full(len(found), tag, dtype=np.int32))
    idx, val = np.concatenate(idx), np.concatenate(val)
    order = np.argsort(idx)
    tags = dmesh.meshtags(msh, 2, idx[order], val[order])
    body = LithiumBody(msh, tags, "3d", 1.0, 1.0, 1.0, {TOP: 1.0},
                       symmetry={X0: 0, Y0: 1, TOP: 2}, obstacle=(BOTTOM,))
    Sticking(body)
    report = body.step(DT)
    mean = report.contact_force / width**2
    return mean / (coefficient() * MU * (PUSH / DT) * width**2 / H**3)


def main() -> None:
    widths = [float(a) for a in sys.argv[1:]] or [5.0, 10.0, 20.0]
    print(f"p_lub = {coefficient():.5f} μ V W²/H³; {PER_H} P2 cells through H")
    for width in widths:
        start = time.process_time()
        ratio = plate_ratio(width)
        print(f"W/H = {width:g}: p/p_lub = {ratio:.5f} ({time.process_time() - start:.1f} s CPU)")


if __name__ == "__main__":
    main()
