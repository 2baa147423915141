"""When the interface picture takes its profiles (``solver.studies.interface_picture``),
without FEM: at the first step reaching each chosen time, with the current density of the
next step (at the end: solved once more on the final contact), again after a cut-back undid
the step that took them; times the run does not reach are listed."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from lisse.solver.physics import li_profile
from lisse.solver.physics.li_profile import InterfaceProfile
from lisse.solver.studies import interface_picture

PLANE = SimpleNamespace(geometry=SimpleNamespace(dimension="plane"))  # a 2D cell's params


def _engine(time: float) -> SimpleNamespace:
    """A fake 2D engine at ``time`` [s]."""
    return SimpleNamespace(time=time, x=np.zeros((1, 2)), params=PLANE)


@pytest.fixture
def pictures(monkeypatch):
    """InterfacePictures at 0, 2 and 10 s of a fake engine (profiles record the time)."""

    def profile(evo):
        x = np.zeros(1)
        return InterfaceProfile(evo.time, x, x, x, x > 0, x)

    monkeypatch.setattr(li_profile, "li_profile", profile)
    monkeypatch.setattr(li_profile, "with_current",
                        lambda p, evo, j: replace(p, current_density=np.asarray(j)))
    evo = _engine(0.0)
    output = SimpleNamespace(interface_picture_times=(0.0, 2.0, 10.0))
    return evo, interface_picture.InterfacePictures(evo, output)


def _step(evo, pictures, end: float, j: float) -> None:
    evo.time = end
    pictures.step([j], 1.0)


def test_profiles_take_the_next_steps_current(pictures):
    evo, pic = pictures
    _step(evo, pic, 1.0, 5.0)  # solved on the t = 0 contact
    _step(evo, pic, 2.5, 6.0)  # reaches 2 s
    _step(evo, pic, 4.0, 7.0)  # solved on the 2.5 s contact
    pic._fill(pic.last_j)
    assert [(t, p.time, p.current_density[0]) for t, p in pic.taken] == [
        (0.0, 0.0, 5.0), (2.0, 2.5, 7.0)]
    assert pic.times == [10.0]  # not reached: summary's interface_picture_not_reached_h


def test_a_cut_back_retakes_the_profile(pictures):
    evo, pic = pictures
    _step(evo, pic, 1.0, 5.0)
    _step(evo, pic, 3.0, 6.0)  # takes 2 s at 3 s; then the next solve fails ...
    _step(evo, pic, 1.5, 6.5)  # ... and the engine redoes the step from 1 s, halved
    assert [t for t, _ in pic.taken] == [0.0] and pic.times == [2.0, 10.0]
    _step(evo, pic, 2.0, 7.0)
    _step(evo, pic, 10.0, 8.0)  # reaches 10 s, the end: the last step's current
    pic._fill(pic.last_j)
    assert [(t, p.time, p.current_density[0]) for t, p in pic.taken] == [
        (0.0, 0.0, 5.0), (2.0, 2.0, 8.0), (10.0, 10.0, 8.0)]
    assert pic.times == []


def test_the_end_profile_gets_the_current_of_its_own_contact(pictures):
    """At the end of the run the waiting profile's current is solved once more on the final
    contact at the last applied current (not the last step's, solved at its start); with
    no contact left to carry it, the last step's."""
    from lisse.solver.physics.gap_evolution import ContactLost

    evo, pic = pictures
    _step(evo, pic, 1.0, 5.0)
    _step(evo, pic, 2.5, 6.0)  # takes 2 s at 2.5 s: waits for the next step's current
    evo.local_current = lambda applied: np.array([9.0 * applied])
    assert pic._end_current()[0] == 9.0

    def lost(applied):
        raise ContactLost("no contact")

    evo.local_current = lost
    assert pic._end_current()[0] == 6.0


def test_a_resumed_run_does_not_draw_times_before_its_restart(monkeypatch):
    """The profiles are not checkpointed: after ``--resume`` at 3 s the chosen 0 and 2 s
    are listed as before the restart, not drawn from the restart state; 3 s (the restart
    state itself) and 10 s are taken."""
    monkeypatch.setattr(li_profile, "li_profile",
                        lambda evo: InterfaceProfile(evo.time, *[np.zeros(1)] * 3,
                                                     np.zeros(1) > 0, np.zeros(1)))
    evo = _engine(3.0)
    output = SimpleNamespace(interface_picture_times=(0.0, 2.0, 3.0, 10.0))
    pic = interface_picture.InterfacePictures(evo, output, resumed=True)
    assert pic.before_resume == [0.0, 2.0]
    assert [(t, p.time) for t, p in pic.taken] == [(3.0, 3.0)] and pic.times == [10.0]
