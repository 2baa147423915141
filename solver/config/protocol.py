"""Human-readable protocol lines (``evolution.protocol``), in the spirit of PyBaMM's
``Experiment``, parsed into the galvanostatic steps of ``evolution.steps``.

One line is one step, a current staircase or a repeated block (case and extra spaces do
not matter; units are required)::

    Strip at 0.2 mA/cm2 for 1 h
    Plate at 100 uA/cm2 for 0.5 mAh/cm2
    Strip at 0.5 mA/cm2 until 50 mV                    (at most evolution.until_max_h)
    Strip at 0.5 mA/cm2 for 2 mAh/cm2 or until 1 V
    Strip at 1 mA/cm2 for 30 min or until contact fraction 0.5
    Rest for 10 min
    Staircase from 0.05 mA/cm2 by 0.05 mA/cm2 to 2 mA/cm2, 0.5 mAh/cm2 per step, rest 5 min
    Staircase from 0.1 mA/cm2 by 0.1 mA/cm2 to 1 mA/cm2, 1 h per step, plate back, rest 1 min
    Repeat 10 times: [Strip at 0.2 mA/cm2 for 1 h, Rest for 10 min, Plate at 0.2 mA/cm2 for 1 h]

A repeated block may also be a YAML mapping ``{"Repeat 10 times": [line, line, ...]}``
(what an unquoted ``- Repeat 10 times: [...]`` list item is). Stripping (positive current)
removes Li from the working electrode; plating deposits it; a rest has zero current.

Units: current density mA/cm2 (also mA/cm², mA cm-2) or uA/cm2 (µA); time s, min, h (and
their long forms); capacity mAh/cm2 or uAh/cm2; voltage V or mV. An ``until`` condition ends
the step early: the cell voltage reaching the value in magnitude, or the contact fraction
falling to it. A step with only an ``until`` runs at most ``until_max_h``.

``parse_protocol`` returns the unrolled list of step dictionaries (the fields of
``evolution.StepSpec``); an error is one line naming the line and the cause
(``ProtocolError``; the schema reports it as ``evolution.protocol.N: ...``).
"""

from __future__ import annotations

import math
import re
from typing import Any

from lisse.solver.config.messages import did_you_mean
from lisse.units import MV_PER_V, SECONDS_PER_HOUR, SECONDS_PER_MINUTE, UA_PER_MA

VERBS = ("Strip", "Plate", "Rest", "Staircase", "Repeat")
MAX_STEPS = 10_000  # unrolled steps of a protocol (as for a structured staircase)

_NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)"
# unit → factor to the schema's unit (mA/cm², h, mAh/cm², V)
_CURRENT = {"ma/cm2": 1.0, "ma/cm²": 1.0, "ma cm-2": 1.0, "ma/cm^2": 1.0,
            "ua/cm2": 1 / UA_PER_MA, "µa/cm2": 1 / UA_PER_MA, "μa/cm2": 1 / UA_PER_MA,
            "ua/cm²": 1 / UA_PER_MA, "µa/cm²": 1 / UA_PER_MA, "ua cm-2": 1 / UA_PER_MA}
_TIME = {"s": 1 / SECONDS_PER_HOUR, "sec": 1 / SECONDS_PER_HOUR,
         "second": 1 / SECONDS_PER_HOUR, "seconds": 1 / SECONDS_PER_HOUR,
         "min": SECONDS_PER_MINUTE / SECONDS_PER_HOUR,
         "mins": SECONDS_PER_MINUTE / SECONDS_PER_HOUR,
         "minute": SECONDS_PER_MINUTE / SECONDS_PER_HOUR,
         "minutes": SECONDS_PER_MINUTE / SECONDS_PER_HOUR,
         "h": 1.0, "hr": 1.0, "hrs": 1.0, "hour": 1.0, "hours": 1.0}
_CAPACITY = {"mah/cm2": 1.0, "mah/cm²": 1.0, "mah cm-2": 1.0, "mah/cm^2": 1.0,
             "uah/cm2": 1 / UA_PER_MA, "µah/cm2": 1 / UA_PER_MA, "μah/cm2": 1 / UA_PER_MA,
             "uah/cm²": 1 / UA_PER_MA, "µah/cm²": 1 / UA_PER_MA}
