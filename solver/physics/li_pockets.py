"""Sub-element contact measure of the Li bottom and closure of the pockets trapped under it, for
the coupled moving-interface model (``solver.physics.coupled_interface``; issue 12,
docs/moving_interface.md "Contact measure and pocket closure").

**Contact measure.** The Li bottom (contact and void-roof facets of the P2 Li mesh) is the
curve y(ξ), x(ξ), both quadratic in the facet coordinate ξ ∈ [0, 1] through its vertices a,
b and mid-edge node m. The contact is the set where y ≤ t (t = ``contact_tolerance``); its
area is

    A_c = Σ_facets ∫ χ(y(ξ) ≤ t) r^k |x'(ξ)| dξ,   r = x, k = 0 (plane) or 1 (axisymmetric),

evaluated exactly: the roots of y(ξ) = t split [0, 1] into at most three intervals, each
wholly in or out of contact, and ∫ r^k dx over an interval is [x^(k+1)/(k+1)] at its ends.
The contact fraction is A_c / A (A = W or W²/2, the interface plane). Counting electrolyte
interface nodes instead (share 1 or 0 each) quantises the fraction by one node's tributary
length (0.025–0.058 on the 4 µm test mesh); with the pockets below it dominated the h vs
h/2 difference of the contact history.

**Pocket closure.** A pocket is a run of the bottom out of contact between two contacts
(or between a contact and a symmetry face x = 0 or x = W, where its mirror image completes
it): half-width or width w, full width W = 2w/edges, largest height h. The P2 mesh cannot
bend a roof inside one or two elements, so such pockets stay open for tens of seconds where
the Li would close them, and plating around them lifts them. Two order-of-magnitude rates
(prefactors 1 assumed, not derived) decide whether a pocket closes within a step Δt:

* its edges meet: the free surface at an edge is curved by about 2/h, so the Li there carries
  the Laplace pressure σ_c = 2γ/h (γ the Li surface energy) and creeps at ε̇(σ_c) =
  ε̇0 (σ_c/σ0)^n (the Li's own law) over a region of size h; each edge recedes at
  h ε̇(2γ/h), and the edges meet when h ε̇(2γ/h) Δt ≥ w/edges (edges = 2, or 1 at a
  symmetry face);
* the Li to fill it comes: the roof over the width W, loaded by the stack pressure p plus its
  own Laplace pressure 2γ/W, descends into the pocket at about W ε̇(p + 2γ/W) (a strip of
  width W pressed into a power-law half-space), and fills it when W ε̇(p + 2γ/W) Δt ≥ h.

The first keeps a deep void (the 2 µm void of the test cell: σ_c = 0.5 MPa, hours) to the
finite-element flow; the second keeps a wide, shallow gap that the Li cannot fill open (a
17 µm × 10 nm gap stripped at 0.05 MPa: ε̇ ~ 1e-8 /s), however strong the capillarity at
its edges. A closed pocket's bottom nodes are set on the plane and the Li added, ΔV =
Σ_i W_i y_i (W_i = ∫ φ_i r^k dx, the exact volume change of a vertical move of P2 boundary
nodes), is taken off the collector face, lowered by ΔV / ∫_top r^k dx: the Li volume is
conserved exactly. The Li's surface energy is an assumption (``LI_SURFACE_ENERGY``).

**Sub-element pockets.** The pieces are taken in their order along the bottom (chained end
to end), and a run ends at a piece end in contact (y ≤ t): where the Li closes a void by
creep its contact mid nodes slide along the plane (the contact is frictionless) while the
vertex beside them, 30–40 nm up, does not land, so a P2 facet touches the plane at its mid
node between two lifted vertices, or past its lifted vertex (the mid node outside its
chord). Taken as one run with the void next to it (ordered by x, one piece end in contact
did not part a run), such a pocket under one vertex never closed; on the axisymmetric
Li/Li6PS5Cl cell at 1 MPa, 0.2 mA/cm², its facet's P2 map folded (the stripping squeezes
the cell by ×0.27 a step, li_strip_limit), a remeshing, which keeps the boundary nodes
(``li_remesh``), could not repair it, and the run stopped (time step collapse at 313 s).
Ordered by x, a void wall whose foot slid past its top vertex was a pocket of its own;
along the bottom it is the void's. A closure sets the pocket's bottom nodes on the plane;
a facet so laid flat gets its mid node at the middle of its chord, x_m = (x_a + x_b)/2
(volume-neutral: ∮ x dy, ∮ (r²/2) dz vanish along y = 0 wherever the nodes sit), since a
mid node left outside the chord folds the cell (q 0.115 → −0.67 at the same cell); a
closure after which a cell it touches still has q ≤ 0 (positive before) is undone.
"""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

