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

The step bounds (``li_strip_limit.step_limit``: no cell folded; ``li_follow``: consumption per
step ≤ t once the Li did not follow) count the film's consumption with the current's. The
film's largest consumption of the Li in a step is b (√(L² + 2 k_p Δt) − L) (``depth``),
b = Ω c_Li |c_f| with c_f the transfer factor of ĵ_f and L the thinnest film on the contact;
the largest Δt that keeps rate Δt + b (√(L² + 2 k_p Δt) − L) ≤ δ is a root of a quadratic
(``bounded``).

Li bookkeeping (validation E5 with the film): the Li volume falls by (Ω/F) ∫ i A dt + Ω c_Li
V_f A, V_f the film volume per area grown in the run (``li_interphase_um`` = Ω c_Li V_f; the
film of ``interphase.age_h`` was grown before the Li was built).
"""

from __future__ import annotations

import math

from lisse.solver.physics.li_follow import bounded_step
from lisse.units import FARADAY


class FilmConsumption:
    """The current density [A/m²] the Li body strips in one coupled step of ``evo``: the
    transferred current ``current`` (a callable of the Li node coordinates, or None at rest)
    plus the film's consumption ĵ_f (module docstring); ``current`` itself without an
    interphase. The film grows on the contact share at the step's start."""

    def __init__(self, evo, current):
        self.evo, self.current = evo, current
        self.share = None if evo.interphase is None else evo.contact_share()
        self.terms = None  # (b, L, k_p) of the last step tried (``depth``)

    def _film_current(self, dt: float):
        """(ĵ_f, c_f) for a step of ``dt`` [s], c_f its transfer factor; None where no film
        grows (the same on every rank: an area mean). Records ``terms``."""
        evo = self.evo
        self.terms = None
        if evo.interphase is None:
            return None
        film, grown = evo.film_after(self.share, dt)
        if grown <= 0:  # no contact to grow on
            return None
        bound = FARADAY * evo.interphase.li_per_volume  # charge of the Li per film volume
        consumed, scale = evo._transfer(bound * (film - evo.film) / dt, bound * grown / dt)
        self.terms = (evo.params.electrode.molar_volume * evo.interphase.li_per_volume
                      * abs(scale), evo._min(evo.film[self.share > 0]),
                      evo.interphase.rate(evo.params.temperature))
        return consumed, scale

    def __call__(self, dt: float):
        """ĵ + ĵ_f for a step of ``dt`` [s]."""
        film, current = self._film_current(dt), self.current
        if film is None:
            return current
        consumed = film[0]
        return consumed if current is None else (
            lambda points: current(points) + consumed(points))

    def depth(self, dt: float) -> float:
        """The film's largest consumption of the Li [m] in the step ``dt`` [s] last tried
        (``__call__``): b (√(L² + 2 k_p Δt) − L), b = Ω c_Li |c_f| and L the thinnest film
        on the contact (ΔL falls with L; the interpolated ĵ_f stays within its node
        values); 0 where no film grows."""
        if self.terms is None:
            return 0.0
        b, thinnest, rate = self.terms
        return b * (math.sqrt(thinnest ** 2 + 2 * rate * dt) - thinnest)

    def bounded(self, dt: float, rate: float, depth: float) -> float:
        """The largest Δt ≤ ``dt`` [s] at which the current's consumption ``rate`` Δt
        ([m/s] × [s]) plus the film's (``depth``, its b and L of the step ``dt``) is ≤
        ``depth`` [m]: with u = √(L² + 2 k_p Δt), rate (u² − L²)/(2 k_p) + b (u − L) = depth,
        a quadratic in u whose positive root is u = 2C/(b + √(b² + 4 A C)), A = rate/(2 k_p),
        C = A L² + b L + depth; ``li_follow.bounded_step`` where no film grows."""
        if self._film_current(dt) is None:
            return bounded_step(dt, rate, depth)
        b, thinnest, growth = self.terms
        a = rate / (2 * growth)
        c = a * thinnest ** 2 + b * thinnest + depth
        u = 2 * c / (b + math.sqrt(b ** 2 + 4 * a * c))
        return min(dt, (u - thinnest) * (u + thinnest) / (2 * growth))

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

