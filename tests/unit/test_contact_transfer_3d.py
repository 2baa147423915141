"""The 3D contact transfer (``solver.physics.contact_transfer_3d``, ``supermesh``) on synthetic
meshes, without FEM: a flat Li bottom of P2 triangles (mid-edge nodes at the edge centres)
on the square [0, L]² and an electrolyte interface triangulation with other, non-matching
nodes (both: a grid with perturbed interior nodes, the diagonals of the two meshes crossing,
a third of the triangles with their corners clockwise).

* uniform: λ uniform gives the P2 reactions R_i = λ ∫ ψ_i dA (0 at the vertices, |T|/3 per
  triangle at the mid-edge nodes) and p_k = λ at every node to round-off;
* the supermesh integral is exact: for a linear λ_h, F_k = ∫ λ φ_k dA = Σ_E |E|(2λ_k + λ_a
  + λ_b)/12 on two different Li meshes, to round-off;
* conservative: random reactions come out with Σ p_k w_k = Σ R_i to round-off;
* a linear pressure: p_k = λ(x_k) within |∇λ| (h_Li + h_E)/2, h the longest edge (the
  module docstring's bound; measured 0.15 MPa, 0.44 of it, for ±1 MPa across L);
* ``mpirun -n 2`` (the data dealt to the ranks in scrambled order) gives serial's p_k bit
  for bit (all gathered and sorted).
"""

from __future__ import annotations

import basix
import numpy as np
from mpi4py import MPI

from lisse.solver.physics.contact_transfer_3d import transfer
from lisse.solver.physics.supermesh import mortar_forces, signed_areas

L = 20e-6
LAM = 2e6  # Pa
GRADIENT = np.array([3e10, -5e10])  # Pa/m of the linear pressure: ±1 MPa across L


def grid(n: int, seed: int, flip: bool) -> tuple[np.ndarray, np.ndarray]:
    """(points (p, 2) [m], triangles (t, 3)) of an n × n grid on [0, L]² with its interior
    nodes moved by up to 0.2 of a cell; diagonals / (``flip``: \\)."""
    s = np.linspace(0, L, n + 1)
    x, y = np.meshgrid(s, s, indexing="ij")
    pts = np.stack([x.ravel(), y.ravel()], axis=1)
    inner = (pts > 0).all(axis=1) & (pts < L).all(axis=1)
    pts[inner] += np.random.default_rng(seed).uniform(-0.2, 0.2, (inner.sum(), 2)) * L / n
    k = np.arange(n + 1) * (n + 1)
    a = (k[:-1, None] + np.arange(n)[None]).ravel()
    b, c, d = a + n + 1, a + 1, a + n + 2
    tri = np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)]) if not flip else (
        np.concatenate([np.stack([a, b, c], 1), np.stack([b, d, c], 1)]))
    tri[1::3] = tri[1::3][:, [0, 2, 1]]  # clockwise: the corner order carries no side
    return pts, tri


def p2_bottom(n: int, seed: int):
    """(ids (t, 6), corners (t, 3, 2), node positions by id) of a flat P2 Li bottom."""
    pts, tri = grid(n, seed, flip=False)
    edges = np.sort(tri[:, [1, 2, 0, 2, 0, 1]].reshape(-1, 3, 2), axis=2)
    unique, mid = np.unique(edges.reshape(-1, 2), axis=0, return_inverse=True)
    ids = np.concatenate([tri, len(pts) + mid.reshape(-1, 3)], axis=1)
    position = np.concatenate([pts, 0.5 * (pts[unique[:, 0]] + pts[unique[:, 1]])])
    return ids, pts[tri], position


def p2_reactions(ids, corners, pressure) -> tuple[np.ndarray, np.ndarray]:
    """(dof labels, R_i = ∫ λ ψ_i dA [N]) for λ = ``pressure``(x) [Pa] (exact: degree 4)."""
    points, weights = basix.make_quadrature(basix.CellType.triangle, 4)
    element = basix.create_element(basix.ElementFamily.P, basix.CellType.triangle, 2,
                                   basix.LagrangeVariant.equispaced)
    psi = element.tabulate(0, points)[0, :, :, 0]  # (q, 6)
    x = corners[:, :1] + np.einsum("qr,trd->tqd", points,
                                   corners[:, 1:] - corners[:, :1])  # (t, q, 2)
    area = np.abs(signed_areas(corners))
    local = np.einsum("q,tq,qk,t->tk", weights, pressure(x), psi, 2 * area)
    labels = np.unique(ids)
    force = np.zeros(len(labels))
    np.add.at(force, np.searchsorted(labels, ids), local)
    return labels, force