from lisse.solver.physics.li_smoothing import EDGES, cell_quality
from lisse.solver.physics.lithium_body import ON_PLANE

# γ of Li [J/m²]: an assumption of the order of the computed and measured surface energies of
# bcc Li (0.45–0.55 J/m²); not yet in the materials library
LI_SURFACE_ENERGY = 0.5


def _primitive(x: np.ndarray, axisymmetric: bool) -> np.ndarray:
    """∫ r^k dx as a primitive: x (plane) or x²/2 (axisymmetric)."""
    return 0.5 * x**2 if axisymmetric else x


def contact_area(x: np.ndarray, nodes: np.ndarray, tolerance: float, axisymmetric: bool,
                 comm) -> float:
    """A_c = Σ ∫ χ(y ≤ t) r^k |dx| over the P2 facets ``nodes`` (rows a, b, m: geometry
    node indices of this rank's owned facets; ``x`` the geometry) [m or m²/(2π)], global."""
    if len(nodes) == 0:
        return comm.allreduce(0.0, op=MPI.SUM)
    a, b, m = (x[nodes[:, k], :2] for k in range(3))
    # y(ξ) − t = c2 ξ² + c1 ξ + c0 with y(0) = y_a, y(1) = y_b, y(1/2) = y_m
    c0 = a[:, 1] - tolerance
    c1 = 4 * m[:, 1] - 3 * a[:, 1] - b[:, 1]
    c2 = 2 * a[:, 1] + 2 * b[:, 1] - 4 * m[:, 1]
    roots = np.full((len(nodes), 2), 2.0)  # 2: outside [0, 1]
    lin = np.abs(c2) <= 1e-12 * (np.abs(c1) + np.abs(c0) + 1e-300)
    with np.errstate(divide="ignore", invalid="ignore"):
        roots[lin, 0] = np.where(c1[lin] != 0, -c0[lin] / c1[lin], 2.0)
        disc = c1**2 - 4 * c2 * c0
        quad = ~lin & (disc >= 0)
        sq = np.sqrt(np.where(quad, disc, 0.0))
        roots[quad, 0] = (-c1[quad] - sq[quad]) / (2 * c2[quad])
        roots[quad, 1] = (-c1[quad] + sq[quad]) / (2 * c2[quad])
    roots = np.where((roots > 0) & (roots < 1), roots, 1.0)
    cuts = np.sort(np.column_stack([np.zeros(len(nodes)), roots, np.ones(len(nodes))]), axis=1)
    total = 0.0
    for k in range(3):
        lo, hi = cuts[:, k], cuts[:, k + 1]
        mid = 0.5 * (lo + hi)
        inside = (hi > lo) & (c2 * mid**2 + c1 * mid + c0 <= 0)

        def xq(s):  # quadratic x(ξ)
            return (a[:, 0] * (1 - s) * (1 - 2 * s) + b[:, 0] * s * (2 * s - 1)
                    + m[:, 0] * 4 * s * (1 - s))

        part = np.abs(_primitive(xq(hi), axisymmetric) - _primitive(xq(lo), axisymmetric))
        total += float(np.sum(part[inside]))
    return comm.allreduce(total, op=MPI.SUM)


def pockets(segments: np.ndarray, tolerance: float) -> list[tuple[float, float, float, int]]:
    """Pockets of the bottom given as straight pieces (rows x_a, y_a, x_b, y_b, every rank's):
    [(x_start, x_end, largest height h, receding edges 1 or 2)] of the runs of pieces out of
    contact (a piece is out when one of its ends is above ``tolerance``) with a contact on at
    least one side; a run reaching x = min or max of the bottom has one edge (its mirror
    image across the symmetry face completes it). The pieces are taken in their order along
    the bottom (``_along``), and a run also ends at a piece end in contact (y ≤
    ``tolerance``): a mid node touching the plane between two lifted vertices parts the
    bottom into two pockets there (module docstring, "Sub-element pockets")."""
    seg = _along(segments)
    out = np.maximum(seg[:, 1], seg[:, 3]) > tolerance
    touching = seg[:, 3] <= tolerance  # the piece's end where the next one starts
    found, k, count = [], 0, len(seg)
    while k < count:
        if not out[k]:
            k += 1
            continue
        end = k
        while end + 1 < count and out[end + 1] and not touching[end]:
            end += 1
        edges = int(k > 0) + int(end < count - 1)
        if edges:
            run = seg[k:end + 1]
            found.append((float(np.min(run[:, [0, 2]])), float(np.max(run[:, [0, 2]])),
                          float(np.max(run[:, [1, 3]])), edges))
        k = end + 1
    return found


