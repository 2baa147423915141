"""The Li-to-electrolyte contact transfer (``solver.physics.contact_transfer``; the pore law's
λ and the elastic electrolyte's load) on synthetic meshes, without FEM: a Li bottom of P2
edges (vertices x_v, mid-edge dofs at the edge centres) over [0, L] and an electrolyte
interface with other, non-matching nodes.

Consistent: a uniform λ gives the P2 reactions R_i = λ ∫ ψ_i r^m dx (per edge [a, b] of
length h: the ends h/6 and the middle 2h/3 in plane strain; h a/6, h b/6 and h (a + b)/3 with
r = x), and the transfer returns p_k = λ at every node to round-off; the single hat step
F_k = Σ R_i φ_k(x_i) (the pore law's before the seload slice) misses by more than 1 % on the
same meshes (measured p_k/λ = 0.85–1.23 plane, 0.82–1.29 axisymmetric; the transfer:
9e-15). Conservative: random reactions at random abscissae come out with
Σ p_k w_k = Σ R_i to round-off, w_k = ∫ φ_k r^m dx."""

from __future__ import annotations

import numpy as np
import pytest

from lisse.solver.physics.contact_transfer import hat_forces, hat_weights, tributary_pressure

L = 40e-6


def meshes(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(Li vertices, electrolyte nodes) [m]: 15 and 11 random interior points on [0, L]."""
    rng = np.random.default_rng(seed)
    li = np.sort(np.concatenate([[0.0, L], rng.uniform(0, L, 15)]))
    el = np.sort(np.concatenate([[0.0, L], rng.uniform(0, L, 11)]))
    return li, el


def p2_reactions(vertices: np.ndarray, pressure: float, m: int):
    """(abscissae, R_i) of the P2 dofs of the edges between ``vertices`` under a uniform
    ``pressure`` [Pa] (module docstring)."""
    a, b = vertices[:-1], vertices[1:]
    h = b - a
    ends = (h / 6, h / 6, 2 * h / 3) if m == 0 else (h * a / 6, h * b / 6, h * (a + b) / 3)
    points = np.concatenate([a, b, (a + b) / 2])
    return points, pressure * np.concatenate(ends)


@pytest.mark.parametrize("m", [0, 1])
def test_uniform_load_is_uniform_on_non_matching_meshes(m):
    li, el = meshes()
    points, reactions = p2_reactions(li, 2e6, m)
    weights = hat_weights(el, m)
    p = tributary_pressure(el, weights, li, points, reactions, m)
    assert np.max(np.abs(p / 2e6 - 1)) < 1e-12, p / 2e6
    single = hat_forces(el, points, reactions) / weights  # the single hat step
    assert np.max(np.abs(single / 2e6 - 1)) > 1e-2


@pytest.mark.parametrize("m", [0, 1])
def test_random_reactions_are_conserved(m):
    li, el = meshes(2)
    rng = np.random.default_rng(3)
    points = rng.uniform(0, L, 40)
    reactions = rng.uniform(0, 1, 40)
    weights = hat_weights(el, m)
    p = tributary_pressure(el, weights, li, points, reactions, m)
    assert np.all(p >= 0)
    assert abs(np.sum(p * weights) / np.sum(reactions) - 1) < 1e-12
