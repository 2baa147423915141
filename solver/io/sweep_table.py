"""The sweep table: ``sweep.json`` (the expansion), ``sweep.csv`` and ``sweep.h5`` (one row
per case), rebuilt from the case folders, which are the truth (a case is done when its
folder holds ``summary.json``, failed when it holds ``failure.json``, else pending)."""

from __future__ import annotations

import csv
import json
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lisse.solver.errors import UserError
from lisse.solver.io.runfolder import read_json

if TYPE_CHECKING:
    from lisse.solver.studies.sweep_file import Sweep, SweepCase

STATUSES = ("done", "failed", "pending")


def case_state(folder: Path) -> tuple[str, dict]:
    """("done", summary), ("failed", failure record) or ("pending", {}) from a case folder."""
    for status, name in (("done", "summary.json"), ("failed", "failure.json")):
        file = folder / name
        if file.exists():
            try:
                return status, read_json(file)
            except UserError:  # corrupt (truncated, binary): the case runs again
                return "pending", {}
    return "pending", {}




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
    """``sweep.csv`` and ``sweep.h5`` (``_write_h5``: a flat table and a group per case), each
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
    """``sweep.h5``: attributes ``name`` and ``parameters`` (JSON list); group ``table``
    (one dataset per column, one entry per case, in sweep order: the flat table of
    ``sweep.csv``) and group ``cases/<case_id>`` per case (attributes ``index``, ``status``,
    ``reason``; one scalar dataset per varied value and per summary metric). Every numeric
    dataset has a ``units`` attribute parsed from its column name (``lisse.units
    .column_unit``: ``cell_voltage_V`` → ``V``; "" for a dimensionless quantity); a missing
    number is NaN in ``table`` and absent in ``cases/<case_id>``."""
    import h5py

    from lisse.units import column_unit

    tmp = _tmp(path)
    with h5py.File(tmp, "w") as h5:
        h5.attrs["name"] = name
        h5.attrs["parameters"] = json.dumps(parameters)
        table = h5.create_group("table")
        for column in columns:
            values = [row.get(column) for row in rows]
            if _numeric(values):
                data = np.array([np.nan if v is None else v for v in values], dtype=float)
                table.create_dataset(column, data=data).attrs["units"] = column_unit(column)
            else:
                data = ["" if v is None else str(v) for v in values]
                table.create_dataset(column, data=data, dtype=h5py.string_dtype())
                table[column].attrs["units"] = ""
        cases = h5.create_group("cases")
        for row in rows:
            group = cases.create_group(str(row["case_id"]))
            for key in ("index", "status", "reason"):
                group.attrs[key] = row.get(key) if row.get(key) is not None else ""
            for column in columns:
                value = row.get(column)
                if column in ("index", "case_id", "status", "reason") or value is None:
                    continue
                if _numeric([value]):
                    group.create_dataset(column, data=float(value))
                else:
                    group.create_dataset(column, data=str(value), dtype=h5py.string_dtype())
                group[column].attrs["units"] = column_unit(column) if _numeric([value]) else ""
    os.replace(tmp, path)


def _numeric(values: list) -> bool:
    """Whether every present value is a number (not a bool)."""
    return all(isinstance(v, int | float) and not isinstance(v, bool)
               for v in values if v is not None)


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