def _along(segments: np.ndarray) -> np.ndarray:
    """The pieces (rows x_a, y_a, x_b, y_b) chained end to end along the bottom from its end
    at the smaller x, each oriented along it (its b the next one's a). Pieces share their
    ends' exact coordinates (every rank has the same geometry). Ordered by x_min instead
    (a ≤ b in x) if they do not make one open chain (a bottom touching itself)."""
    ends = [tuple(row) for row in np.concatenate([segments[:, :2], segments[:, 2:]])]
    count = len(segments)
    at: dict[tuple, list[int]] = {}
    for k, end in enumerate(ends):
        at.setdefault(end, []).append(k % count)
    tips = [end for end, pieces in at.items() if len(pieces) == 1]
    rows, used = [], np.zeros(count, dtype=bool)
    if len(tips) == 2 and all(len(p) <= 2 for p in at.values()):
        point = min(tips)
        for _ in range(count):
            k = next((k for k in at[point] if not used[k]), None)
            if k is None:
                break
            used[k] = True
            rows.append(segments[k] if ends[k] == point else segments[k, [2, 3, 0, 1]])
            point = (rows[-1][2], rows[-1][3])
    if count and np.all(used):
        return np.array(rows)
    left = np.where((segments[:, 0] <= segments[:, 2])[:, None], segments,
                    segments[:, [2, 3, 0, 1]])
    return left[np.argsort(left[:, 0], kind="stable")]


def closing(found, rate, dt: float, pressure: float,
            surface_energy: float = LI_SURFACE_ENERGY):
    """The pockets (of ``pockets``) that close within ``dt`` [s] (module docstring): their
    edges meet, h ε̇(2γ/h) Δt ≥ w/edges, and the roof over them comes down,
    W ε̇(p + 2γ/W) Δt ≥ h with W = 2w/edges the full width; ``rate(σ)`` the Li's creep rate
    [1/s] at the equivalent stress σ [Pa], ``pressure`` p the stack pressure [Pa]."""
    closed = []
    for x0, x1, h, edges in found:
        width = 2 * (x1 - x0) / edges
        meet = h * rate(2 * surface_energy / h) * dt >= (x1 - x0) / edges
        if meet and width * rate(pressure + 2 * surface_energy / width) * dt >= h:
            closed.append((x0, x1))
    return closed


class LiPockets:
    """The contact measure and the pocket closure of one Li body (module docstring):
    ``bottom``, ``top``: the ``li_surface.Surface`` of its obstacle and collector
    facets; ``tolerance``: the contact tolerance t [m]."""

    def __init__(self, body, bottom, top, tolerance: float, collector: int):
        self.body, self.bottom, self.top, self.tolerance = body, bottom, top, tolerance
        self._bottom_nodes = body._surface_nodes  # local + ghost, as stripping moves them
        self._top_nodes = body._obstacle_nodes(body.msh.topology.dim - 1,
                                               body.tags.find(collector).astype(np.int32))
        self.closed = 0.0  # Li moved by pocket closures so far [m² or m³/(2π)]

    def contact_area(self) -> float:
        """A_c of the Li bottom (global) [m or m²/(2π)]."""
        return contact_area(self.body.msh.geometry.x, self.bottom.nodes, self.tolerance,
                            self.body.axisymmetric, self.body.comm)

    def rate(self, stress: float) -> float:
        """The Li's creep rate ε̇0 (σ/σ0)^n [1/s] at the equivalent stress σ [Pa]."""
        body = self.body
        return body.rate_scale * (stress / body.stress_scale) ** body.exponent

    def close(self, dt: float, current=None) -> int:
        """Close the pockets whose edges meet within ``dt`` [s]; returns how many (a closure
        that would fold a cell is not made: ``close_pockets``). A 2D pocket lies between
        contacts within t whatever the step's current ``current`` (the 3D seal rule's
        argument, ``li_pockets_3d``)."""
        intervals = closing(pockets(self.bottom.segments(), self.tolerance), self.rate, dt,
                            self.body.stress_scale)
        if not intervals:
            return 0
        area = self.body.comm.allreduce(float(np.sum(self.top.weights())), op=MPI.SUM)
        added, made = close_pockets(self.body, self._bottom_nodes, self._top_nodes,
                                    self.bottom.weights(), area, intervals)
        self.closed += added
        return made


