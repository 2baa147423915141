"""Impedance spectra during an evolution run (``impedance.evolution_times_h``), as measured
between the stripping pulses of an experiment: at the first time step ending at or after each
requested time, the spectrum of the present interface (contact shares from the gaps and
pores, the interphase film) at open circuit (``solver.physics.impedance``).

Writes ``impedance_<time>h.csv`` per spectrum (the columns of ``lisse eis``, units in the
headers), ``impedance_evolution.csv`` (time, contact fraction and the low- and high-frequency
Z′ of each spectrum) and ``nyquist_evolution.png`` (the spectra over time).
"""

from __future__ import annotations

import numpy as np

from lisse.solver.io import impedance_plots
from lisse.solver.io.runfolder import RunFolder
from lisse.solver.studies.eis import COLUMNS, impedance_about
from lisse.units import OHM_CM2_PER_OHM_M2, SECONDS_PER_HOUR

SERIES_COLUMNS = ["time_h", "contact_fraction", "z_real_low_frequency_ohm_cm2",
                  "z_real_high_frequency_ohm_cm2", "interface_arc_ohm_cm2"]


class EvolutionSpectra:
    """Spectra of an InterfaceEvolution ``evo`` on ``model`` at ``params.impedance``'s
    evolution times; ``maybe()`` after every step, ``close()`` at the end."""

    def __init__(self, folder: RunFolder, evo, model):
        settings = model.params.impedance
        self.folder, self.evo, self.model = folder, evo, model
        # a resumed run takes the spectra of the times after its restart
        self.times = [] if settings is None else [t for t in settings.evolution_times
                                                  if t >= evo.time * (1 - 1e-12)]
        self.frequencies = np.array([] if settings is None else settings.frequencies)
        self.rows: list[list[float]] = []
        self.spectra: list[tuple[float, np.ndarray]] = []

    def maybe(self) -> None:
        """Take the spectrum if a requested time has been reached (once per step)."""
        reached = False
        while self.times and self.evo.time >= self.times[0] * (1 - 1e-12):
            self.times.pop(0)
            reached = True
        if reached:
            self.take()

    def take(self) -> None:
        evo = self.evo
        if evo.contact_fraction() <= 0:  # no contact, no spectrum (the run fails there)
            return
        evo._solve_current(0.0)  # the present contact and film into the interface state
        eis = impedance_about(self.model, None)
        z = np.array([eis.solve(f) for f in self.frequencies]) * OHM_CM2_PER_OHM_M2
        hours = evo.time / SECONDS_PER_HOUR
        rows = np.column_stack([self.frequencies, z.real, z.imag, np.abs(z),
                                np.degrees(np.angle(z))])
        self.folder.write_csv(f"impedance_{hours:.6g}h.csv", COLUMNS, rows)
        self.rows.append([hours, evo.contact_fraction(), z[0].real, z[-1].real,
                          z[0].real - z[-1].real])
        self.spectra.append((hours, z))

    def close(self, plots: bool, formats) -> dict:
        """Write the table and the figure; returns the summary entries."""
        if not self.spectra:
            return {}
        self.folder.write_csv("impedance_evolution.csv", SERIES_COLUMNS, np.array(self.rows))
        if plots and self.model.comm.rank == 0:
            impedance_plots.nyquist_series(self.folder.path("nyquist_evolution.png"),
                                           self.frequencies, self.spectra, formats)
        return {"impedance_times_h": [r[0] for r in self.rows],
                "impedance_interface_arc_ohm_cm2": [r[4] for r in self.rows]}
