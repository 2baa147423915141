"""Evolution of the Li/electrolyte interface under a galvanostatic protocol.

State, at the interface nodes of the (fixed) electrolyte mesh:

* the gap g(x) ≥ 0 [m] between the Li and the electrolyte surface (resolved voids);
* the pore content c(x) ≥ 0 [m]: volume per interface area of sub-grid pores left in the
  Li at the interface by condensed vacancies; a node's contact share is 1 − c/h_p (h_p the
  pore height scale), and only where g ≤ g_tol.

Each time step:

1. the current distribution on the present contact gives the local current density j(x)
   on the real contact area;
2. stripping removes Li at (Ω/F) j. With the vacancy route (``solver.physics.vacancy``) the part
   up to j_vac leaves as vacancies that diffuse to remote sinks (the current collector
   recedes) and the excess condenses into pores, ċ = s (Ω/F)(j − j_vac)₊ (s the node's
   contact share); without it the Li surface recedes, δ̇ = s (Ω/F) j;
3. supply: under a stack pressure p > 0 the Li moves as a body toward the electrolyte until
   its lowest point touches, g = g₀ + δ − U with U = min(g₀ + δ); with creep on
   gaps and pores also close, ġ = −k g, ċ = −k c, at the creep closure rate k(p, T) of
   a cylindrical void (``solver.physics.creep_closure``, validation M2; creep_closure:
   isolated_void) or at the rate measured on the cell's own creep field
   (``solver.studies.gap_closure``; creep_closure: creep_field);
4. the new contact is {g ≤ g_tol} weighted by 1 − c/h_p.

Plating (j < 0) deposits Li at the contact: δ decreases and the Li is pushed back.

Li bookkeeping (validation E5): the Li removed, (Ω/F)∫j dt, equals the growth of the void
and pore volume plus the recession of the current collector (body translation U, volume
carried off by vacancies and volume brought in by creep); every record reports the relative
mismatch. With an ``interphase`` (``solver.physics.interphase``, validation I1) a film grows
on the touching nodes each step and binds Li, reported apart as the Li-metal thickness
Ω c_Li V_f it consumed (the film fills the space it consumed, so no gap opens).

The time step adapts so that no gap or pore content changes by more than
``max_gap_increment`` in a step.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from mpi4py import MPI

from lisse.meshes.voids import interface_gap
from lisse.solver.config.params import FARADAY, Resolved
from lisse.solver.errors import SolverError
from lisse.solver.fem.domain import node_coordinates
from lisse.solver.physics.evolution_settings import (
    EvolutionSettings,
    Outcome,
    Record,
    StepControl,
)
from lisse.solver.physics.failure import contact_lost, judge, step_start
from lisse.solver.physics.interphase import film_state, initial_film

if TYPE_CHECKING:
    from lisse.solver.physics.current import CurrentDistribution



class ContactLost(Exception):
    """The interface has no contact left: a physical failure, not a solver error."""


class EvolutionError(SolverError):
    """The current solve kept failing after the allowed step cut-backs; ``outcome`` holds
    the records up to the last good state."""

    def __init__(self, message: str, outcome: Outcome):
        super().__init__(message)
        self.outcome = outcome


class InterfaceEvolution:
    """Drives the current distribution, the gaps and the pores through a protocol."""

    def __init__(self, params: Resolved, settings: EvolutionSettings,
                 current: CurrentDistribution, comm=MPI.COMM_WORLD):
        self.params, self.settings, self.cd, self.comm = params, settings, current, comm
        cd = current
        self.nodes = cd.interface_nodes
        self.weights = cd.w_interface[self.nodes]
        self.area = cd.interface_area
        self.x = node_coordinates(cd.space)[self.nodes]  # the mesh's bits on any partition
        # the starting contact (meshed, or as the mechanics hold left it) is the truth; a
        # node in contact counts whole (nodes on a contact edge too: the nodal gap model
        # has no partial shares, so its first step differs from a steady run at void edges)
        start = cd.interface.contact[self.nodes]
        self.gap0 = interface_gap(params.geometry, self.x)
        self.gap0[start > 0] = 0.0
        self.recession = np.zeros(len(self.nodes))  # δ [m]
        self.pores = np.zeros(len(self.nodes))  # c [m]
        self.gap = self.gap0.copy()
        self.translation = 0.0  # U [m]
        self.carried = 0.0  # Li volume per area carried off by vacancies [m]
        self.crept = 0.0  # Li volume per area brought into gaps and pores by creep [m]
        self.stripped = 0.0  # (Ω/F) ∫ j dt [m]
        self.void0 = self._mean(self.gap0)
        self.time = 0.0
        self.interphase = params.interphase
        self.film = np.zeros(len(self.nodes))  # interphase thickness L [m]
        if self.interphase is not None:
            self.film = initial_film(cd, self.interphase, params.temperature)[1]
        self.film_volume = 0.0  # interphase volume per area grown in the run [m]

    # -- helpers ------------------------------------------------------------------------
    def _mean(self, values: np.ndarray) -> float:
        return self.comm.allreduce(float(np.sum(self.weights * values))) / self.area

    def _max(self, values: np.ndarray) -> float:
        local = float(values.max()) if values.size else -math.inf
        return self.comm.allreduce(local, op=MPI.MAX)

    def _min(self, values: np.ndarray) -> float:
        local = float(values.min()) if values.size else math.inf
        return self.comm.allreduce(local, op=MPI.MIN)

    def contact_share(self) -> np.ndarray:
        """Share of each node's interface area in contact, in [0, 1]."""
        touching = self.gap <= self.settings.contact_tolerance
        return np.where(touching, np.clip(1 - self.pores / self.settings.pore_height, 0, 1), 0)

    def contact_fraction(self) -> float:
        return self._mean(self.contact_share())

    # -- one step -------------------------------------------------------------------------
    def _solve_current(self, applied: float):
        """Current distribution on the present contact; zero current at rest."""
        share = np.zeros(self.cd.n)
        share[self.nodes] = self.contact_share()
        if self.comm.allreduce(float(share.sum())) <= 0:
            raise ContactLost("the interface has lost all contact")
        state = self.cd.interface.with_(contact=share)
        if self.interphase is not None:
            state = film_state(state, self.nodes, self.film, self.interphase)
        self.cd.set_interface(state)
        if applied == 0.0:
            return None, np.zeros(len(self.nodes))
        sol = self.cd.solve("galvanostatic", applied)
        return sol, sol.local_current[self.nodes]

    def local_current(self, applied: float) -> np.ndarray:
        """Local current density j [A/m²] at the interface nodes, solved on the present
        contact at the applied current density ``applied`` [A/m²] (zero at rest)."""
        return self._solve_current(applied)[1]

    def _rates(self, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Recession and pore-growth velocities [m/s] per node (per interface area)."""
        omega, temperature = self.params.electrode.molar_volume, self.params.temperature
        share = self.contact_share()
        removal = share * omega / FARADAY * j
        vac = self.settings.vacancy
        if vac is None:
            return removal, np.zeros_like(j)
        pores = share * vac.condensation_rate(np.maximum(j, 0.0), temperature, omega)
        return np.where(j < 0, removal, 0.0), pores

    def _supply(self, dt: float) -> None:
        """Creep closure of gaps and pores, then body translation under the pressure."""
        s = self.settings
        if s.creep is not None:
            rate = s.closure_rate
            if rate is None:
                rate = s.creep.volume_rate(self.params.temperature)
            closing = 1 - math.exp(-rate * dt)
            before = self._mean(self.gap0 + self.recession - self.translation) + self._mean(
                self.pores)
            self.recession -= closing * (self.gap0 + self.recession - self.translation)
            self.pores *= 1 - closing
            after = self._mean(self.gap0 + self.recession - self.translation) + self._mean(
                self.pores)
            self.crept += before - after
        shape = self.gap0 + self.recession
        lowest = self._min(shape)
        # a pressed Li follows the interface; an unpressed one is only pushed off by plating
        self.translation = lowest if s.stack_pressure > 0 else min(self.translation, lowest)
        self.gap = shape - self.translation

    def advance(self, applied: float, dt: float):
        """One explicit step at the applied current density [A/m²], of length at most dt,
        shortened so that no gap or pore content changes by more than
        ``max_gap_increment``. Returns the step length and the current solution at the
        start of the step (None at rest) with the local current densities."""
        sol, j = self._solve_current(applied)
        recession, pores = self._rates(j)
        fastest = self._max(np.abs(recession) + pores)
        if fastest > 0:
            dt = min(dt, self.settings.max_gap_increment / fastest)
        removed = self.params.electrode.molar_volume / FARADAY * applied * dt
        self.recession += recession * dt
        self.pores += pores * dt
        self.stripped += removed
        self.carried += removed - self._mean(recession + pores) * dt
        if self.interphase is not None:  # grows on the contact of this step
            self.film, grown = self.film_after(self.contact_share(), dt)
            self.film_volume += grown
        self._supply(dt)
        self.time += dt
        return dt, sol, j

    def film_after(self, share: np.ndarray, dt: float) -> tuple[np.ndarray, float]:
        """The interphase thicknesses [m] after ``dt`` [s] grown on the contact ``share`` and
        the film volume per interface area it adds [m] (``Interphase.grow``; not applied)."""
        film, grown = self.interphase.grow(self.film, share, dt, self.params.temperature)
        return film, self._mean(grown)

    def record(self, applied: float, sol, j: np.ndarray, label: str) -> Record:
        jmax = self._max(np.abs(j)) if sol is not None else 0.0
        mean_contact = abs(sol.current / sol.contact_area) if sol is not None else 0.0
        void = self._mean(self.gap) + self._mean(self.pores)
        recession = self.translation + self.carried + self.crept
        balance = (void - self.void0) + recession
        error = abs(balance - self.stripped) / abs(self.stripped) if self.stripped else 0.0
        return Record(
            time=self.time, applied_current_density=applied,
            cell_voltage=sol.cell_voltage if sol is not None else 0.0,
            contact_fraction=self.contact_fraction(), void_volume_per_area=void,
            max_gap=self._max(self.gap),
            hotspot_factor=jmax / mean_contact if mean_contact else 0.0,
            max_local_current_density=jmax, li_stripped=self.stripped,
            collector_recession=recession, mass_balance_error=error, step=label,
            li_interphase=self.li_interphase())

    def stop_reason(self, records: list, first: int):
        """A ``failure.Failure`` that ends the run besides the failure criteria, checked
        after them on the ``records`` (``first``: the protocol step's first record); None
        here (the coupled model: Li exhausted, time step collapsed)."""
        return None

    def li_interphase(self) -> float:
        """Li bound in the interphase grown so far, as Li-metal thickness Ω c_Li V_f [m]."""
        if self.interphase is None:
            return 0.0
        return float(self.params.electrode.molar_volume
                     * self.interphase.li_consumed(self.film_volume))

    # -- the protocol -------------------------------------------------------------------
    _STATE = ("recession", "pores", "gap", "film", "translation", "carried", "crept",
              "stripped", "film_volume", "time")

    def _save(self) -> dict:
        return {k: np.copy(getattr(self, k)) for k in self._STATE}

    def _restore(self, state: dict) -> None:
        for k, v in state.items():
            setattr(self, k, np.copy(v) if np.ndim(v) else float(v))

    def run(self, progress=None, pause=None, control: StepControl | None = None,
            outcome: Outcome | None = None) -> Outcome:
        """Run the protocol, or go on from ``control`` and ``outcome`` (a restart; the
        interface state restored with ``_restore``). ``progress(record, solution, j)`` is
        called after every step, then ``pause(control, outcome)``: if it returns True the run
        stops there with ``outcome.paused`` set (resumable from that control and outcome).

        A current solve that fails (solver error) is retried from the state before the
        previous step of the same protocol step, with that step halved, up to
        ``max_cutbacks`` times per protocol step; then EvolutionError (with the records so
        far)."""
        s = self.settings
        outcome = Outcome() if outcome is None else outcome
        c = StepControl(dt=s.initial_time_step) if control is None else control
        outcome.paused = False
        limits = s.failure_criteria()

        def fail(failure) -> Outcome:
            outcome.failed, outcome.failure_mode = True, failure.message
            outcome.failure_criterion = failure.criterion
            outcome.interface_failure = failure.interface
            outcome.failure_time = self.time
            return outcome

        while c.index < len(s.steps):
            step = s.steps[c.index]
            if math.isnan(c.end):  # entering the protocol step
                c.end = self.time + step.duration
                c.previous, c.cutbacks, c.halved = None, 0, False
            first = step_start(outcome.records, c.end - step.duration)
            while self.time < c.end * (1 - 1e-12):
                dt = min(c.dt, c.end - self.time, s.max_time_step)
                saved = self._save()
                try:
                    dt, sol, j = self.advance(step.current_density, dt)
                except ContactLost as exc:
                    return fail(contact_lost(str(exc)))
                except SolverError as exc:
                    self._restore(saved)
                    if c.previous is None or c.cutbacks >= s.max_cutbacks:
                        raise EvolutionError(
                            f"the current solve failed at t = {self.time:.6g} s after "
                            f"{c.cutbacks} step cut-backs: {exc}", outcome) from exc
                    state, last = c.previous
                    self._restore(state)
                    outcome.records.pop()
                    c.previous, c.dt = None, last / 2
                    c.cutbacks += 1
                    outcome.cutbacks += 1
                    c.halved = True
                    continue
                c.previous = (saved, dt)
                rec = self.record(step.current_density, sol, j, step.label)
                outcome.records.append(rec)
                if progress is not None:
                    progress(rec, sol, j)
                records = outcome.records
                failure = judge(rec, records[first], records[-2] if len(records) - 1 > first
                                else None, limits)
                failure = failure or self.stop_reason(records, first)
                if failure is not None:
                    return fail(failure)
                if c.halved:  # keep the halved step once before growing again
                    c.halved, c.dt = False, dt
                else:
                    c.dt = min(2 * dt, s.max_time_step)
                if step.reached(rec):
                    c.end = self.time  # the step ends here (a resumed run sees it ended)
                if pause is not None and pause(c, outcome):
                    outcome.paused = True
                    return outcome
            c.index += 1
            c.end = math.nan
        return outcome