def close_pockets(body, bottom_nodes: np.ndarray, top_nodes: np.ndarray,
                  bottom_weights: np.ndarray, top_area: float, intervals) -> tuple[float, int]:
    """Close the ``intervals`` one after the other: the bottom nodes (local + ghost indices
    ``bottom_nodes``) with x inside on the plane y = 0 (``settle``), then the mid node of
    every bottom facet so laid flat re-centred (``recentre``); a closure after which a cell
    it touches has q ≤ 0 (``li_smoothing.cell_quality``; positive before) is undone (module
    docstring, "Sub-element pockets"). Returns (ΔV, the Li the closures moved, m² or
    m³/(2π), global; how many were made). ``bottom_weights``: W_i of this rank's owned
    facets."""
    geometry = body.msh.geometry
    x, cells = geometry.x, geometry.dofmaps[0]  # local + ghost cells: every node's facets
    on = np.zeros(len(x), dtype=bool)
    on[bottom_nodes] = True
    edges = cells[:, EDGES].reshape(-1, 3)
    edges = np.unique(edges[np.all(on[edges], axis=1)], axis=0)  # the bottom facets
    size = body.comm.allreduce(float(np.max(np.abs(x), initial=0.0)), op=MPI.MAX)
    total, made = 0.0, 0
    for x0, x1 in intervals:
        moved = np.zeros(len(x), dtype=bool)
        inside = (x[bottom_nodes, 0] >= x0) & (x[bottom_nodes, 0] <= x1)
        moved[bottom_nodes[inside]] = True
        touched = np.any(moved[cells], axis=1)
        saved, before = x.copy(), cell_quality(x[:, :2], cells[touched])
        added = settle(body, moved, top_nodes, bottom_weights, top_area)
        recentre(x, edges[np.any(moved[edges], axis=1)], body.up, ON_PLANE * size)
        after = cell_quality(x[:, :2], cells[touched])
        if body.comm.allreduce(bool(np.any((after <= 0) & (before > 0))), op=MPI.LOR):
            x[:] = saved
            continue
        total, made = total + added, made + 1
    return total, made


def recentre(x: np.ndarray, edges: np.ndarray, up: int, plane: float) -> None:
    """Put the mid node of each P2 facet of ``edges`` (rows vertex a, vertex b, mid m) whose
    three nodes are on the plane (|y| ≤ ``plane`` [m], the landing round-off) at the middle
    of its chord, x_m = (x_a + x_b)/2. Volume-neutral: the facet's share of ∮ x dy
    (∮ (r²/2) dz) is 0 on y = 0 wherever its nodes sit (to the round-off ``plane``)."""
    flat = edges[np.all(np.abs(x[edges, up]) <= plane, axis=1)]
    x[flat[:, 2], :up] = 0.5 * (x[flat[:, 0], :up] + x[flat[:, 1], :up])


def settle(body, moved: np.ndarray, top_nodes: np.ndarray, bottom_weights: np.ndarray,
           top_area: float) -> float:
    """Set the geometry nodes ``moved`` (a mask, local + ghost) above the plane on it and
    lower the collector nodes ``top_nodes`` by ΔV / ``top_area`` so that the Li volume is
    unchanged (ΔV = Σ W_i h_i, exact for vertical moves of the bottom nodes); returns ΔV
    (global)."""
    x, up = body.msh.geometry.x, body.up
    moved = moved & (x[:, up] > 0)
    added = body.comm.allreduce(float(np.sum(bottom_weights[moved] * x[moved, up])),
                                op=MPI.SUM)
    x[moved, up] = 0.0
    x[top_nodes, up] -= added / top_area
    return added
