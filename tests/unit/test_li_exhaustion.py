"""A coupled run that runs out of Li (solver.physics.li_exhaustion; docs/moving_interface.md
"Running out of Li"): the charge the Li holds, the protocol's peak net stripping, the
up-front refusal (one line naming the field) and the time-step-collapse backstop. No mesh,
no solve."""

from __future__ import annotations

import copy
import dataclasses
import math

import pytest

from lisse.solver.errors import UserError
from lisse.solver.physics.evolution_settings import ProtocolStep, Record
from lisse.solver.physics.li_exhaustion import (
    COLLAPSE_FRACTION,
    COLLAPSE_STEPS,
    check_capacity,
    collapsed,
    film_charge,
    holding,
    peak_stripping,
)
from lisse.units import A_M2_PER_MA_CM2, C_M2_PER_MAH_CM2, FARADAY
from tests.helpers import TINY, run_lisse

MAH = C_M2_PER_MAH_CM2  # C/m² per mAh/cm²


def params(steps=None, protocol=None, model="coupled", ccd=None, film=None, thickness_um=10):
    """The TINY case (its void: contact fraction 0.8) with ``thickness_um`` of Li on
    Li6PS5Cl, ``film`` its ``interphase:`` section (None: none)."""
    from lisse.solver.config.schema import resolve, validate_case

    c = copy.deepcopy(TINY)
    c["geometry"]["lithium_thickness_um"] = thickness_um
    if film is not None:
        c |= {"materials": {"electrolyte": "Li6PS5Cl"}, "interphase": film}
    c["evolution"] = {"interface_model": model, "stack_pressure_MPa": 2.0,
                      "supply": {"creep": True, "vacancy": False}}
    if protocol is not None:
        c["evolution"]["protocol"] = protocol
    else:
        c["evolution"]["steps"] = steps or [{"current_density_mA_cm2": 1.0,
                                             "capacity_mAh_cm2": 0.1}]
    if ccd is not None:
        c["evolution"]["ccd"] = ccd
    return resolve(validate_case(c))


def test_holding_of_a_10_um_layer():
    """10 µm of Li hold t F/Ω = 2.062 mAh/cm² at Ω = 1.300e-5 m³/mol (1 mAh/cm² is 4.85 µm
    of Li, the number cells are sized by); a quarter disk of radius R over the width w holds
    (π R²/4)/w of Li per area."""
    p = params()
    omega = p.electrode.molar_volume
    assert omega == pytest.approx(1.3e-5, rel=2e-3)
    assert holding(p.geometry, omega) / MAH == pytest.approx(2.062, abs=2e-3)
    disk = dataclasses.replace(p.geometry, lithium_shape="quarter_disk",
                               lithium_thickness=60e-6)
    assert holding(disk, omega) == pytest.approx(math.pi * 60e-6 ** 2 / 4 / 40e-6 * FARADAY
                                                 / omega, rel=1e-12)


def _step(ma_cm2: float, mah_cm2: float, until: bool = False) -> ProtocolStep:
    j = ma_cm2 * A_M2_PER_MA_CM2
    return ProtocolStep(j, abs(mah_cm2 * MAH / j), until_voltage=1.0 if until else None)


@pytest.mark.parametrize(("steps", "peak"), [
    ([_step(1, 1), _step(-1, 0.5)] * 4, 2.5),  # net 0.5 per cycle: peak at the 4th strip
    ([_step(1, 2), _step(-1, 2)] * 10, 2.0),  # symmetric cycling: each strip from the start
    ([_step(-1, 1), _step(1, 2.5)], 1.5),  # plated first: the Li grew by 1 mAh/cm²
    ([_step(1, 3, until=True), _step(1, 1)], 1.0),  # an until strip may end at once: 0
    ([_step(-1, 1, until=True), _step(1, 2.5)], 1.5),  # an until plate may run whole
    ([_step(-1, 1)], 0.0),
])
def test_peak_net_stripping(steps, peak):
    assert peak_stripping(steps) == (pytest.approx(peak * MAH, rel=1e-12), 0.0)


def test_refusal_names_the_field():
    """A protocol whose peak net stripping exceeds what the 10 µm Li holds is refused with
    one line naming the field; the same charge cycled back, the reduced model and a
    protocol just inside are not."""
    over = [{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 2.5}]
    with pytest.raises(UserError) as exc:
        check_capacity(params(over), "evolution")
    assert str(exc.value).startswith("evolution.steps: the protocol strips (net, at its peak) "
                                     "2.5 mAh/cm² but the 10 µm Li electrode holds 2.062 "
                                     "mAh/cm²")
    assert "\n" not in str(exc.value)
    lines = ["Repeat 4 times: [Strip at 1 mA/cm2 for 1 mAh/cm2, Plate at 1 mA/cm2 for "
             "0.5 mAh/cm2]"]
    with pytest.raises(UserError, match=r"^evolution\.protocol: .* 2\.5 mAh/cm²"):
        check_capacity(params(protocol=lines), "evolution")
    check_capacity(params(protocol=[lines[0].replace("4 times", "3 times")]), "evolution")
    check_capacity(params([{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 2.06}]),
                   "evolution")
    with pytest.raises(UserError, match=r"^evolution\.ccd\.capacity_mAh_cm2: each CCD trial "
                                        r"strips 2\.5 mAh/cm²"):
        check_capacity(params(ccd={"capacity_mAh_cm2": 2.5}), "ccd")
    check_capacity(params(over, ccd={"capacity_mAh_cm2": 1.0}), "ccd")  # trials, not steps
    with pytest.raises(UserError, match=r"^evolution\.steps: "):  # staircase CCD: the steps
        check_capacity(params(over, ccd={"method": "staircase"}), "ccd")
    from lisse.solver.studies.model import check_supported

    check_supported(params(over, model="reduced"), "evolution")  # no Li body: not checked
    with pytest.raises(UserError, match=r"^evolution\.steps: "):
        check_supported(params(over), "evolution")


