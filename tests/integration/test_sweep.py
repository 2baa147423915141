"""Sweeps end to end: a 4-case sweep (2 temperatures x 2 currents) of a small 2D cell run
by the local pool, under mpirun -n 2 with 1 and 2 ranks per case and through the SLURM
templates, with identical tables; a killed sweep completed on restart; a failing case
recorded; job-array determinism."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import h5py
import pytest
import yaml

from tests.helpers import BIN, ROOT

BASE = {
    "name": "cell",
    "geometry": {
        "dimension": "plane",
        "width_um": 40,
        "lithium_thickness_um": 10,
        "electrolyte_thickness_um": 40,
        "voids": [
            {"center_um": 0, "radius_um": 8, "height_um": 2},
            {"center_um": 28, "radius_um": 5, "height_um": 2},
        ],
        "mesh": {"size_um": 8, "interface_size_um": 2, "edge_size_um": 0.5},
    },
    "interface": {"kinetics": "butler_volmer"},
    "counter_electrode": {"kinetics": "butler_volmer"},
    "protocol": {"mode": "galvanostatic", "current_density_mA_cm2": 1.0},
    "output": {"fields": False, "plots": True},
}
GRID = {  # 2 x 2 cases: each key varies, and each has a value given with its unit
    "temperature_C": [0, "25 C"],
    "protocol.current_density_mA_cm2": [0.5, "2 mA/cm2"],
}
VOLATILE = {"wall_time_s", "krylov_iterations"}  # may differ between runs / partitions


def write_sweep(folder: Path, grid: dict = GRID, **extra) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.yaml").write_text(yaml.safe_dump(BASE))
    sweep = {"base": "base.yaml", "name": "tc", "grid": grid, **extra}
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep, sort_keys=False))
    return path


def lisse(
    args: list[str], cache: Path, n: int = 1, env: dict | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """``lisse`` (under ``mpirun -n n`` if n > 1) with its own mesh cache."""
    cmd = [str(BIN / "lisse"), *args]
    if n > 1:
        cmd = [str(BIN / "mpirun"), "-n", str(n), *cmd]
    full = {**os.environ, "LISSE_CACHE_DIR": str(cache), "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=full)


def read_table(results: Path) -> list[dict]:
    with open(results / "sweep.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def assert_same_tables(a: list[dict], b: list[dict]) -> None:
    """Same cases, statuses and values (numbers to 1e-6 relative, 1e-12 absolute)."""
    assert [r["case_id"] for r in a] == [r["case_id"] for r in b]
    assert set(a[0]) == set(b[0])
    for ra, rb in zip(a, b, strict=True):
        for key in ra:
            if key in VOLATILE:
                continue
            try:
                x, y = float(ra[key]), float(rb[key])
            except ValueError:
                assert ra[key] == rb[key], (key, ra[key], rb[key])
                continue
            assert y == pytest.approx(x, rel=1e-6, abs=1e-12), (ra["index"], key)


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """The reference: the local pool (2 worker processes) on a fresh mesh cache."""
    tmp = tmp_path_factory.mktemp("sweep")
    sweep = write_sweep(tmp)
    proc = lisse(["sweep", str(sweep), "-o", str(tmp / "local"), "--jobs", "2"], tmp / "cache")
    assert proc.returncode == 0, proc.stderr
    return sweep, tmp / "local", proc


@pytest.mark.slow
def test_local_sweep_runs_every_case(local):
    sweep, results, proc = local
    rows = read_table(results)
    assert len(rows) == 4
    assert all(r["status"] == "done" and r["reason"] == "" for r in rows)
    # the first grid key varies slowest; units in strings became numbers
    assert [float(r["temperature_C"]) for r in rows] == [0] * 2 + [25] * 2
    assert [float(r["protocol.current_density_mA_cm2"]) for r in rows] == [0.5, 2] * 2
    for r in rows:  # every case solved the current it was given
        assert float(r["current_density_mA_cm2"]) == pytest.approx(
            float(r["protocol.current_density_mA_cm2"]), rel=1e-9
        )
        assert float(r["contact_fraction"]) == pytest.approx(1 - (8 + 10) / 40, rel=1e-12)
        summary = json.loads((results / "cases" / r["case_id"] / "summary.json").read_text())
        assert summary["hotspot_factor"] == pytest.approx(float(r["hotspot_factor"]), rel=1e-15)
    # the HDF5 table holds the same rows
    with h5py.File(results / "sweep.h5") as h5:
        table = h5["table"]
        assert [s.decode() for s in table["case_id"][:]] == [r["case_id"] for r in rows]
        assert table["hotspot_factor"][:] == pytest.approx(
            [float(r["hotspot_factor"]) for r in rows], rel=1e-15
        )
        assert json.loads(h5.attrs["parameters"]) == list(GRID)
    assert "4 done, 0 failed, 0 pending" in proc.stdout
    # a finished sweep run again runs nothing
    again = lisse(["sweep", str(sweep), "-o", str(results)], results.parent / "cache")
    assert again.returncode == 0, again.stderr
    assert "case " not in again.stderr
    assert_same_tables(rows, read_table(results))


@pytest.mark.slow
@pytest.mark.parametrize("ranks_per_case", [1, 2])
def test_mpi_groups_give_the_same_table(local, ranks_per_case, tmp_path):
    sweep, reference, _ = local
    out = tmp_path / "mpi"
    proc = lisse(
        ["sweep", str(sweep), "-o", str(out), "--ranks-per-case", str(ranks_per_case)],
        tmp_path / "cache",
        n=2,
    )  # a fresh cache: both groups build the same mesh
    assert proc.returncode == 0, proc.stderr
    assert_same_tables(read_table(reference), read_table(out))
    runs = {
        json.loads((out / "cases" / r["case_id"] / "run.json").read_text())["mpi_ranks"]
        for r in read_table(out)
    }
    assert runs == {ranks_per_case}
    groups = 2 // ranks_per_case
    assert ("[group 1/2]" in proc.stderr) == (groups == 2)


@pytest.mark.slow
def test_killed_sweep_completes_on_restart(local, tmp_path):
    sweep, reference, _ = local
    out, cache = tmp_path / "killed", tmp_path / "cache"
    env = {**os.environ, "LISSE_CACHE_DIR": str(cache), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [str(BIN / "lisse"), "sweep", str(sweep), "-o", str(out), "--jobs", "1"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    def committed():  # Path.glob matches hidden names: skip the ".<id>.partial" stages
        return [p for p in out.glob("cases/*/summary.json") if not p.parent.name.startswith(".")]

    deadline = time.monotonic() + 120
    while not committed() and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p.parent.name: p.stat().st_mtime_ns for p in committed()}
    assert 1 <= len(finished) < 4
    restart = lisse(["sweep", str(sweep), "-o", str(out), "--jobs", "1"], cache)
    assert restart.returncode == 0, restart.stderr
    assert restart.stderr.count(": done in") == 4 - len(finished)
    for cid, mtime in finished.items():  # not run again
        assert (out / "cases" / cid / "summary.json").stat().st_mtime_ns == mtime
    assert not list(out.glob("cases/.*"))  # no staging folder left
    assert_same_tables(read_table(reference), read_table(out))


@pytest.mark.slow
def test_failing_case_is_recorded_and_the_others_finish(tmp_path):
    # a void of radius 25 at x = 0 overlaps the void [23, 33]: a geometry error at mesh time
    sweep = write_sweep(tmp_path, grid={"geometry.voids.0.radius_um": [4, 25, 12]})
    out, cache = tmp_path / "out", tmp_path / "cache"
    proc = lisse(["sweep", str(sweep), "-o", str(out), "--jobs", "2"], cache)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f"lisse: error: 1 of 3 cases failed (reasons in {out / 'sweep.csv'})"
    )
    rows = read_table(out)
    assert [r["status"] for r in rows] == ["done", "failed", "done"]
    assert rows[1]["reason"] == "GeometryError: geometry.voids[1]: overlaps geometry.voids[0]"
    assert float(rows[2]["contact_fraction"]) == pytest.approx(1 - (12 + 10) / 40, rel=1e-12)
    failure = json.loads((out / "cases" / rows[1]["case_id"] / "failure.json").read_text())
    assert failure["exit_code"] == 2
    # --retry-failed runs the failed case only
    done = {
        r["case_id"]: (out / "cases" / r["case_id"] / "summary.json").stat().st_mtime_ns
        for r in rows
        if r["status"] == "done"
    }
    retry = lisse(["sweep", str(sweep), "-o", str(out), "--retry-failed", "--jobs", "1"], cache)
    assert retry.returncode == 1
    assert retry.stderr.count("FAILED: GeometryError") == 1 and ": done in" not in retry.stderr
    for cid, mtime in done.items():
        assert (out / "cases" / cid / "summary.json").stat().st_mtime_ns == mtime


@pytest.mark.slow
def test_job_array_runs_the_same_case_for_the_same_index(local, tmp_path):
    sweep, reference, _ = local
    ref = read_table(reference)
    cache = tmp_path / "cache"
    listing = [lisse(["sweep", str(sweep), "--list"], cache).stdout for _ in range(2)]
    assert listing[0] == listing[1]
    assert [line.split("\t")[1] for line in listing[0].splitlines()] == [r["case_id"] for r in ref]
    runs = {}
    for attempt in ("a", "b"):  # two fresh folders: index 1 is the same case, same numbers
        out = tmp_path / attempt
        by_flag = lisse(["sweep", str(sweep), "-o", str(out), "--case-index", "1"], cache)
        assert by_flag.returncode == 0, by_flag.stderr
        summary = out / "cases" / ref[1]["case_id"] / "summary.json"
        runs[attempt] = {
            k: v for k, v in json.loads(summary.read_text()).items() if k not in VOLATILE
        }
    assert runs["a"] == runs["b"]
    by_env = lisse(
        ["sweep", str(sweep), "-o", str(out), "--case-index"],
        cache,
        env={"SLURM_ARRAY_TASK_ID": "3"},
    )
    assert by_env.returncode == 0, by_env.stderr
    assert sorted(p.name for p in (out / "cases").iterdir()) == sorted(
        [ref[1]["case_id"], ref[3]["case_id"]]
    )
    collect = lisse(["sweep", str(sweep), "-o", str(out), "--collect"], cache)
    assert collect.returncode == 0 and "2 done, 0 failed, 2 pending" in collect.stdout
    rows = read_table(out)
    assert [r["status"] for r in rows].count("pending") == 2
    assert_same_tables([ref[1], ref[3]], [rows[1], rows[3]])
    again = lisse(["sweep", str(sweep), "-o", str(out), "--case-index", "1"], cache)
    assert "done already (skipped)" in again.stdout
    bad = lisse(["sweep", str(sweep), "-o", str(out), "--case-index", "4"], cache)
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "lisse: error: --case-index 4: out of range (the sweep has 4 cases, 0..3)"
    )


def fake_srun(folder: Path) -> dict:
    """A PATH where ``srun CMD`` is ``mpirun -n $SLURM_NTASKS CMD`` and ``lisse`` is ours."""
    folder.mkdir()
    srun = folder / "srun"
    srun.write_text(f'#!/bin/bash\nexec "{BIN / "mpirun"}" -n "${{SLURM_NTASKS:-1}}" "$@"\n')
    srun.chmod(0o755)
    return {"PATH": f"{folder}:{BIN}:{os.environ['PATH']}"}


@pytest.mark.slow
def test_slurm_templates_with_scheduler_variables(local, tmp_path):
    """Array tasks 0 and 1 of the reference's 4-case sweep (run into a fresh folder), then the
    MPI template finishes it in one allocation of 2 tasks."""
    _, reference, _ = local
    ref = {r["case_id"]: r for r in read_table(reference)}
    sweep = write_sweep(tmp_path / "sweep")
    cache, out = tmp_path / "cache", tmp_path / "out"
    env = {
        **os.environ,
        **fake_srun(tmp_path / "bin"),
        "LISSE_CACHE_DIR": str(cache),
        "SLURM_JOB_ID": "99",
    }
    for task in (0, 1):
        array = subprocess.run(
            ["bash", str(ROOT / "scripts/slurm/array.sh"), str(sweep), "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
            env={
                **env,
                "SLURM_ARRAY_JOB_ID": "99",
                "SLURM_ARRAY_TASK_ID": str(task),
                "SLURM_NTASKS": "1",
            },
        )
        assert array.returncode == 0, array.stderr
    assert len(list((out / "cases").iterdir())) == 2
    mpi = subprocess.run(
        ["bash", str(ROOT / "scripts/slurm/mpi.sh"), str(sweep), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**env, "SLURM_NTASKS": "2", "RANKS_PER_CASE": "1"},
    )
    assert mpi.returncode == 0, mpi.stderr
    assert mpi.stderr.count(": done in") == 2  # cases 0 and 1 were done by the array tasks
    rows = read_table(out)
    assert [r["status"] for r in rows] == ["done"] * 4
    same_case = [{k: v for k, v in ref[r["case_id"]].items() if k != "index"} for r in rows]
    assert_same_tables(same_case, [{k: v for k, v in r.items() if k != "index"} for r in rows])
    bad = subprocess.run(
        ["bash", str(ROOT / "scripts/slurm/array.sh"), str(sweep)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert bad.returncode != 0 and "not a job-array task" in bad.stderr


@pytest.mark.parametrize(
    "edit, message",
    [
        ({"grdi": {"temperature_C": [0]}}, "grdi: unknown key (known: base, name, output, set, "),
        (
            {"grid": {"protocol.current_density_mA_cm3": [1]}},
            "protocol.current_density_mA_cm3: unknown key",
        ),
        (
            {"grid": {"mechanics.stack_pressure": [1, 3]}},
            "mechanics.stack_pressure: unknown key (fields carry their unit: stack_pressure_MPa)",
        ),
        (
            {"grid": {"mechanics.stack_pressure_MPa": ["5 bar"]}},
            "grid.mechanics.stack_pressure_MPa: unit bar does not match the field's unit MPa",
        ),
        (
            {"grid": {"geometry.voids.0.radius": [1]}},
            "geometry.voids.0.radius: unknown key (fields carry their unit: radius_um)",
        ),
        (
            {"grid": {"temperature_C": [0, "300 K"]}},
            "grid.temperature_C: unit K does not match the field's unit C",
        ),
        ({"grid": {"temperature_C": []}}, "grid.temperature_C: empty list of values"),
        ({"grid": {}}, "grid: must be a non-empty mapping of config paths"),
        ({"grid": {"temperature_C": [0, 400]}}, "temperature_C: must be <= 300 (got 400)"),
        ({"grid": {"temperature_C": ["warm"]}}, "temperature_C: must be a number (got 'warm')"),
        ({"grid": {"geometry.voids.4.radius_um": [1]}}, "geometry.voids: no list entry 4"),
    ],
)
def test_invalid_sweep_is_rejected_before_any_case_runs(tmp_path, edit, message):
    from lisse.solver.errors import ConfigError
    from lisse.solver.studies.sweep_file import load_sweep

    sweep = write_sweep(tmp_path, grid={"protocol.current_density_mA_cm2": [0.5, 1]})
    data = yaml.safe_load(sweep.read_text())
    data.update(edit)
    sweep.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as error:
        load_sweep(sweep)
    text = str(error.value)
    assert text.startswith(f"{sweep}: ") and "\n" not in text
    assert message in text


def test_cli_rejects_an_invalid_sweep_before_running(tmp_path):
    # case 3 of 4 is invalid: nothing runs, not even the valid cases before it
    sweep = write_sweep(tmp_path, grid={"temperature_C": [0, 25, 60, 400]})
    out = tmp_path / "out"
    proc = lisse(["sweep", str(sweep), "-o", str(out)], tmp_path / "cache")
    assert proc.returncode == 2
    assert proc.stderr == (
        f"lisse: error: {sweep}: case 3 (temperature_C=400): temperature_C: "
        "must be <= 300 (got 400)\n"
    )
    assert not out.exists()
