"""``lisse report`` on a small sweep and on one run folder: the pages, and the plots looked
at (size in pixels, and the data lines actually drawn)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.image import imread

from lisse.plotstyle import OKABE_ITO
from tests.integration.test_sweep import lisse, read_table, write_sweep

C0 = np.array(to_rgb(OKABE_ITO[0]))  # the first line colour of the lisse style


def drawn(path, colour=C0, per_case: bool = False) -> int:
    """Pixels of ``colour`` in a PNG of FIGSIZE x DPI pixels (CASES_FIGSIZE for the figures
    with a line per case and the legend beside the axes)."""
    from lisse.solver.io.report_figures import CASES_FIGSIZE, DPI, FIGSIZE

    size = CASES_FIGSIZE if per_case else FIGSIZE
    image = imread(path)
    assert image.shape[:2] == (round(size[1] * DPI), round(size[0] * DPI))
    return int((np.abs(image[:, :, :3] - colour).max(axis=2) < 0.05).sum())


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """3 void radii x 2 currents, one of them failing (void 0 overlaps void 1)."""
    tmp = tmp_path_factory.mktemp("report")
    path = write_sweep(
        tmp,
        grid={
            "geometry.voids.0.radius_um": [4, 8, 25],
            "protocol.current_density_mA_cm2": [0.5, 1],
        },
        output=str(tmp / "out"),
    )
    proc = lisse(["sweep", str(path), "--jobs", "1"], tmp / "cache")
    assert proc.returncode == 1, proc.stderr  # the radius-25 cases fail
    return path, tmp / "out"


@pytest.mark.slow
def test_sweep_report(sweep):
    path, out = sweep
    proc = lisse(["report", str(path)], out.parent / "cache")  # the sweep file finds RESULTS
    assert proc.returncode == 0, proc.stderr
    report = out / "report"
    assert proc.stdout.strip() == f"report: {report / 'report.html'}"
    markdown = (report / "report.md").read_text()
    page = (report / "report.html").read_text()
    assert "| done | 4 |" in markdown and "| failed | 2 |" in markdown
    assert "GeometryError: geometry.voids[1]: overlaps geometry.voids[0]" in markdown
    figure = "hotspot_factor-vs-geometry_voids_0_radius_um.png"
    assert f"]({figure})" in markdown and "src='" not in page  # figures embedded
    assert page.count('src="data:image/png;base64,') >= 3
    # one line per current density, 2 points each (the failed radius is absent): drawn
    assert drawn(report / figure) > 200
    # the contact fraction varies with the radius: hotspot factor against it
    assert drawn(report / "hotspot_factor-vs-contact_fraction.png") > 20
    assert drawn(report / "interface_profiles.png", per_case=True) > 200
    # the table was rebuilt from the case folders on the way
    assert [r["status"] for r in read_table(out)] == ["done"] * 4 + ["failed"] * 2


@pytest.mark.slow
def test_run_report(sweep, tmp_path):
    _, out = sweep
    case = out / "cases" / read_table(out)[0]["case_id"]
    proc = lisse(["report", str(case), "-o", str(tmp_path / "r")], out.parent / "cache")
    assert proc.returncode == 0, proc.stderr
    markdown = (tmp_path / "r" / "report.md").read_text()
    assert "| hotspot_factor |" in markdown and "interface_current.png" in markdown
    assert drawn(tmp_path / "r" / "interface_profile.png") > 200


def test_report_rejects_other_folders(tmp_path):
    proc = lisse(["report", str(tmp_path)], tmp_path / "cache")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"lisse: error: {tmp_path}: not a results folder of lisse (summary.json, ccd.json, "
        "patch_study.json or sweep.json)"
    )


def test_report_of_a_missing_folder_creates_nothing(tmp_path):
    """The default output RESULTS/report of a folder that does not exist: one line, exit
    code 2, and RESULTS is not created (it was, empty, beside the error)."""
    missing = tmp_path / "nothere"
    proc = lisse(["report", str(missing)], tmp_path / "cache")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"lisse: error: {missing}: not a results folder of lisse (no such folder)")
    assert not missing.exists()
    # a sweep file whose sweep has not run: its folder is not created either
    sweep = write_sweep(tmp_path / "sw", {"temperature_C": [0, 25]},
                        output=str(tmp_path / "swout"))
    proc = lisse(["report", str(sweep)], tmp_path / "cache")
    assert proc.returncode == 2 and "no such folder" in proc.stderr, proc.stderr
    assert not (tmp_path / "swout").exists()


@pytest.mark.slow
def test_sweep_report_of_evolution_cases(tmp_path):
    """Cases with a strip protocol: the report draws their contact fraction against time."""
    import yaml

    from tests.integration.test_sweep import BASE

    base = {
        **BASE,
        "evolution": {
            "interface_model": "reduced",
            "stack_pressure_MPa": 0,
            "steps": [{"current_density_mA_cm2": 0.1, "capacity_mAh_cm2": 0.01}],
            "field_snapshots": 0,
        },
    }
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base))
    sweep = {
        "base": "base.yaml",
        "name": "evo",
        "output": str(tmp_path / "out"),
        "grid": {"evolution.steps.0.current_density_mA_cm2": [0.05, 0.1]},
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep, sort_keys=False))
    proc = lisse(["sweep", str(path), "--jobs", "1"], tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    proc = lisse(["report", str(path)], tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    report = tmp_path / "out" / "report"
    assert "contact_fraction-vs-time.png" in (report / "report.md").read_text()
    assert drawn(report / "contact_fraction-vs-time.png", per_case=True) > 100
