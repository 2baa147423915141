"""Parameter sweeps: a sweep file names a base case and the values to vary; every case is
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

import csv
import hashlib
import itertools
import json
import math
import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from lisse.solver.config.messages import did_you_mean
from lisse.solver.config.schema import (
    Case,
    apply_overrides,
    load_case,
    resolved_dict,
    validate_case,
)
from lisse.solver.config.yaml_loader import load_mapping
from lisse.solver.errors import ConfigError, LisseError, UserError
from lisse.solver.io.runfolder import read_json

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
STATUSES = ("done", "failed", "pending")


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


# --- running --------------------------------------------------------------------------------


def case_state(folder: Path) -> tuple[str, dict]:
    """("done", summary), ("failed", failure record) or ("pending", {}) from a case folder;
    a corrupt (truncated, binary) record counts as pending: the case runs again."""
    for status, name in (("done", "summary.json"), ("failed", "failure.json")):
        file = folder / name
        if file.exists():
            try:
                return status, read_json(file)
            except UserError:
                return "pending", {}
    return "pending", {}


def to_run(sweep: Sweep, retry_failed: bool = False) -> list[SweepCase]:
    """Cases without a result: pending ones, and failed ones if ``retry_failed``."""
    wanted = ("pending", "failed") if retry_failed else ("pending",)
    return [c for c in sweep.cases if case_state(sweep.case_dir(c))[0] in wanted]


def run_one(sweep: Sweep, case: SweepCase, comm, argv: list[str] | None = None) -> dict:
    """Run one case on ``comm`` into its folder (through the dispatcher, as ``lisse run``);
    a failure is recorded, never raised.

    Returns the summary (status done) or the failure record (status failed). Errors must be
    raised on every rank of ``comm`` (as the solver's are) or the group deadlocks.
    """
    from lisse.solver.config.schema import resolve
    from lisse.solver.io.runfolder import RunFolder
    from lisse.solver.studies.dispatch import run_case

    folder = sweep.case_dir(case)
    config = resolved_dict(case.case)
    start = time.perf_counter()
    try:
        summary = run_case(resolve(case.case), folder, comm, config, argv)
        return {"status": "done", **summary}
    except Exception as exc:  # the case fails, the sweep goes on
        record = {
            "status": "failed",
            "reason": f"{type(exc).__name__}: {exc}",
            "exit_code": exc.exit_code if isinstance(exc, LisseError) else 1,
            "wall_time_s": time.perf_counter() - start,
        }
    failure = RunFolder(folder, comm)
    failure.write_text("config_resolved.yaml", yaml.safe_dump(config, sort_keys=False))
    failure.write_json("failure.json", record)
    failure.commit()
    return record


def run_groups(
    sweep: Sweep, world, ranks_per_case: int = 1, retry_failed: bool = False, stream=None
) -> None:
    """Split ``world`` into groups of ``ranks_per_case`` ranks; group g runs the cases
    g, g + G, g + 2G, ... of the cases to run (G groups), each on its sub-communicator."""
    from lisse.solver.io.progress import Progress

    if ranks_per_case < 1 or world.size % ranks_per_case:
        raise UserError(
            f"--ranks-per-case {ranks_per_case}: must divide the number of MPI ranks ({world.size})"
        )
    todo = world.bcast(to_run(sweep, retry_failed) if world.rank == 0 else None, root=0)
    if world.rank == 0:
        write_manifest(sweep)
        write_table(sweep)
    groups = world.size // ranks_per_case
    color = world.rank // ranks_per_case
    group = world.Split(color, world.rank)
    mine = todo[color::groups]
    label = f"{sweep.name} [group {color}/{groups}]" if groups > 1 else sweep.name
    progress = Progress(label, total=len(mine), comm=group, stream=stream)
    try:
        for case in mine:
            progress.status(case=f"{case.index} {case.case_id}")
            record = run_one(sweep, case, group, sys.argv)
            progress.advance(message=case_line(case, record))
    finally:
        progress.close()
        group.Free()
    world.Barrier()
    if world.rank == 0:
        write_table(sweep)


def run_pool(sweep: Sweep, jobs: int, retry_failed: bool = False, stream=None) -> None:
    """Run the cases in ``jobs`` concurrent worker processes, each ``lisse sweep FILE
    --case-index I`` (job-array mode) on one rank; the table is rewritten after each case."""
    from lisse.solver.io.progress import Progress

    todo = to_run(sweep, retry_failed)
    write_manifest(sweep)
    rows = {c.index: table_row(sweep, c) for c in sweep.cases}
    write_table(sweep, list(rows.values()))
    progress = Progress(sweep.name, total=len(todo), stream=stream)
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(todo)))) as pool:
        futures = {pool.submit(_worker, sweep, case, retry_failed): case for case in todo}
        try:
            for future in as_completed(futures):
                case = futures[future]
                record = future.result()
                rows[case.index] = table_row(sweep, case)
                write_table(sweep, list(rows.values()))
                progress.advance(message=case_line(case, record))
        finally:
            progress.close()


def _worker(sweep: Sweep, case: SweepCase, retry_failed: bool) -> dict:
    """One case in a fresh process: crashes, leaks and Gmsh state stay in that process."""
    logs = sweep.output / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "lisse.solver.cli",
        "sweep",
        str(sweep.source),
        "-o",
        str(sweep.output),
        "--case-index",
        str(case.index),
        "--quiet",
    ]
    if retry_failed:
        cmd.append("--retry-failed")
    with open(logs / f"{case.case_id}.log", "w") as log:
        code = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT, env=_worker_env())
    status, record = case_state(sweep.case_dir(case))
    if status == "pending":  # the worker died before recording anything
        from mpi4py import MPI

        from lisse.solver.io.runfolder import RunFolder

        record = {
            "status": "failed",
            "reason": f"worker process exited with code {code} (see logs/{case.case_id}.log)",
            "exit_code": code,
            "wall_time_s": 0.0,
        }
        failure = RunFolder(sweep.case_dir(case), MPI.COMM_SELF)
        failure.write_json("failure.json", record)
        failure.commit()
    return {"status": status if status != "pending" else "failed", **record}


def _worker_env() -> dict:
    """The environment without the MPI launcher's variables (each worker is a singleton)."""
    launcher = ("PMI_", "PMIX_", "HYDRA_", "MPIR_", "OMPI_", "MPICH_INTERFACE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(launcher)}
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def case_line(case: SweepCase, record: dict) -> str:
    """One log line for a finished case."""
    head = f"case {case.index} {case.case_id} ({_describe(case.values)})"
    if record["status"] == "done":
        return (
            f"{head}: done in {record.get('wall_time_s', 0):.1f} s, Newton "
            f"{record.get('newton_iterations', '-')}"
        )
    return f"{head}: FAILED: {record.get('reason', '')}"


# --- accounting -----------------------------------------------------------------------------


def write_manifest(sweep: Sweep) -> Path:
    """``sweep.json``: name, source, parameters and the expansion (index, id, values)."""
    manifest = {
        "name": sweep.name,
        "source": str(sweep.source.resolve()),
        "parameters": sweep.parameters,
        "cases": [
            {"index": c.index, "case_id": c.case_id, "values": c.values} for c in sweep.cases
        ],
    }
    path = sweep.output / "sweep.json"
    _atomic_write(path, json.dumps(manifest, indent=1) + "\n")
    return path


def table_row(sweep: Sweep, case: SweepCase) -> dict:
    """The table row of a case, read from its folder."""
    return case_row(sweep.case_dir(case), case.index, case.case_id, case.values)


def case_row(folder: Path, index: int, cid: str, values: dict) -> dict:
    """index, case_id, varied values, status, reason, wall_time_s and the summary metrics
    (lists flattened to ``key.0``, ``key.1``) of the case in ``folder``."""
    status, record = case_state(folder)
    row = {
        "index": index,
        "case_id": cid,
        **values,
        "status": status,
        "reason": record.get("reason", ""),
        "wall_time_s": record.get("wall_time_s"),
    }
    if status == "done":
        for key, value in record.items():
            if key == "wall_time_s":
                continue
            if isinstance(value, list):
                row.update({f"{key}.{i}": v for i, v in enumerate(value)})
            else:
                row[key] = value
    return row


def read_manifest(results: Path) -> dict:
    """``sweep.json`` of a sweep folder: name, parameters and cases (index, case_id,
    values); a corrupt or incomplete manifest raises a one-line UserError."""
    path = results / "sweep.json"
    manifest = read_json(path, "sweep manifest")
    cases = manifest.get("cases")
    if not (isinstance(manifest.get("name"), str) and isinstance(manifest.get("parameters"), list)
            and isinstance(cases, list) and all(
                isinstance(c, dict) and isinstance(c.get("index"), int)
                and isinstance(c.get("case_id"), str) and isinstance(c.get("values"), dict)
                for c in cases)):
        raise UserError(f"{path}: corrupt sweep manifest (needs name, parameters and cases); "
                        "rebuild it with lisse sweep FILE --collect")
    return manifest


def collect(results: Path) -> list[dict]:
    """Rebuild the table of a sweep folder from ``sweep.json`` and the case folders (no
    sweep file needed); writes ``sweep.csv`` and ``sweep.h5`` and returns the rows."""
    manifest = read_manifest(results)
    rows = [
        case_row(results / "cases" / c["case_id"], c["index"], c["case_id"], c["values"])
        for c in manifest["cases"]
    ]
    _write_files(results, manifest["name"], manifest["parameters"], rows)
    return rows


def write_table(sweep: Sweep, rows: list[dict] | None = None) -> tuple[Path, Path]:
    """``sweep.csv`` and ``sweep.h5`` (group ``cases``: one dataset per column), each
    written to a temporary file and renamed; rows default to the case folders' state."""
    rows = rows if rows is not None else [table_row(sweep, c) for c in sweep.cases]
    return _write_files(sweep.output, sweep.name, sweep.parameters, rows)


def _write_files(
    out: Path, name: str, parameters: list[str], rows: list[dict]
) -> tuple[Path, Path]:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    csv_path, h5_path = out / "sweep.csv", out / "sweep.h5"
    out.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(csv_path)
    with open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)
    os.replace(tmp, csv_path)
    _write_h5(h5_path, name, parameters, columns, rows)
    return csv_path, h5_path


def _cell(value: Any) -> Any:
    return "" if value is None else repr(value) if isinstance(value, float) else value


def _write_h5(
    path: Path, name: str, parameters: list[str], columns: list[str], rows: list[dict]
) -> None:
    import h5py

    tmp = _tmp(path)
    with h5py.File(tmp, "w") as h5:
        h5.attrs["name"] = name
        h5.attrs["parameters"] = json.dumps(parameters)
        group = h5.create_group("cases")
        for column in columns:
            values = [row.get(column) for row in rows]
            present = [v for v in values if v is not None]
            if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
                data = np.array([np.nan if v is None else v for v in values], dtype=float)
                group.create_dataset(column, data=data)
            else:
                data = ["" if v is None else str(v) for v in values]
                group.create_dataset(column, data=data, dtype=h5py.string_dtype())
    os.replace(tmp, path)


def counts(sweep: Sweep) -> dict[str, int]:
    """Number of cases per status."""
    states = [case_state(sweep.case_dir(c))[0] for c in sweep.cases]
    return {s: states.count(s) for s in STATUSES}


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(path)
    tmp.write_text(text)
    os.replace(tmp, path)


def _tmp(path: Path) -> Path:
    """A temporary name beside ``path``, unique across processes and nodes."""
    return path.with_name(f".{path.name}.{socket.gethostname()}.{os.getpid()}.tmp")


# --- command line ---------------------------------------------------------------------------


def command(args, comm) -> None:
    """``lisse sweep``: expand and validate, then list, collect, run one case (job array),
    run in MPI groups or in a local pool. Raises SolverError if any case failed."""
    from lisse.solver.errors import SolverError

    for option, value in (("--jobs", args.jobs), ("--ranks-per-case", args.ranks_per_case)):
        if value is not None and value < 1:
            raise UserError(f"{option}: must be >= 1 (got {value})")
    sweep = load_sweep(args.sweep, args.output)
    say = (lambda text: print(text, flush=True)) if comm.rank == 0 else (lambda text: None)
    if args.count:
        say(str(len(sweep.cases)))
        return
    if args.list:
        say("\n".join(f"{c.index}\t{c.case_id}\t{_describe(c.values)}" for c in sweep.cases))
        return
    claim_output(sweep, comm, getattr(args, "overwrite", False), bool(args.output))
    if args.case_index is not None:
        case = sweep.cases[case_index(args.case_index, len(sweep.cases))]
        if comm.rank == 0 and not (sweep.output / "sweep.json").exists():
            write_manifest(sweep)  # the folder is a sweep folder from the first task on
        status = case_state(sweep.case_dir(case))[0]
        if status == "done" or (status == "failed" and not args.retry_failed):
            say(f"case {case.index} {case.case_id}: {status} already (skipped)")
        else:
            record = run_one(sweep, case, comm, sys.argv)
            status = record["status"]
            if not args.quiet:
                say(case_line(case, record))
        if status == "failed":
            raise SolverError(
                f"case {case.index} {case.case_id} failed (see "
                f"{sweep.case_dir(case) / 'failure.json'})"
            )
        return
    if args.collect:
        if comm.rank == 0:
            write_manifest(sweep)
            write_table(sweep)
    elif comm.size > 1 or (args.jobs or _cores()) == 1:
        run_groups(sweep, comm, args.ranks_per_case, args.retry_failed)
    else:
        if args.ranks_per_case != 1:
            raise UserError(
                "--ranks-per-case: needs mpirun (the local pool runs each case on one rank)"
            )
        run_pool(sweep, args.jobs or _cores(), args.retry_failed)
    tally = counts(sweep)
    say(
        f"sweep {sweep.name}: {len(sweep.cases)} cases, {tally['done']} done, "
        f"{tally['failed']} failed, {tally['pending']} pending; table "
        f"{sweep.output / 'sweep.csv'}"
    )
    if tally["failed"]:
        raise SolverError(
            f"{tally['failed']} of {len(sweep.cases)} cases failed (reasons in "
            f"{sweep.output / 'sweep.csv'})"
        )


# names a sweep writes into its folder (job-array tasks starting together may see them
# before sweep.json); case folders are checked again one by one (RunFolder)
SWEEP_LAYOUT = ("sweep.json", "sweep.csv", "sweep.h5", "cases", "logs", "report")


def claim_output(sweep: Sweep, comm, overwrite: bool = False, option: bool = True) -> None:
    """The output-folder rule for the sweep folder (solver.io.runfolder.target_problem): it
    may not exist, be empty or be a sweep folder (``sweep.json``); a foreign folder is refused,
    or with ``overwrite`` swapped for an empty one. Decided on rank 0, broadcast."""
    from lisse.solver.io.runfolder import is_lisse_folder, replace_with_empty, target_problem

    out = sweep.output
    problem, replace = None, False
    if comm.rank == 0:
        problem = target_problem(out, overwrite, "sweep.json")
        if out.is_dir() and not is_lisse_folder(out):
            entries = [e.name for e in out.iterdir()]
            layout = all(n in SWEEP_LAYOUT or n.startswith(".sweep.") for n in entries)
            if layout and not (problem and "never replaces" in problem):
                problem = None
            replace = bool(entries) and not layout and problem is None
        if replace:
            try:
                replace_with_empty(out)
            except OSError as exc:
                problem = f"cannot replace it ({exc.strerror or exc})"
    problem = comm.bcast(problem, root=0)
    if problem:
        raise UserError(f"{'-o' if option else 'output'} {out}: {problem}")


def case_index(value: str, n: int) -> int:
    """The job-array index: ``value``, or $SLURM_ARRAY_TASK_ID when ``value`` is "env"."""
    if value == "env":
        value = os.environ.get("SLURM_ARRAY_TASK_ID", "")
        if not value:
            raise UserError("--case-index: no value given and SLURM_ARRAY_TASK_ID is not set")
    try:
        index = int(value)
    except ValueError:
        raise UserError(f"--case-index: must be an integer (got {value!r})") from None
    if not 0 <= index < n:
        raise UserError(f"--case-index {index}: out of range (the sweep has {n} cases, 0..{n - 1})")
    return index


def _cores() -> int:
    return len(os.sched_getaffinity(0))