_VOLTAGE = {"v": 1.0, "mv": 1 / MV_PER_V}
_UNIT = r"([^\s,\]]+(?: cm-2)?)"


class ProtocolError(ValueError):
    """A protocol line that cannot be read: ``where`` is its index path ("2", "3.1")."""

    def __init__(self, where: str, message: str):
        super().__init__(message)
        self.where, self.message = where, message


_SHOWN = ("mA/cm2", "uA/cm2", "s", "min", "h", "mAh/cm2", "uAh/cm2", "V", "mV")


def _quantity(number: str, unit: str, table: dict[str, float], what: str, line: str,
              where: str) -> float:
    factor = table.get(unit.lower())
    if factor is None:
        shown = [u for u in _SHOWN if u.lower() in table]
        hint = did_you_mean(unit, shown)
        raise ProtocolError(where, f"{line!r}: unknown {what} unit {unit!r}"
                            + (f"; {hint}" if hint else "") + f" (units: {', '.join(shown)})")
    return float(number) * factor


def _positive(value: float, what: str, line: str, where: str) -> float:
    if not math.isfinite(value):
        raise ProtocolError(where, f"{line!r}: the {what} must be finite (got {value:g})")
    if not value > 0:
        raise ProtocolError(where, f"{line!r}: the {what} must be > 0 (got {value:g})")
    return value


def _length(text: str, line: str, where: str) -> dict[str, float]:
    """``<n> <time unit>`` or ``<n> <capacity unit>`` → duration_h or capacity_mAh_cm2."""
    m = re.fullmatch(_NUMBER + r"\s*" + _UNIT, text.strip(), re.IGNORECASE)
    if m is None:
        raise ProtocolError(where, f"{line!r}: expected a time or a capacity after 'for' "
                            f"(e.g. '1 h', '0.5 mAh/cm2'), got {text.strip()!r}")
    number, unit = m.groups()
    if unit.lower() in _CAPACITY:
        value = _quantity(number, unit, _CAPACITY, "capacity", line, where)
        return {"capacity_mAh_cm2": _positive(value, "capacity", line, where)}
    value = _quantity(number, unit, _TIME | _CAPACITY, "time or capacity", line, where)
    return {"duration_h": _positive(value, "duration", line, where)}


def _until(text: str, line: str, where: str) -> dict[str, float]:
    """``until`` conditions joined by 'or': a voltage, a contact fraction or a capacity."""
    out: dict[str, float] = {}
    for part in re.split(r"\s+or\s+", text.strip(), flags=re.IGNORECASE):
        part = part.strip()
        m = re.fullmatch(r"contact(?:\s+fraction)?(?:\s+(?:below|<=?|of))?\s*" + _NUMBER,
                         part, re.IGNORECASE)
        if m is not None:
            value = float(m.group(1))
            if not 0 < value < 1:  # (nan fails too)
                raise ProtocolError(where, f"{line!r}: the contact fraction of 'until' must "
                                    f"lie in (0, 1) (got {value:g})")
            out["until_contact_fraction"] = value
            continue
        m = re.fullmatch(_NUMBER + r"\s*" + _UNIT, part, re.IGNORECASE)
        if m is None:
            raise ProtocolError(where, f"{line!r}: cannot read the condition {part!r} "
                                "(e.g. 'until 50 mV', 'until 1 V', 'until contact fraction "
                                "0.5', 'until 1 mAh/cm2')")
        number, unit = m.groups()
        if unit.lower() in _CAPACITY:
            out.update(_length(part, line, where))
            continue
        value = _quantity(number, unit, _VOLTAGE | _CAPACITY, "voltage or capacity", line,
                          where)
        out["until_voltage_V"] = _positive(value, "voltage of 'until'", line, where)
    return out


_CURRENT_STEP = re.compile(r"(strip|plate)\s+at\s+" + _NUMBER + r"\s*" + _UNIT
                           + r"(?:\s+for\s+(.+?))?(?:\s*,?\s+(?:or\s+)?until\s+(.+))?",
                           re.IGNORECASE)
_REST = re.compile(r"rest\s+for\s+(.+)", re.IGNORECASE)
_STAIRCASE = re.compile(r"staircase\s+from\s+" + _NUMBER + r"\s*" + _UNIT + r"\s+by\s+"
                        + _NUMBER + r"\s*" + _UNIT + r"\s+to\s+" + _NUMBER + r"\s*" + _UNIT
                        + r"\s*,\s*(.+?)\s+per\s+step((?:\s*,\s*[^,]+)*)",
                        re.IGNORECASE)
