"""The growing interphase (``interphase:``) in the coupled interface model (issue 12/13;
docs/moving_interface.md, "Interphase in the coupled model").

The film is the reduced model's (``solver.physics.interphase``, validation I1), grown by the
same code (``InterfaceEvolution.film_after``): at each interface node k it grows on the
node's reacting share s_k at the start of the step (the coupled model's ``contact_share``:
g_k ≤ t, times the contact band's s(g_k) in 2D, less the share covered by sub-grid pores),

    L_k² → L_k² + 2 k_p Δt  where s_k > 0  (void floors keep their film),

and its resistance R_s = L/κ_f [Ω m²] and capacitance ε_f/L enter the interface law of the
current distribution through the same ``InterfaceEvolution._solve_current``.

What is the coupled model's own: the Li the film binds is taken from the Li body. In a step
of length Δt the film at node k binds Ω c_Li s_k ΔL_k of Li metal per interface area [m]
(c_Li [mol/m³] the Li bound per film volume), an equivalent current density per contact area

    j_f,k = F c_Li ΔL_k / Δt   [A/m²],

which goes to the Li nodes on the plane as the current does (``CoupledEvolution._transfer``:
the interpolant of the contact nodes' values, scaled so that the Li loses exactly

    (Ω/F) Δt Σ_i W_i ĵ_f(x_i) = Ω c_Li ΔV_f A,   ΔV_f = ⟨s ΔL⟩ the film volume per area grown

[m³ per m plane strain]); ``LithiumBody.step`` strips ĵ + ĵ_f (at rest ĵ_f alone), and the
pressed Li follows onto the plane as after a stripping. The film is not meshed: the
electrolyte plane stays where it is, the film taken to fill the space of the Li and
electrolyte it consumed (as in the reduced model). ΔL is not linear in Δt, so the Li's
current density is built for each Δt the step tries (``FilmConsumption.__call__``) and the
film committed for the Δt taken (``FilmConsumption.commit``).

Li bookkeeping (validation E5 with the film): the Li volume falls by (Ω/F) ∫ i A dt + Ω c_Li
V_f A, V_f the film volume per area grown in the run (``li_interphase_um`` = Ω c_Li V_f; the
film of ``interphase.age_h`` was grown before the Li was built).
"""

from __future__ import annotations

from lisse.units import FARADAY


class FilmConsumption:
    """The current density [A/m²] the Li body strips in one coupled step of ``evo``: the
    transferred current ``current`` (a callable of the Li node coordinates, or None at rest)
    plus the film's consumption ĵ_f (module docstring); ``current`` itself without an
    interphase. The film grows on the contact share at the step's start."""

    def __init__(self, evo, current):
        self.evo, self.current = evo, current
        self.share = None if evo.interphase is None else evo.contact_share()

    def __call__(self, dt: float):
        """ĵ + ĵ_f for a step of ``dt`` [s]."""
        evo = self.evo
        if evo.interphase is None:
            return self.current
        film, grown = evo.film_after(self.share, dt)
        if grown <= 0:  # no contact to grow on (the same on every rank: an area mean)
            return self.current
        bound = FARADAY * evo.interphase.li_per_volume  # charge of the Li per film volume
        consumed, _ = evo._transfer(bound * (film - evo.film) / dt, bound * grown / dt)
        current = self.current
        return consumed if current is None else (
            lambda points: current(points) + consumed(points))

    def commit(self, dt: float) -> None:
        """Grow the film of ``evo`` for the step ``dt`` [s] taken."""
        evo = self.evo
        if evo.interphase is not None:
            evo.film, grown = evo.film_after(self.share, dt)
            evo.film_volume += grown


def bookkeeping_error(lost: float, stripped: float, throughput: float, film_li: float) -> float:
    """E5's relative mismatch: |ΔV/A − (Ω/F)∫ i dt − Ω c_Li V_f| / ((Ω/F)∫ |i| dt + Ω c_Li
    V_f), all as Li-metal thickness [m] (``lost`` = (V0 − V)/A); 0 before any Li moved."""
    scale = throughput + film_li
    return abs(lost - stripped - film_li) / scale if scale else 0.0

