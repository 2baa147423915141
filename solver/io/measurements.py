"""Measured critical current densities to draw beside a simulated CCD curve
(``lisse ccd --vary PATH=... --measurements FILE.csv``).

The file is a CSV table with a header; column names carry their units like every lisse
column (``docs/outputs.md``):

* the varied parameter, named as the last part of the ``--vary`` path or as the whole path
  (``stack_pressure_MPa`` or ``evolution.stack_pressure_MPa``), in the unit of that key;
* ``ccd_mA_cm2``: the measured stripping CCD [mA/cm²];
* ``source``: where the value comes from (a paper, a cell), shown in the legend;
* any other columns (``temperature_C``): conditions of the measurement, shown in the legend
  beside the source so that a measurement at other conditions than the simulated case is
  seen as such.

Example::

    stack_pressure_MPa,temperature_C,ccd_mA_cm2,source
    3,25,1.0,Kasemchainan 2019
    7,25,2.4,own cell
"""

from __future__ import annotations

import csv
from pathlib import Path

from lisse.solver.errors import UserError
from lisse.units import split_key

REQUIRED = ("ccd_mA_cm2", "source")


def read_measurements(path: str | Path, key: str) -> list[tuple[float, float, str]]:
    """(value of ``key``, measured CCD [mA/cm²], legend label) of every row of ``path``."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise UserError(f"--measurements {path}: cannot read it ({exc.strerror})") from None
    columns = list(rows[0]) if rows else []
    column = next((c for c in (key, key.rsplit(".", 1)[-1]) if c in columns), None)
    missing = [c for c in REQUIRED if c not in columns]
    if column is None or missing:
        need = ", ".join([key.rsplit(".", 1)[-1]] * (column is None) + missing)
        raise UserError(f"--measurements {path}: no column {need} (columns: "
                        f"{', '.join(columns) or 'none'}; expected the varied parameter, "
                        f"ccd_mA_cm2 and source)")
    conditions = [c for c in columns if c not in (column, *REQUIRED) and c]
    points = []
    for line, row in enumerate(rows, start=2):
        try:
            value, ccd = float(row[column]), float(row["ccd_mA_cm2"])
        except (TypeError, ValueError):
            raise UserError(f"--measurements {path}, line {line}: {column} and ccd_mA_cm2 "
                            f"must be numbers") from None
        if ccd <= 0:
            raise UserError(f"--measurements {path}, line {line}: ccd_mA_cm2 = {ccd}: "
                            f"must be positive")
        extra = [_condition(c, row[c]) for c in conditions if row.get(c)]
        label = row["source"].strip() or "unnamed"
        points.append((value, ccd, f"{label} ({', '.join(extra)})" if extra else label))
    return points


def _condition(column: str, value: str) -> str:
    """``temperature_C``, ``"25"`` → ``"temperature 25 °C"``."""
    name, unit = split_key(column)
    return f"{name} {value.strip()}" + ("" if unit == "–" else f" {unit}")
