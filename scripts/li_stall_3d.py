"""Why the void roofs of the small 3D cell stop ~0.1 µm above the plane (docs/moving_interface.md,
"The coupled model in 3D cells", "Why the 3D void roofs stall"): a measurement, not a test.

The cell is ``small_cell3d()`` (tests/verification/test_coupled_3d.py: 12 × 12 µm, two quarter
voids of radius 5 µm and height 1.5 µm, mesh 6 µm with 4 µm at the interface and 2 µm at the
void edges), held at rest under the stack pressure for ``duration`` seconds. Per step it
prints the time, the contact fraction, the void count, the largest gap of an electrolyte
interface node, the number of Li bottom nodes above the contact tolerance t, the lowest of
them and its vertical speed, and the largest nodal contact pressure; at the start and the
end, the Li tetrahedra with all four vertices on the Li bottom (contact and void-roof
facets), their vertices and volume; at the end, the Li bottom nodes above t (position,
whether the node is a P2 triangle vertex, which carries no contact pressure of its own).
~20 s CPU for the default 30 s. The cell meshes have no Li tetrahedron with four vertices
on the bottom since ``lisse.meshes.flat_tets`` is part of them (BUILDER_VERSION 2; this
script's former ``split`` argument built such a mesh for the measurement).

    .venv/bin/python scripts/li_stall_3d.py [duration_s] [pressure_MPa]   (default 30, 2)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

import lisse  # noqa: F401  (before dolfinx)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mpi4py import MPI  # noqa: E402

from lisse.solver.config.schema import resolve, validate_case  # noqa: E402
from lisse.solver.studies.evolution import _engine  # noqa: E402
from lisse.solver.studies.model import build_model  # noqa: E402
from lisse.units import UM_PER_M  # noqa: E402
from tests.verification.test_coupled_3d import small_cell3d  # noqa: E402


def flat_cells(evo) -> np.ndarray:
    """Li cells whose four vertices are all nodes of the Li bottom."""
    geo = evo.body.msh.geometry.dofmaps[0]
    bottom = np.zeros(len(evo.body.msh.geometry.x), dtype=bool)
    bottom[np.unique(evo.bottom.nodes)] = True
    return np.flatnonzero(bottom[geo[:, :4]].all(axis=1))


def report(evo, cells: np.ndarray, label: str, nodes: bool) -> None:
    """Print the cells of ``flat_cells`` and (``nodes``) the Li bottom nodes above the
    tolerance."""
    x, geo = evo.body.msh.geometry.x, evo.body.msh.geometry.dofmaps[0]
    print(f"{label}: {len(cells)} Li tetrahedra with 4 vertices on the Li bottom")
    for c in cells:
        corners = x[geo[c, :4]]
        volume = abs(np.linalg.det((corners[1:] - corners[0]).T)) / 6
        print(f"  cell {c}: vertices (x, y, z) µm {np.round(corners * UM_PER_M, 3).tolist()}, "
              f"volume {volume * UM_PER_M**3:.4f} µm³")
    bottom = np.unique(evo.bottom.nodes)
    vertex = np.isin(bottom, np.unique(evo.bottom.nodes[:, :3]))
    up = x[bottom, 2] > evo.settings.contact_tolerance
    for k in np.argsort(-x[bottom, 2])[:int(up.sum()) if nodes else 0]:
        print(f"  bottom node above t: (x, y, z) µm {np.round(x[bottom[k]] * UM_PER_M, 4).tolist()}"
              f"{' (P2 vertex)' if vertex[k] else ' (mid-edge)'}")


def main(duration: float = 30.0, pressure: float = 2.0) -> None:
    c = small_cell3d()
    c["evolution"]["steps"] = [{"current_density_mA_cm2": 0.0, "duration_h": duration / 3600}]
    c["evolution"]["stack_pressure_MPa"] = pressure
    start = time.process_time()
    params = resolve(validate_case(c))
    evo = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution)
    cells, tol = flat_cells(evo), params.evolution.contact_tolerance
    report(evo, cells, "start", nodes=False)
    advance = evo.advance

    def step(applied, dt):
        out = advance(applied, dt)
        x = evo.body.msh.geometry.x
        nodes = np.unique(evo.bottom.nodes)
        up = nodes[x[nodes, 2] > tol]
        speed = evo.body.velocity()[evo.body._node_to_dof][:, 2]
        low = up[np.argmin(x[up, 2])] if len(up) else None
        print(f"t {evo.time:7.3f} s  contact {evo.contact_fraction():.4f}  voids "
              f"{evo.void_count()}  max gap {evo.gap.max() * UM_PER_M:.4f} µm  bottom nodes "
              f"above t {len(up)}" + ("" if low is None else
                                      f", lowest {x[low, 2] * UM_PER_M:.4f} µm falling at "
                                      f"{-speed[low] * UM_PER_M:.2g} µm/s") +
              f"  max nodal contact pressure {np.nanmax(evo.body.contact_pressure) / 1e6:.3f}"
              " MPa", flush=True)
        return out

    evo.advance = step
    evo.run()
    report(evo, cells, f"after {duration:g} s at rest", nodes=True)
    print(f"CPU {time.process_time() - start:.1f} s")


if __name__ == "__main__":
    main(*(float(a) for a in sys.argv[1:3]))