FILM = {"rate_constant_nm2_s": 5.0, "initial_thickness_nm": 2.0}  # fast: 120 nm in 0.41 h


def test_film_charge_closed_form():
    """Q_f(t) = F c_Li φ0 (√(L0² + 2 k_p (a + t)) − √(L0² + 2 k_p a)) with φ0 = 0.8 (TINY's
    8 µm void over 40 µm) and c_Li of the Li6PS5Cl library film; with an age of 1 h it
    starts from the aged film; 0 without a film."""
    p = params(film=FILM)
    c_li, t = p.interphase.li_per_volume, 1476.0
    expected = FARADAY * c_li * 0.8 * (math.sqrt(4 + 10 * t) - 2) * 1e-9
    assert film_charge(p)(t) == pytest.approx(expected, rel=1e-12)
    aged = film_charge(params(film=FILM | {"age_h": 1.0}))(t)
    assert aged == pytest.approx(FARADAY * c_li * 0.8 * (math.sqrt(4 + 10 * (3600 + t))
                                                         - math.sqrt(4 + 36000)) * 1e-9,
                                 rel=1e-12)
    assert film_charge(params())(t) == 0.0


def test_peak_with_the_film():
    """The film's Li joins the peak: a strip, a rest and a plate each grow the film (the
    peak after the rest, 1 mAh/cm² + Q_f(2 h)); an until step adds no growth and the steps
    after it grow as if it ran whole (Q_f(3 h) − Q_f(2 h) for the last hour)."""
    def film(t):
        return 1e-3 * MAH * math.sqrt(t / 3600)  # any increasing, concave Q_f

    peak, bound = peak_stripping([_step(1, 1), ProtocolStep(0.0, 3600.0), _step(-1, 0.5)], film)
    assert bound == pytest.approx(film(7200), rel=1e-12)
    assert peak == pytest.approx(MAH + film(7200), rel=1e-12)
    peak, bound = peak_stripping([_step(1, 1, until=True), _step(1, 1), _step(1, 1)], film)
    assert bound == pytest.approx(film(10800) - film(3600), rel=1e-12)
    assert peak == pytest.approx(2 * MAH + bound, rel=1e-12)


def test_film_li_refused_up_front(tmp_path):
    """3 µm of Li (0.6185 mAh/cm²) stripped by 0.615 mAh/cm² at 1 mA/cm²: it fits without a
    film, but the fast film binds 0.01291 mAh/cm² more (L 2 → 148.8 nm in 2214 s on 80 % of
    the interface) and ``lisse run`` refuses it before any solve, with one line naming the
    field and exit code 2; a CCD trial of 0.615 mAh/cm² (at most 100 mA/cm²: 22 s, 0.00114
    mAh/cm² of film) still fits."""
    import yaml

    strip = [{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 0.615}]
    check_capacity(params(strip, thickness_um=3), "evolution")
    with pytest.raises(UserError, match=r"^evolution\.steps: the protocol strips \(net, at its "
                                        r"peak\) 0\.6279 mAh/cm² \(0\.01291 of it bound in "
                                        r"the interphase film\) but the 3 µm Li"):
        check_capacity(params(strip, film=FILM, thickness_um=3), "evolution")
    check_capacity(params(strip, film=FILM, thickness_um=3, ccd={"capacity_mAh_cm2": 0.615}),
                   "ccd")
    c = copy.deepcopy(TINY)
    c["geometry"]["lithium_thickness_um"] = 3
    c |= {"materials": {"electrolyte": "Li6PS5Cl"}, "interphase": FILM}
    c["evolution"] = {"interface_model": "coupled", "stack_pressure_MPa": 2.0,
                      "supply": {"creep": True, "vacancy": False}, "steps": strip}
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(c))
    proc = run_lisse(["run", str(tmp_path / "case.yaml"), "-o", str(tmp_path / "out")])
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "evolution.steps: " in lines[0] and "interphase film" in lines[0]
    assert not (tmp_path / "out").exists()


def _records(dts: list[float], current: float = A_M2_PER_MA_CM2) -> list[Record]:
    times = [0.0]
    for dt in dts:
        times.append(times[-1] + dt)
    return [Record(t, current, 0.1, 1.0, 0.0, 0.0, 1.0, current, 0.0, 0.0, 0.0)
            for t in times]


def test_time_step_collapse():
    """COLLAPSE_STEPS steps each advancing the time by less than 1e-9 of t end the run; one
    step fewer, one step above the floor, or a new protocol step among them do not; nor do
    steps of 1 µs under current at t = 10 s (a slow but progressing run: the Li creep at
    7 MPa, which the first, depth-based version of the check stopped)."""
    t = 1.0e4
    small = [0.5 * COLLAPSE_FRACTION * t] * COLLAPSE_STEPS
    failure = collapsed(_records([t, *small]), 0)
    assert failure is not None and failure.criterion == "time_step_collapse"
    assert not failure.interface and failure.message.startswith("time step collapsed: 20 steps")
    assert collapsed(_records([t, *small[1:]]), 0) is None
    assert collapsed(_records([t, *small[1:], 2 * COLLAPSE_FRACTION * t]), 0) is None
    assert collapsed(_records([t, *small]), 2) is None  # a new protocol step
    assert collapsed(_records([10.0, *[1e-6] * (3 * COLLAPSE_STEPS)]), 0) is None
