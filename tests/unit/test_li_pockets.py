"""Sub-element pockets of the 2D pocket closure (solver.physics.li_pockets; docs/
moving_interface.md "Contact measure and pocket closure", "Sub-element pockets"): the pockets
are runs along the bottom parted at a piece end in contact, and a closure re-centres the mid
nodes of the facets it lays flat or is undone if it folds a cell. Hand-built geometry from
the axisymmetric Li/Li6PS5Cl cell at 1 MPa where the run stopped (time_step_collapse at
t = 313 s, 0.2 mA/cm²)."""

from types import SimpleNamespace

import numpy as np
import pytest
from mpi4py import MPI

from lisse.solver.physics.li_pockets import close_pockets, pockets
from lisse.solver.physics.li_smoothing import cell_quality
from lisse.solver.physics.li_surface import projection_weights

UM, T = 1e-6, 1e-9  # µm; the contact tolerance t [m]


def _pieces(points):
    """The straight halves a–m, m–b (rows x_a, y_a, x_b, y_b) of P2 facets given as
    (a, m, b) triples of (x, y) in µm, as ``Surface.segments`` makes them."""
    rows = [np.r_[a, m] for a, m, b in points] + [np.r_[m, b] for a, m, b in points]
    return np.array(rows, dtype=float) * UM


# the outer rim of the ring void (x ≈ 37 µm): the roof comes down to a vertex 33 nm up,
# a mid node touches the plane, the next vertex is 42 nm up and the mid node of its facet
# to the contact slid on the plane past it (x_m < x_a): a pocket under one vertex
RIM = [((36.0, 0.5), (36.4, 0.2), (36.812, 0.0327)),
       ((36.812, 0.0327), (36.948, 0.0), (37.130, 0.0419)),
       ((37.130, 0.0419), (37.116, 0.0), (37.349, 0.0)),
       ((37.349, 0.0), (37.649, 0.0), (37.948, 0.0))]


def test_a_mid_node_in_contact_parts_the_void_from_the_pocket_under_a_vertex():
    """The rim above: the void's run ends at the mid node on the plane (36.948 µm), the
    pocket under the lifted vertex is its own, two edges, 42 nm high (before: one run from
    the void to 37.130 µm, 0.5 µm high, which never closed)."""
    found = pockets(_pieces(RIM), T)
    assert [(round(x0 / UM, 3), round(x1 / UM, 3), round(h / UM, 4), e)
            for x0, x1, h, e in found] == [(36.0, 36.948, 0.5, 1), (36.948, 37.13, 0.0419, 2)]


def test_a_steep_void_wall_is_not_a_pocket():
    """The wall of a void whose foot (a mid node on the plane) lies 6 nm beyond its top
    vertex: taken along the bottom the wall belongs to the void's run (ordered by x it was
    a pocket 6 nm wide of its own and closed, dropping the vertex 0.18 µm)."""
    wall = [((37.0, 0.5), (37.2, 0.3), (37.396, 0.176)),
            ((37.396, 0.176), (37.390, 0.0), (37.6, 0.0)),
            ((37.6, 0.0), (37.8, 0.0), (38.0, 0.0))]
    found = pockets(_pieces(wall), T)
    assert len(found) == 1 and found[0][:2] == pytest.approx((37.0 * UM, 37.396 * UM))


def _body(nodes, cells):
    """What ``close_pockets`` reads of a ``LithiumBody``: the geometry, the comm and the
    vertical axis."""
    geometry = SimpleNamespace(x=np.column_stack([np.asarray(nodes, float) * UM,
                                                  np.zeros(len(nodes))]),
                               dofmaps=[np.asarray(cells)])
    return SimpleNamespace(msh=SimpleNamespace(geometry=geometry), comm=MPI.COMM_SELF, up=1)


def _volume(x, cells):
    """∫ r dA over the P2 cells (axisymmetric, 2π dropped), Gauss rule exact to degree 6."""
    import basix

    points, weights = basix.make_quadrature(basix.CellType.triangle, 6)
    element = basix.create_element(basix.ElementFamily.P, basix.CellType.triangle, 2,
                                   basix.LagrangeVariant.gll_warped)
    table = element.tabulate(1, points)[:, :, :, 0]  # (3, points, nodes)
    xc = x[cells][..., :2]
    jac = np.einsum("pi,cia->cpa", table[0], xc), np.einsum("dpi,cia->cpad", table[1:], xc)
    det = np.linalg.det(jac[1])
    return float(np.sum(weights * jac[0][..., 0] * det))


def test_a_closure_lays_its_facet_flat_with_the_mid_node_centred():
    """The cell where the run stopped (x ≈ 27 µm): a vertex 43 nm up between two contact
    facets, the mid node of one 21 nm past it on the plane. Setting the vertex on the plane
    alone left the facet's mid node outside its chord: q 0.115 → −0.67 (inverted, and no
    remeshing repairs it); now the mid node goes to the middle of the flat facet: q > 0.1,
    and the Li volume ∫ r dA grows by exactly the settled ΔV = Σ W_i y_i (the re-centring is
    neutral)."""
    nodes = [(26.805, 0.0), (27.015, 0.043), (26.527, 0.23625), (26.761, 0.13648),
             (26.665, 0.091668), (27.036, 0.0), (27.306, 0.0), (27.182, 0.0), (27.2, 0.2),
             (27.253, 0.1), (27.1075, 0.1215)]
    cells = np.array([[0, 1, 2, 3, 4, 5], [1, 6, 8, 9, 10, 7]])
    body = _body(nodes, cells)
    x = body.msh.geometry.x
    assert cell_quality(x[:, :2], cells)[0] == pytest.approx(0.115, abs=1e-3)
    facets = np.array([[0, 1, 5], [1, 6, 7]])
    weights = projection_weights(x[:, 0], facets, True)
    before = _volume(x, cells)
    added, made = close_pockets(body, np.unique(facets), np.array([], dtype=int), weights,
                                1.0, [(27.015 * UM, 27.036 * UM)])
    assert made == 1 and added == pytest.approx(weights[1] * 0.043 * UM, rel=1e-12)
    assert x[1, 1] == 0.0 and x[5, 0] == pytest.approx(0.5 * (x[0, 0] + x[1, 0]), rel=1e-15)
    assert np.min(cell_quality(x[:, :2], cells)) > 0.1
    assert _volume(x, cells) - before == pytest.approx(added, rel=1e-9)


def test_a_closure_that_folds_a_cell_is_undone():
    """A bottom vertex above the cell it bounds (the cell lies under it): set on the plane
    it would invert the cell, so the closure is not made and the geometry is as it was."""
    nodes = [(0.0, 0.3), (1.0, 0.3), (0.5, 0.6), (0.75, 0.45), (0.25, 0.45), (0.5, 0.3)]
    body = _body(nodes, [[0, 1, 2, 3, 4, 5]])
    x0 = body.msh.geometry.x.copy()
    added, made = close_pockets(body, np.array([2]), np.array([], dtype=int),
                                np.ones(6), 1.0, [(0.4 * UM, 0.6 * UM)])
    assert (added, made) == (0.0, 0)
    assert np.array_equal(body.msh.geometry.x, x0)
