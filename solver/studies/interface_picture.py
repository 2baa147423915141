"""The interface picture of a coupled evolution run at ``output.interface_picture_times_h``
(issue 12 item 5; docs/moving_interface.md "Outputs").

At each chosen time the profile of the interface (``solver.physics.li_profile``; in a 3D cell
the map of the interface plane, ``solver.physics.li_map``) is taken at
the end of the first time step reaching it (a time 0 at the start): its ``time_s`` is that
step's end, not the chosen time. The local current density of a profile is the one solved on
that profile's contact, i.e. at the start of the next step; for a profile taken at the end of
the run it is solved once more on the final contact at the last step's applied current (0
at rest or if no step ran; the last step's, solved at its start, if the final contact
carries no current). A step
undone by the engine's cut-back (``InterfaceEvolution.run``) drops the profiles taken after
the state it returns to, and their times are taken again. Times the run does not reach (it
failed, or an ``until`` condition ended a step early) are listed in summary.json
(``interface_picture_not_reached_h``); the ones drawn are ``interface_picture_times_s``.
The profiles are not in the checkpoint: a resumed run (``--resume``) draws only the times
from its restart on and lists the earlier ones as ``interface_picture_before_resume_h``.

Rank 0 writes ``interface_picture.csv`` (``solver.io.interface_plots``; 3D:
``solver.io.interface_maps``) and, with ``output.plots``, ``interface_picture.png`` (and the
vector formats)."""

from __future__ import annotations

import numpy as np

from lisse.solver.errors import SolverError
from lisse.solver.io import interface_maps, interface_plots
from lisse.solver.physics import li_map, li_profile
from lisse.solver.physics.gap_evolution import ContactLost
from lisse.units import SECONDS_PER_HOUR, UM_PER_M

NAME = "interface_picture"
REACHED = 1e-12  # relative: a time counts as reached within round-off


class InterfacePictures:
    """Collects the profiles of ``evo`` (a ``CoupledEvolution``) at ``output.
    interface_picture_times`` [s] while it runs and writes them (module docstring)."""

    def __init__(self, evo, output, resumed: bool = False):
        self.evo, self.output = evo, output
        self.solid = evo.params.geometry.dimension == "3d"  # maps of the plane (li_map)
        self.times = list(output.interface_picture_times)
        self.before_resume = []  # chosen times [s] passed before the restart (not drawn)
        while resumed and self.times and self.times[0] < evo.time * (1 - REACHED):
            self.before_resume.append(self.times.pop(0))
        self.taken: list[tuple[float, object]] = []  # (chosen time, profile or map)
        self.last_j, self.last_applied = None, None
        self.take()

    def take(self) -> None:
        """Profiles of the chosen times reached at ``evo.time`` (collective)."""
        reached = []
        while self.times and self.evo.time >= self.times[0] * (1 - REACHED):
            reached.append(self.times.pop(0))
        if reached:
            profile = (li_map.li_map if self.solid else li_profile.li_profile)(self.evo)
            self.taken += [(t, profile) for t in reached]

    def step(self, j: np.ndarray, applied: float) -> None:
        """After each engine step with its local current densities ``j`` [A/m²] (solved at
        the step's start) and applied current density ``applied`` [A/m²]: undo profiles of a
        cut-back, give the waiting profiles ``j``, take the times now reached (collective)."""
        now = self.evo.time
        while self.taken and self.taken[-1][1].time > now * (1 + REACHED):
            self.times.insert(0, self.taken.pop()[0])
        self._fill(j)
        self.last_j, self.last_applied = j, applied
        self.take()

    def _fill(self, j) -> None:
        fill = li_map.with_current if self.solid else li_profile.with_current
        self.taken = [(t, p if p.current_density is not None
                       else fill(p, self.evo, j)) for t, p in self.taken]

    def _end_current(self) -> np.ndarray:
        """j [A/m²] for the profiles still waiting at the end of the run: solved on the final
        contact at the last applied current (module docstring; collective)."""
        j = np.zeros(len(self.evo.x)) if self.last_j is None else self.last_j
        if self.last_applied is not None and any(
                p.current_density is None for _, p in self.taken):
            try:
                j = self.evo.local_current(self.last_applied)
            except (ContactLost, SolverError):  # no contact left to carry it
                pass
        return j

    def profiles(self) -> list:
        """At the end of the run: the profiles (3D: maps) taken, each once, with their
        current densities (collective)."""
        self._fill(self._end_current())
        return list({id(p): p for _, p in self.taken}.values())

    def close(self, folder) -> dict:
        """Write the table and the figure; returns the summary entries."""
        profiles = self.profiles()
        if self.solid:
            self._write_maps(folder, profiles)
        else:
            axisymmetric = self.evo.params.geometry.dimension == "axisymmetric"
            table = interface_plots.rows(profiles)
            folder.write_csv(f"{NAME}.csv", interface_plots.header(axisymmetric), table)
            if self.output.plots and self.evo.comm.rank == 0 and profiles:
                interface_plots.picture(folder.path(f"{NAME}.png"), table, axisymmetric,
                                        self.output.figure_formats)
        return {"interface_picture_times_s": [p.time for p in profiles],
                "interface_picture_not_reached_h": [t / SECONDS_PER_HOUR for t in self.times],
                "interface_picture_before_resume_h": [
                    t / SECONDS_PER_HOUR for t in self.before_resume]}

    def _write_maps(self, folder, maps) -> None:
        """The 3D table and figure (``solver.io.interface_maps``)."""
        table = interface_maps.rows(maps)
        folder.write_csv(f"{NAME}.csv", interface_maps.header(), table)
        if self.output.plots and self.evo.comm.rank == 0 and maps:
            settings = self.evo.settings
            interface_maps.picture(folder.path(f"{NAME}.png"), table, maps[0].triangles,
                                   settings.contact_tolerance * UM_PER_M,
                                   settings.cavity is not None, self.output.figure_formats)