def electrolyte(n=5, seed=7):
    """(nodes (p, 2), triangles (t, 3, 2), node indices (t, 3), w_k = ∫ φ_k dA)."""
    pts, tri = grid(n, seed, flip=True)
    w = np.zeros(len(pts))
    np.add.at(w, tri, np.repeat(np.abs(signed_areas(pts[tri]))[:, None] / 3, 3, 1))
    return pts, pts[tri], tri, w


def linear(x: np.ndarray) -> np.ndarray:
    return LAM + (x - L / 2) @ GRADIENT


def serial(li, el=None) -> np.ndarray:
    nodes, tri, _, w = el or electrolyte()
    return transfer(MPI.COMM_SELF, li, (nodes, w, tri), L)


def test_uniform_pressure_is_uniform_on_non_matching_meshes():
    ids, corners, _ = p2_bottom(7, 1)
    labels, reactions = p2_reactions(ids, corners, lambda x: np.full(x.shape[:-1], LAM))
    p = serial((ids, corners, labels, reactions))
    assert np.max(np.abs(p / LAM - 1)) < 1e-12, p / LAM


def test_supermesh_integral_is_exact_for_a_linear_density():
    nodes, tri, index, _ = electrolyte()
    lam = linear(nodes)
    exact = np.zeros(len(nodes))
    area = np.abs(signed_areas(tri))
    for k in range(3):
        np.add.at(exact, index[:, k], area / 12 * (2 * lam[index[:, k]] + lam[index[:, (k + 1) % 3]]
                                                    + lam[index[:, (k + 2) % 3]]))
    for n, seed in ((7, 1), (4, 2)):
        _, corners, _ = p2_bottom(n, seed)
        forces = mortar_forces(corners, linear(corners), tri, index, len(nodes), L)
        assert np.max(np.abs(forces / exact - 1)) < 1e-12


def random_load(seed: int = 3):
    ids, corners, _ = p2_bottom(6, 2)
    labels = np.unique(ids)
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(labels, len(labels) // 2, replace=False))
    return ids, corners, chosen, rng.uniform(0, 1e-6, len(chosen))


def test_random_reactions_are_conserved():
    li = random_load()
    _, _, _, w = electrolyte()
    p = serial(li)
    assert np.all(p >= 0)
    assert abs(np.sum(p * w) / np.sum(li[3]) - 1) < 1e-12


def test_linear_pressure_within_the_stated_error():
    ids, corners, _ = p2_bottom(7, 1)
    labels, reactions = p2_reactions(ids, corners, linear)
    nodes, tri, index, w = electrolyte()
    p = serial((ids, corners, labels, reactions))
    longest = [np.max(np.linalg.norm(t - np.roll(t, 1, axis=1), axis=2)) for t in (corners, tri)]
    bound = np.linalg.norm(GRADIENT) * sum(longest) / 2
    error = np.max(np.abs(p - linear(nodes)))
    assert error <= bound, (error, bound)
    assert abs(np.sum(p * w) / np.sum(reactions) - 1) < 1e-12


def dealt(rank: int, size: int):
    """This rank's share of ``random_load`` and of the electrolyte, dealt in a scrambled
    order (so that gathering in rank order differs from serial's order)."""
    ids, corners, chosen, reactions = random_load()
    nodes, tri, _, w = electrolyte()
    rng = np.random.default_rng(11)

    def mine(n):
        return rng.permutation(n)[rank::size]

    f, r, k, t = mine(len(ids)), mine(len(chosen)), mine(len(nodes)), mine(len(tri))
    return (ids[f], corners[f], chosen[r], reactions[r]), (nodes[k], w[k], tri[t]), k


def main() -> None:
    """Under mpirun: the transfer of the dealt data; print p in the serial node order."""
    comm = MPI.COMM_WORLD
    li, el, k = dealt(comm.rank, comm.size)
    p = transfer(comm, li, el, L)
    keys = np.concatenate(comm.allgather(k))
    values = np.concatenate(comm.allgather(p))
    from tests.helpers import print_numbers

    print_numbers({"p": values[np.argsort(keys)].tolist()})


def test_parallel_equals_serial():
    from tests.helpers import mpi_numbers

    assert mpi_numbers("tests.unit.test_contact_transfer_3d")["p"] == serial(random_load()).tolist()