_REPEAT = re.compile(r"repeat\s+(\d+)\s+times?\s*(?::\s*\[(.*)\]\s*)?", re.IGNORECASE)


def _current(number: str, unit: str, line: str, where: str) -> float:
    return _positive(_quantity(number, unit, _CURRENT, "current density", line, where),
                     "current density", line, where)


def staircase_currents(start: float, step: float, stop: float) -> list[float]:
    """start, start + step, ... up to stop (inclusive to round-off)."""
    out, k = [], 0
    while start + k * step <= stop * (1 + 1e-12):
        out.append(start + k * step)
        k += 1
    return out


def _staircase_options(text: str, line: str, where: str) -> tuple[dict | None, bool]:
    """The options after "per step": "rest <time>" (after every step) and "plate back"
    (each stripping step followed by plating the same charge at the same current, as in
    symmetric-cell CCD cycling)."""
    rest, back = None, False
    for option in (o.strip() for o in text.split(",") if o.strip()):
        m = re.fullmatch(r"rest(?:\s+for)?\s+(.+)", option, re.IGNORECASE)
        if m is not None:
            rest = _length(m.group(1), line, where)
            if "duration_h" not in rest:
                raise ProtocolError(where, f"{line!r}: a rest passes no charge: give a time")
        elif re.fullmatch(r"plate\s+back", option, re.IGNORECASE):
            back = True
        else:
            raise ProtocolError(where, f"{line!r}: unknown staircase option {option!r} "
                                "(options: 'rest <time>', 'plate back')")
    return rest, back


def _split_block(text: str) -> list[str]:
    """The lines of ``[a, b, c]``: split at the commas (or semicolons) that start a verb."""
    parts = re.split(r"\s*[;,]\s*(?=(?:" + "|".join(VERBS) + r")\b)", text.strip(),
                     flags=re.IGNORECASE)
    return [p for p in parts if p.strip()]


def _parse_line(line: str, where: str) -> list[dict]:
    text = " ".join(line.split()).rstrip(".")
    if not text:
        raise ProtocolError(where, "empty protocol line")
    verb = text.split()[0].rstrip(":")
    if verb.lower() not in {v.lower() for v in VERBS}:
        hint = did_you_mean(verb, VERBS)
        raise ProtocolError(where, f"{line!r}: unknown verb {verb!r}"
                            + (f"; {hint}" if hint else "")
                            + f" (verbs: {', '.join(VERBS)})")
    verb = verb.lower()
    if verb in ("strip", "plate"):
        m = _CURRENT_STEP.fullmatch(text)
        if m is None:
            raise ProtocolError(where, f"{line!r}: expected '{verb.title()} at <current "
                                "density> for <time or capacity>' and/or 'until "
                                "<condition>' (e.g. 'Strip at 0.2 mA/cm2 for 1 h')")
        sign = 1.0 if verb == "strip" else -1.0
        step: dict[str, Any] = {
            "current_density_mA_cm2": sign * _current(m.group(2), m.group(3), line, where),
            "label": text}
        if m.group(4):
            step |= _length(m.group(4), line, where)
        if m.group(5):
            until = _until(m.group(5), line, where)
            if "capacity_mAh_cm2" in until and ("capacity_mAh_cm2" in step
                                                or "duration_h" in step):
                raise ProtocolError(where, f"{line!r}: give the step's length once "
                                    "('for' or 'until <capacity>')")
            step |= until
        if not {"duration_h", "capacity_mAh_cm2", "until_voltage_V",
                "until_contact_fraction"} & step.keys():
            raise ProtocolError(where, f"{line!r}: give the step's length ('for 1 h', "
                                "'for 0.5 mAh/cm2') or an 'until' condition")
        return [step]
    if verb == "rest":
        m = _REST.fullmatch(text)
        if m is None:
            raise ProtocolError(where, f"{line!r}: expected 'Rest for <time>' "
                                "(e.g. 'Rest for 10 min')")
        length = _length(m.group(1), line, where)
        if "duration_h" not in length:
            raise ProtocolError(where, f"{line!r}: a rest passes no charge: give a time")
        return [{"current_density_mA_cm2": 0.0, "label": text, **length}]
    if verb == "staircase":
        m = _STAIRCASE.fullmatch(text)
        if m is None:
            raise ProtocolError(where, f"{line!r}: expected 'Staircase from <j0> by <dj> to "
                                "<j1>, <time or capacity> per step[, rest <time>]' (e.g. "
                                "'Staircase from 0.05 mA/cm2 by 0.05 mA/cm2 to 2 mA/cm2, "
                                "0.5 mAh/cm2 per step, rest 5 min')")
        g = m.groups()
        start, step_, stop = (_current(g[k], g[k + 1], line, where) for k in (0, 2, 4))
        if stop < start:
            raise ProtocolError(where, f"{line!r}: the staircase ends ({stop:g} mA/cm²) "
                                f"below its start ({start:g} mA/cm²)")
        if (stop - start) / step_ + 1 > MAX_STEPS:
            raise ProtocolError(where, f"{line!r}: more than {MAX_STEPS} steps: raise the "
                                "step height")
        length = _length(g[6], line, where)
        rest, back = _staircase_options(g[7], line, where)
        steps = []
        for j in staircase_currents(start, step_, stop):
            legs = [(j, f"staircase {j:.6g} mA/cm²")]
            if back:
                legs.append((-j, f"plate back {j:.6g} mA/cm²"))
            for current, label in legs:
                steps.append({"current_density_mA_cm2": current, "label": label, **length})
                if rest is not None:
                    steps.append({"current_density_mA_cm2": 0.0, "label": f"rest after {label}",
                                  **rest})
        return steps
    m = _REPEAT.fullmatch(text)
    if m is None or m.group(2) is None:
        raise ProtocolError(where, f"{line!r}: expected 'Repeat <n> times: [<line>, "
                            "<line>, ...]' (or a mapping {'Repeat <n> times': [lines]})")
    return _repeat(int(m.group(1)), _split_block(m.group(2)), line, where)


