"""The command line end to end: a small run, its folder, MPI agreement, and bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from tests.helpers import run_lisse

SMALL = {
    "name": "small",
    "geometry": {
        "dimension": "plane", "width_um": 40, "lithium_thickness_um": 10,
        "electrolyte_thickness_um": 40,
        "voids": [{"center_um": 0, "radius_um": 8, "height_um": 2},
                  {"center_um": 28, "radius_um": 5, "height_um": 2, "shape": "cap"}],
        "mesh": {"size_um": 5, "interface_size_um": 1, "edge_size_um": 0.2},
    },
    "materials": {"electrolyte": "LLZO"},
    "interface": {"kinetics": "butler_volmer", "film_resistance_ohm_cm2": 1.0},
    "counter_electrode": {"kinetics": "butler_volmer"},
    "protocol": {"mode": "galvanostatic", "current_density_mA_cm2": 1.0},
}

SUMMARY_KEYS = ["cell_voltage_V", "current_density_A_m2", "asr_total_ohm_cm2",
                "asr_constriction_ohm_cm2", "contact_fraction",
                "max_interface_current_density_A_m2", "hotspot_factor", "hotspot_location_um"]


def write_case(tmp_path: Path, case: dict, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(case))
    return path


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    case = write_case(tmp, SMALL)
    proc = run_lisse(["run", str(case), "-o", str(tmp / "out")])
    assert proc.returncode == 0, proc.stderr
    return tmp / "out", proc


def test_run_writes_a_complete_folder(serial_run):
    out, proc = serial_run
    assert "hotspot factor" in proc.stdout
    for name in ("summary.json", "interface.csv", "config_resolved.yaml", "run.json",
                 "fields.xdmf", "fields.h5", "mesh.xdmf", "interface_current.png",
                 "current_field.png"):
        assert (out / name).exists(), name
    summary = json.loads((out / "summary.json").read_text())
    for key in SUMMARY_KEYS:
        assert key in summary
    assert summary["current_density_A_m2"] == pytest.approx(10.0, rel=1e-8)
    # The contact fraction measured on the mesh equals the geometric one: 1 - (8 + 10)/40.
    assert summary["contact_fraction"] == pytest.approx(1 - 18 / 40, rel=1e-9)
    assert summary["hotspot_factor"] > 1.0
    assert summary["asr_constriction_ohm_cm2"] > 0.0
    record = json.loads((out / "run.json").read_text())
    assert {"lisse", "dolfinx", "petsc", "gmsh"} <= set(record["versions"])
    assert record["seeds"]["geometry"] == 0
    with open(out / "interface.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert set(rows[0]) == {"x_um", "y_um", "current_density_A_m2", "contact"}
    # Void floors carry no current; the contact carries all of it.
    assert all(float(r["current_density_A_m2"]) == 0.0 for r in rows if r["contact"] == "0.0")


def test_resolved_config_reruns_to_the_same_numbers(serial_run, tmp_path):
    out, _ = serial_run
    proc = run_lisse(["run", str(out / "config_resolved.yaml"), "-o", str(tmp_path / "again")])
    assert proc.returncode == 0, proc.stderr
    first = json.loads((out / "summary.json").read_text())
    again = json.loads((tmp_path / "again" / "summary.json").read_text())
    assert again["cell_voltage_V"] == pytest.approx(first["cell_voltage_V"], rel=1e-12)


@pytest.mark.slow
def test_mpi_run_matches_serial(serial_run, tmp_path):
    out, _ = serial_run
    case = write_case(tmp_path, SMALL)
    proc = run_lisse(["run", str(case), "-o", str(tmp_path / "mpi")], n=2)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("results:") == 1  # only rank 0 prints
    serial = json.loads((out / "summary.json").read_text())
    parallel = json.loads((tmp_path / "mpi" / "summary.json").read_text())
    for key in SUMMARY_KEYS[:-1]:
        assert parallel[key] == pytest.approx(serial[key], rel=1e-6), key


def test_validate_and_mesh(tmp_path):
    case = write_case(tmp_path, SMALL)
    proc = run_lisse(["validate", str(case)])
    assert proc.returncode == 0 and "valid" in proc.stdout, proc.stderr
    assert "contact fraction 0.5500" in proc.stdout
    proc = run_lisse(["mesh", str(case), "-o", str(tmp_path / "mesh")])
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "mesh" / "mesh.msh").stat().st_size > 0
    assert (tmp_path / "mesh" / "mesh.png").stat().st_size > 0


def _with(*changes):
    """SMALL with (dotted path, value) pairs applied."""
    case = yaml.safe_load(yaml.safe_dump(SMALL))
    for path, value in changes:
        *parents, last = path.split(".")
        node = case
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return case


BAD = [
    # (id, case dict or raw text, extra args, exit code, text the message must contain)
    ("malformed yaml", "geometry: [unclosed\n", [], 2, "invalid YAML"),
    ("unknown key", _with(("geometry.widht_um", 3)), [], 2, "geometry.widht_um"),
    ("negative thickness", _with(("geometry.electrolyte_thickness_um", -5)), [], 2,
     "geometry.electrolyte_thickness_um"),
    ("void outside", _with(("geometry.voids", [{"center_um": 38, "radius_um": 5,
                                                "height_um": 2}])), [], 2,
     "geometry.voids[0]: extends outside"),
    ("overlapping voids", _with(("geometry.voids", [
        {"center_um": 20, "radius_um": 5, "height_um": 2},
        {"center_um": 24, "radius_um": 5, "height_um": 2}])), [], 2, "overlaps"),
    ("void covering the interface", _with(("geometry.voids", [
        {"center_um": 0, "radius_um": 40, "height_um": 2}])), [], 2, "geometry.voids[0]"),
    ("random contact fraction 0", _with(("geometry.voids", []), (
        "geometry.random_voids", {"contact_fraction": 0, "radius_um": [1, 2]})), [], 2,
     "geometry.random_voids.contact_fraction"),
    ("unknown material", _with(("materials.electrolyte", "LLZ0")), [], 2, "LLZ0"),
    ("alpha out of range", _with(("interface.alpha_a", 1.5)), [], 2, "interface.alpha_a"),
    ("bad override", SMALL, ["--set", "protocol.current_density_mA_cm2"], 2, "--set"),
    ("diverging Newton", _with(("numerics.newton_max_iterations", 1)), [], 1,
     "did not converge"),
    ("missing file", None, [], 2, "missing.yaml"),
    ("unwritable output", SMALL, ["-o", "/proc/lisse-cannot-write"], 2, "output"),
]


@pytest.mark.parametrize("label,case,extra,code,text", BAD, ids=[b[0] for b in BAD])
def test_bad_input_one_line_error(label, case, extra, code, text, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    sentinel = out / "summary.json"
    sentinel.write_text('{"earlier": true}')
    (out / "run.json").write_text('{"versions": {"lisse": "0"}}')  # an earlier lisse run
    if case is None:
        path = tmp_path / "missing.yaml"
    elif isinstance(case, str):
        path = tmp_path / "bad.yaml"
        path.write_text(case)
    else:
        path = write_case(tmp_path, case)
    args = ["run", str(path), *extra]
    if "-o" not in extra:
        args += ["-o", str(out)]
    proc = run_lisse(args)
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("lisse: error: ")
    assert text in lines[0], lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout
    assert sentinel.read_text() == '{"earlier": true}'  # earlier outputs intact
    assert not any(p.name.endswith(".partial") for p in tmp_path.iterdir())


def test_ccd_measurements_errors_before_any_work(tmp_path, capsys):
    """--measurements needs --vary and a readable table with the varied parameter; each
    mistake is one line, exit code 2, before any mesh or solve. In-process through
    ``cli.main`` (what the ``lisse`` script runs): the one-line errors of the script itself
    are test_bad_input_one_line_error's."""
    from lisse.solver.cli import main

    path = write_case(tmp_path, SMALL)
    csv_file = tmp_path / "m.csv"
    csv_file.write_text("temperature_C,ccd_mA_cm2,source\n25,1,x\n")
    cases = [
        (["--measurements", str(csv_file)], "--measurements: needs --vary"),
        (["--vary", "evolution.stack_pressure_MPa=1,2", "--measurements", str(csv_file)],
         "no column stack_pressure_MPa"),
        (["--vary", "temperature_C=25,60", "--measurements", str(tmp_path / "none.csv")],
         "cannot read it"),
    ]
    for extra, message in cases:
        code = main(["ccd", str(path), "-o", str(tmp_path / "out"), *extra])
        err = capsys.readouterr().err
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and message in lines[0], err
        assert lines[0].startswith("lisse: error: "), err
        assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args", [
    ["schema"], ["sweep", "configs/sweeps/demo_current_temperature.yaml", "--list"]])
def test_closed_pipe_no_traceback(args):
    """``lisse schema | head``: the reader closes the pipe before lisse writes; lisse stops
    quietly with the SIGPIPE code 141 (was a BrokenPipeError traceback)."""
    import subprocess

    from tests.helpers import BIN, ROOT

    proc = subprocess.Popen([str(BIN / "lisse"), *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # the reader is gone before the first line
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err
