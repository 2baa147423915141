"""Why the strip–rest–plate test cell touches down only 3.8 s into the rest
(docs/moving_interface.md, "The pockets left at the touchdown"): a measurement, not a test.

The cell and cycle are those of ``tests/integration/test_coupled_3d_run.py`` (``small_cell3d()``,
1 mA/cm² for 0.36 s, then the 10 s rest; the plating is left out), optionally on a finer mesh.
Per step it prints the void count, the contact fraction, the largest gap, the electrolyte
interface nodes within ``radius`` of the void centre (0, 0) that are out of contact (gap,
contact share), and the Li bottom nodes there above the contact tolerance t: position, P2
triangle vertex or mid-edge dof, height, vertical velocity of the step (midpoint rule), active
set state, and the equivalent stress of the Li cells around the node, σ_eq/p = (ε̇_eq/R)^(1/n)
(R = ε̇0 (p/σ0)^n the creep rate at the stack pressure p, ε̇_eq² = (2/3) ε̇:ε̇ at the cell
centroid), with the creep rate ε̇_eq there [1/s]. For the P2 vertices it also prints the spoke
count (active spokes / spokes, ``li_vertex_contact``). ~20 s CPU on the test mesh, ~65 s on
``6 2 1``.

    .venv/bin/python scripts/li_pocket_3d.py [radius_um] [size_um interface_um edge_um]
    (default 4.5; the test mesh 6 4 2)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

import lisse  # noqa: F401  (before dolfinx)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ufl  # noqa: E402
from dolfinx import fem  # noqa: E402
from mpi4py import MPI  # noqa: E402
from scipy.spatial import cKDTree  # noqa: E402

from lisse.solver.config.schema import resolve, validate_case  # noqa: E402
from lisse.solver.studies.evolution import _engine  # noqa: E402
from lisse.solver.studies.model import build_model  # noqa: E402
from lisse.units import UM_PER_M  # noqa: E402
from tests.integration.test_coupled_3d_run import _case  # noqa: E402

NM_PER_M = 1e9


def cell_rates(body) -> np.ndarray:
    """ε̇_eq / R at the centroid of every owned Li cell (scaled units of ``lithium_body``)."""
    e = ufl.sym(ufl.grad(body.w.sub(0)))
    expr = fem.Expression(ufl.sqrt(2.0 / 3.0 * ufl.inner(e, e)), np.array([[0.25] * 3]))
    cells = np.arange(body.msh.topology.index_map(3).size_local, dtype=np.int32)
    return expr.eval(body.msh, cells).ravel()


def report(evo, radius: float) -> None:
    """Print the state of the pocket nodes after a step (module docstring)."""
    body, tol = evo.body, evo.settings.contact_tolerance
    x, geo = body.msh.geometry.x, body.msh.geometry.dofmaps[0]
    share = evo.contact_share()
    print(f"t {evo.time:7.3f} s  voids {evo.void_count()}  contact {evo.contact_fraction():.4f}"
          f"  max gap {evo.gap.max() * UM_PER_M:.4f} µm", flush=True)
    near = np.hypot(evo.x[:, 0], evo.x[:, 1]) < radius
    for k in np.flatnonzero(near & (share <= 0)):
        print(f"  electrolyte node ({evo.x[k, 0] * UM_PER_M:.3f}, {evo.x[k, 1] * UM_PER_M:.3f})"
              f" µm: gap {evo.gap[k] * NM_PER_M:.3f} nm, out of contact")
    bottom = np.unique(evo.bottom.nodes)
    vertices = np.unique(evo.bottom.nodes[:, :3])
    dofs = body.vy_space.tabulate_dof_coordinates()[body._obstacle[1]]
    obstacle = cKDTree(dofs)
    hooks, spokes = body.vertex_hooks, {}
    if hooks:
        state = np.zeros(len(hooks[0]._count.x.array))
        state[body._obstacle[1]] = body.active
        on = hooks[0]._gathered(state[hooks[0].pairs[:, 1]])
        spokes = dict(zip(body._weightless, zip(on, hooks[0]._spokes, strict=True), strict=True))
    rate, velocity = cell_rates(body), body.velocity()[body._node_to_dof]
    up = bottom[(np.hypot(x[bottom, 0], x[bottom, 1]) < radius) & (x[bottom, 2] > tol)]
    for n in up[np.lexsort((x[up, 1], x[up, 0]))]:
        k = int(obstacle.query(x[n])[1])
        cells = np.flatnonzero((geo == n).any(axis=1))
        stress = rate[cells] ** (1 / body.exponent)
        kind = "mid-edge"
        if n in vertices:
            kind = "P2 vertex" + ("" if k not in spokes else
                                  ", spokes {:.0f}/{:.0f}".format(*spokes[k]))
        print(f"  Li node ({x[n, 0] * UM_PER_M:.3f}, {x[n, 1] * UM_PER_M:.3f}) µm ({kind}): z "
              f"{x[n, 2] * NM_PER_M:.3f} nm, v_z {velocity[n, 2] * NM_PER_M:.3g} nm/s, active "
              f"{bool(body.active[k])}; {len(cells)} cells: σ_eq/p {stress.min():.3f}–"
              f"{stress.max():.3f}, ε̇_eq {body.rate_scale * rate[cells].min():.2e}–"
              f"{body.rate_scale * rate[cells].max():.2e} 1/s")


def main(radius_um: float = 4.5, mesh: tuple[float, ...] = ()) -> None:
    c = _case()
    c["evolution"]["steps"] = c["evolution"]["steps"][:2]  # strip, rest
    c["output"] = {"fields": False, "plots": False}
    if mesh:
        c["geometry"]["mesh"] = dict(zip(("size_um", "interface_size_um", "edge_size_um"), mesh,
                                           strict=True))
    start = time.process_time()
    params = resolve(validate_case(c))
    evo = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution)
    body = evo.body
    print(f"creep rate at p: R = {body.rate_scale:.3g} 1/s, n = {body.exponent:g}")
    advance = evo.advance

    def step(applied, dt):
        out = advance(applied, dt)
        report(evo, radius_um / UM_PER_M)
        return out

    evo.advance = step
    evo.run()
    print(f"CPU {time.process_time() - start:.1f} s")


if __name__ == "__main__":
    arguments = [float(a) for a in sys.argv[1:]]
    if len(arguments) not in (0, 1, 4):
        print("arguments: [radius_um] [size_um interface_um edge_um]", file=sys.stderr)
        sys.exit(2)
    main(*(arguments[:1] or [4.5]), tuple(arguments[1:4]))
