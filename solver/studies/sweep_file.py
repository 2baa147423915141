"""Sweep files: expansion of a base case over grid, zip and random axes into validated
cases with stable ids (running: ``lisse.solver.studies.sweep``; the table:
``lisse.solver.io.sweep_table``).
validated before any runs, gets a stable id from its resolved config and its own results
folder, and the sweep table is rebuilt from those folders.

Sweep file (paths are dotted config paths, the unit is the field's: ``temperature_C``)::

    base: ../demo.yaml                 # the case to vary, relative to this file
    name: current-radius               # default: the file stem
    output: results/sweeps/current     # default: results/sweeps/<name>
    set: {output.fields: false}        # fixed overrides of every case
    grid:                              # product of the axes; the first varies slowest
      protocol.current_density_mA_cm2: [0.5, 1, 2]
      temperature_C: {start: 0, stop: 60, num: 3}      # or {start, stop, step}
    zip:                               # lists of one length, varied together (one axis)
      geometry.voids.0.radius_um: [5, 8]
      geometry.voids.0.height_um: [1, 2]
    random:                            # one axis of seeded random samples
      samples: 4
      seed: 1
      values: {interface.exchange_current_density_mA_cm2: {loguniform: [1, 10]}}

The cases are the product of all axes (grid keys, then the zip block, then the random
block). Values are plain numbers or strings with the field's unit (``"25 C"``; ``"300 K"``
for ``temperature_C`` is rejected). Folder layout of a sweep ``RESULTS``::

    RESULTS/sweep.json         the expansion: index, id and varied values of every case
    RESULTS/sweep.csv, .h5     one row per case: values, status, reason, wall time, metrics
    RESULTS/cases/<id>/        a run folder (summary.json ...) or a failure (failure.json)
    RESULTS/logs/<id>.log      output of local pool workers

Case folders are written atomically (``solver.io.runfolder.RunFolder``), so killing a sweep loses
at most the cases in flight; the table is a view of the folders.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lisse.solver.config.messages import did_you_mean
from lisse.solver.config.schema import (
    Case,
    apply_overrides,
    load_case,
    resolved_dict,
    validate_case,
)
from lisse.solver.config.yaml_loader import load_mapping
from lisse.solver.errors import ConfigError

SWEEP_KEYS = ("base", "name", "output", "set", "grid", "zip", "random")
RANDOM_KEYS = ("samples", "seed", "values")
MAX_CASES = 100_000  # a sweep (and each of its axes) is refused above this, before expansion
DISTRIBUTIONS = ("uniform", "loguniform", "choice")
# unit suffix of a field name -> spellings accepted after a number ("0.5 mA/cm2")
UNITS = {
    "mA_cm2": ("mA/cm2", "mA/cm²", "mA cm-2"),
    "ohm_cm2": ("ohm cm2", "Ω cm²", "ohm*cm2"),
    "S_cm": ("S/cm",),
    "um": ("um", "µm", "μm"),
    "MPa": ("MPa",),
    "GPa": ("GPa",),
    "C": ("C", "°C", "degC"),
    "V": ("V",),
    "s": ("s",),
    "h": ("h",),
}
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S.*?)\s*$")


@dataclass(frozen=True)
class SweepCase:
    index: int
    case_id: str  # first 12 hex digits of sha256 of the resolved config (without name/output)
    values: dict[str, Any]  # varied path -> value
    case: Case  # validated; name <sweep>-<id>, output.directory RESULTS/cases/<id>


@dataclass(frozen=True)
class Sweep:
    name: str
    source: Path  # the sweep file
    output: Path  # RESULTS
    parameters: list[str]  # varied paths, in column order
    cases: list[SweepCase]

    def case_dir(self, case: SweepCase) -> Path:
        return self.output / "cases" / case.case_id


# --- expansion ------------------------------------------------------------------------------


def load_sweep(path: str | os.PathLike, output: str | os.PathLike | None = None) -> Sweep:
    """Read, expand and validate a sweep file. Raises a one-line ConfigError naming the file
    and the field for unknown keys, bad values or units, empty value lists and invalid cases.
    """
    path = Path(path)
    data = _read_mapping(path)
    for key in data:
        if key not in SWEEP_KEYS:
            hint = did_you_mean(key, SWEEP_KEYS)
            raise ConfigError(
                f"{path}: {key}: unknown key (known: {', '.join(SWEEP_KEYS)}"
                f"{'; ' + hint if hint else ''})"
            )
    if "base" not in data:
        raise ConfigError(
            f"{path}: base: required (the case file to vary, relative to the sweep file)"
        )
    base_path = path.parent / str(data["base"])
    load_case(base_path)  # the base alone must be valid: its own messages
    base = load_mapping(base_path, "case")
    base.setdefault("name", base_path.stem)
    name = str(data.get("name") or path.stem)
    if not name.strip() or name.strip() in (".", "..") or "/" in name or "\\" in name:
        raise ConfigError(
            f"{path}: name: must be a plain name without '/' and not '.' or '..' (got {name!r})"
        )
    out = Path(output or data.get("output") or f"results/sweeps/{name}")

    fixed = [(p, _value(v, f"set.{p}", p)) for p, v in _mapping(data, "set", path).items()]
    axes = _axes(data, path)
    if not axes:
        raise ConfigError(f"{path}: name the values to vary in grid, zip or random")
    parameters = [p for paths, _ in axes for p in paths]
    total = math.prod(len(rows) for _, rows in axes)
    if total > MAX_CASES:
        raise ConfigError(f"{path}: {total:.3g} cases (the product of the axes) exceed the "
                          f"limit {MAX_CASES}: split the sweep")
    cases, seen = [], {}
    for index, combo in enumerate(itertools.product(*(rows for _, rows in axes))):
        values = dict(zip(parameters, itertools.chain.from_iterable(combo), strict=True))
        case = _case(
            base, fixed + list(values.items()), f"{path}: case {index} ({_describe(values)})"
        )
        cid = case_id(case)
        if cid in seen:
            raise ConfigError(
                f"{path}: cases {seen[cid]} and {index} are the same case "
                f"({_describe(values)}): remove the repeated value"
            )
        seen[cid] = index
        case.name = f"{name}-{cid}"
        case.output.directory = str(out / "cases" / cid)
        cases.append(SweepCase(index, cid, values, case))
    return Sweep(name, path, out, parameters, cases)


def case_id(case: Case) -> str:
    """Stable id of a case: sha256 of its resolved config without name and output folder."""
    data = resolved_dict(case)
    data.pop("name")
    data["output"].pop("directory")
    data["geometry"]["mesh"].pop("max_cells", None)  # a guard, not part of the case
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def _read_mapping(path: Path) -> dict:
    return load_mapping(path, "sweep", "a mapping with base and grid, zip or random")


def _mapping(data: dict, key: str, path: Path) -> dict:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict) or not value:
        raise ConfigError(f"{path}: {key}: must be a non-empty mapping of config paths")
    return {str(k): v for k, v in value.items()}


def _axes(data: dict, path: Path) -> list[tuple[list[str], list[tuple]]]:
    """The axes of the product: (paths, rows of values) for each grid key, zip and random."""
    axes = []
    for p, spec in _mapping(data, "grid", path).items():
        axes.append(([p], [(v,) for v in _values(spec, f"{path}: grid.{p}", p)]))
    zipped = _mapping(data, "zip", path)
    if zipped:
        columns = {p: _values(spec, f"{path}: zip.{p}", p) for p, spec in zipped.items()}
        lengths = {len(c) for c in columns.values()}
        if len(lengths) > 1:
            raise ConfigError(
                f"{path}: zip: the lists must have one length (got "
                f"{', '.join(f'{p}: {len(c)}' for p, c in columns.items())})"
            )
        axes.append((list(columns), list(zip(*columns.values(), strict=True))))
    if data.get("random") is not None:
        axes.append(_random(data["random"], path))
    return axes


def _values(spec: Any, where: str, field: str) -> list:
    """A list of values, ``{start, stop, num}`` (inclusive) or ``{start, stop, step}``."""
    if isinstance(spec, dict):
        keys = set(spec)
        if keys not in ({"start", "stop", "num"}, {"start", "stop", "step"}):
            raise ConfigError(
                f"{where}: a range needs start, stop and num or step (got "
                f"{', '.join(map(str, spec))})"
            )
        start, stop = (_number(spec[k], f"{where}.{k}", field) for k in ("start", "stop"))
        if "num" in keys:
            num = spec["num"]
            if isinstance(num, bool) or not isinstance(num, int) or not 1 <= num <= MAX_CASES:
                raise ConfigError(f"{where}.num: must be an integer from 1 to {MAX_CASES} "
                                  f"(got {num!r})")
            points = np.linspace(start, stop, num)
        else:
            step = _number(spec["step"], f"{where}.step", field)
            if step == 0 or (stop - start) / step < 0:
                raise ConfigError(f"{where}.step: must be nonzero and lead from start to stop")
            if (stop - start) / step >= MAX_CASES:
                raise ConfigError(f"{where}.step: {step:g} makes more than {MAX_CASES} values "
                                  "from start to stop")
            points = start + step * np.arange(math.floor((stop - start) / step + 1e-9) + 1)
        return [_clean(p) for p in points]
    if not isinstance(spec, list):
        raise ConfigError(f"{where}: must be a list of values or a range {{start, stop, num}}")
    if not spec:
        raise ConfigError(f"{where}: empty list of values")
    return [_value(v, where, field) for v in spec]


def _random(spec: Any, path: Path) -> tuple[list[str], list[tuple]]:
    where = f"{path}: random"
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: must be a mapping with samples, seed and values")
    for key in spec:
        if key not in RANDOM_KEYS:
            raise ConfigError(f"{where}.{key}: unknown key (known: {', '.join(RANDOM_KEYS)})")
    samples, seed = spec.get("samples"), spec.get("seed")
    for key, value, low in (("samples", samples, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"{where}.{key}: must be an integer >= {low} (got {value!r})")
    if samples > MAX_CASES:
        raise ConfigError(f"{where}.samples: must be <= {MAX_CASES} (got {samples})")
    values = spec.get("values")
    if not isinstance(values, dict) or not values:
        raise ConfigError(f"{where}.values: must be a non-empty mapping of config paths")
    rng = np.random.default_rng(seed)
    columns = {}
    for p, dist in values.items():
        at = f"{where}.values.{p}"
        if not isinstance(dist, dict) or len(dist) != 1 or next(iter(dist)) not in DISTRIBUTIONS:
            raise ConfigError(
                f"{at}: must be one of {{uniform: [a, b]}}, {{loguniform: [a, b]}}"
                ", {choice: [...]}"
            )
        kind, args = next(iter(dist.items()))
        if not isinstance(args, list) or not args or (kind != "choice" and len(args) != 2):
            raise ConfigError(f"{at}.{kind}: must be a list ([a, b] for {kind})")
        if kind == "choice":
            options = [_value(v, f"{at}.choice", p) for v in args]
            columns[p] = [options[k] for k in rng.integers(len(options), size=samples)]
            continue
        a, b = (_number(v, f"{at}.{kind}", p) for v in args)
        if kind == "loguniform" and not 0 < a <= b:
            raise ConfigError(f"{at}.loguniform: needs 0 < a <= b (got [{a:g}, {b:g}])")
        draws = (
            rng.uniform(a, b, samples)
            if kind == "uniform"
            else np.exp(rng.uniform(math.log(a), math.log(b), samples))
        )
        columns[p] = [_clean(x) for x in draws]
    return list(columns), list(zip(*columns.values(), strict=True))


def _field_unit(field: str) -> str | None:
    last = field.rsplit(".", 1)[-1]
    for unit in sorted(UNITS, key=len, reverse=True):
        if last.endswith("_" + unit):
            return unit
    return None


def _value(value: Any, where: str, field: str) -> Any:
    """A sweep value: numbers and words pass; ``"<number> <unit>"`` must match the field's
    unit (the suffix of its name) and becomes the number."""
    if not isinstance(value, str):
        return value
    match = _QUANTITY.match(value)
    if not match:
        return value
    number, unit = match.groups()
    expected = _field_unit(field)
    if expected is None:
        raise ConfigError(f"{where}: {field} has no unit; give a plain value (got {value!r})")
    if unit != expected and unit not in UNITS[expected]:
        raise ConfigError(
            f"{where}: unit {unit} does not match the field's unit {expected} "
            f"(got {value!r}; give numbers in {expected})"
        )
    return _clean(float(number))


def _number(value: Any, where: str, field: str) -> float:
    value = _value(value, where, field)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: must be a number (got {value!r})")
    return float(value)


def _clean(x: float) -> float:
    """12 significant digits: 0.30000000000000004 -> 0.3 (clean ids and tables)."""
    return float(f"{float(x):.12g}")


def _case(base: dict, overrides: list[tuple[str, Any]], where: str) -> Case:
    data = base
    for p, value in overrides:
        try:
            data = apply_overrides(data, [f"{p}={json.dumps(value)}"])
        except ConfigError as exc:
            raise ConfigError(f"{where}: {str(exc).split(': ', 1)[-1]}") from None
    try:
        return validate_case(data)
    except ConfigError as exc:
        hint = next((_unit_hint(p) for p, _ in overrides if f"{p}: unknown key" in str(exc)), "")
        text = str(exc)
        if hint:  # the unit hint names the field: no did-you-mean as well
            text = re.sub(r" \(did you mean '[^']*'\?\)", "", text, count=1)
        raise ConfigError(f"{where}: {text}{hint}") from None


def _unit_hint(path: str) -> str:
    """`` (fields carry their unit: stack_pressure_MPa)`` for a path missing its unit."""
    model, parts = Case, path.split(".")
    for part in parts[:-1]:
        field = model.model_fields.get(part) if not part.isdigit() else None
        if field is None and not part.isdigit():
            return ""
        if field is not None:
            model = next((a for a in _types(field.annotation) if hasattr(a, "model_fields")), None)
            if model is None:
                return ""
    names = [n for n in model.model_fields if n.startswith(parts[-1] + "_")]
    return f" (fields carry their unit: {', '.join(names)})" if names else ""


def _types(annotation) -> list:
    """The classes inside an annotation (``list[VoidSpec] | None`` -> VoidSpec, ...)."""
    args = getattr(annotation, "__args__", ())
    return [annotation, *(t for a in args for t in _types(a))]


def _describe(values: dict) -> str:
    return ", ".join(f"{p}={v}" for p, v in values.items())