def _repeat(times: int, block: list, line: str, where: str) -> list[dict]:
    if times < 1:
        raise ProtocolError(where, f"{line!r}: repeat at least once (got {times})")
    if not block:
        raise ProtocolError(where, f"{line!r}: nothing to repeat")
    once = _parse_items(block, f"{where}.")
    if times * len(once) > MAX_STEPS:
        raise ProtocolError(where, f"{line!r}: {times} × {len(once)} steps exceed the limit "
                            f"of {MAX_STEPS}")
    return [dict(s, label=f"{s['label']} (cycle {k + 1})") for k in range(times)
            for s in once]


def _parse_items(items: list, prefix: str = "") -> list[dict]:
    steps: list[dict] = []
    for k, item in enumerate(items):
        where = f"{prefix}{k}"
        if isinstance(item, dict):
            if len(item) != 1:
                raise ProtocolError(where, "a repeated block is one mapping "
                                    "{'Repeat <n> times': [lines]}")
            (head, block), = item.items()
            m = _REPEAT.fullmatch(" ".join(str(head).split()))
            if m is None or m.group(2) is not None:
                hint = did_you_mean(str(head).split()[0] if str(head).split() else "", VERBS)
                raise ProtocolError(where, f"{head!r}: expected 'Repeat <n> times' as the key "
                                    "of a repeated block" + (f"; {hint}" if hint else ""))
            if not isinstance(block, list):
                raise ProtocolError(where, f"{head!r}: expected a list of protocol lines")
            steps += _repeat(int(m.group(1)), block, str(head), where)
        elif isinstance(item, str):
            steps += [{"where": where} | step for step in _parse_line(item, where)]
        else:
            raise ProtocolError(where, f"expected a protocol line (text), got {item!r}")
        if len(steps) > MAX_STEPS:
            raise ProtocolError(where, f"the protocol unrolls to more than {MAX_STEPS} steps")
    return steps


def parse_protocol(lines: list) -> list[dict]:
    """The unrolled steps of protocol lines: dictionaries with ``current_density_mA_cm2``,
    ``label`` and ``duration_h`` or ``capacity_mAh_cm2`` and/or ``until_voltage_V``,
    ``until_contact_fraction`` (the fields of ``evolution.StepSpec``), and ``where``, the
    index path of the line it came from (for messages)."""
    return _parse_items(list(lines))
