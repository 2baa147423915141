"""``lisse report`` on every folder kind (issue 18 item 2): one self-contained HTML page
whose figures are ``data:`` URIs, holding the resolved config, the lisse and DOLFINx
versions, the command line, MPI ranks and wall time. Each folder is a real, tiny run
(2D, coarse mesh) through ``lisse.run`` / ``lisse.ccd`` / ``lisse.study`` / ``lisse sweep``."""

from __future__ import annotations

import copy
import json
import shlex
import shutil
from html.parser import HTMLParser
from pathlib import Path

import h5py
import pytest
import yaml

import lisse
from lisse.solver.io.report import folder_kind, write_report
from tests.helpers import ROOT, SMALL_VOID_CELL, run_lisse

BASE = {
    "name": "cell",
    **SMALL_VOID_CELL,
    "output": {"fields": False, "plots": True},
}
EVOLUTION = {"interface_model": "reduced", "supply": {"creep": False, "vacancy": True},
             "steps": [{"current_density_mA_cm2": 0.5, "duration_h": 0.002}]}
CCD = {"interface_model": "reduced", "supply": {"creep": False, "vacancy": True},
       "ccd": {"capacity_mAh_cm2": 0.05, "start_mA_cm2": 0.5, "max_mA_cm2": 1000, "rtol": 0.9}}
IMPEDANCE = {"double_layer_capacitance_uF_cm2": 10, "min_frequency_Hz": 1,
             "max_frequency_Hz": 1000, "points_per_decade": 1}
MECHANICS = {"enabled": True, "stack_pressure_MPa": 1.0, "duration_s": 1.0, "time_steps": 1,
             "element_degree": 1}
STUDY = [  # the patch study on a 5a cell, two patch sizes, one creep exponent
    "sweep.abar=[0.3,3]", "sweep.creep_exponents=[5]", "sweep.contacts=[sticking]",
    "cell.width_ratio=5", "cell.lithium_thickness_ratio=5", "cell.electrolyte_thickness_ratio=5",
    "mesh.interface_size_ratio=0.1", "mesh.edge_size_ratio=0.004", "mesh.flow_mesh_scale=1",
]


def _make(kind: str, tmp: Path) -> Path:
    """A results folder of ``kind``, computed."""
    out = tmp / kind
    case = copy.deepcopy(BASE)
    if kind == "steady":
        lisse.run(case, output=out)
    elif kind == "evolution":
        lisse.run(case | {"evolution": EVOLUTION}, output=out)
    elif kind == "mechanics":
        lisse.run(case | {"mechanics": MECHANICS}, output=out)
    elif kind == "ccd":
        path = tmp / "ccd.yaml"
        path.write_text(yaml.safe_dump(case | {"evolution": CCD}))
        measured = tmp / "measured.csv"
        measured.write_text("stack_pressure_MPa,temperature_C,ccd_mA_cm2,source\n"
                            "2,25,0.8,a measured cell\n")
        lisse.ccd(path, vary="evolution.stack_pressure_MPa=0,2", output=out,
                  measurements=measured)
    elif kind == "eis":
        lisse.eis(case | {"impedance": IMPEDANCE}, output=out)
    elif kind == "study":
        lisse.study(ROOT / "configs" / "studies" / "debonded_patch.yaml", STUDY, output=out)
    else:
        (tmp / "base.yaml").write_text(yaml.safe_dump(case))
        sweep = {"base": "base.yaml", "name": "tiny", "output": str(out),
                 "grid": {"protocol.current_density_mA_cm2": [0.25, 0.5]}}
        (tmp / "sweep.yaml").write_text(yaml.safe_dump(sweep, sort_keys=False))
        proc = run_lisse(["sweep", str(tmp / "sweep.yaml"), "--jobs", "1"])
        assert proc.returncode == 0, proc.stderr
    return out


class _Page(HTMLParser):
    """The text, the ``src``/``href`` attributes and the tags of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.links, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [(tag, k, v) for k, v in attrs if k in ("src", "href")]

    def handle_data(self, data):
        self.text.append(data)


KINDS = ["steady", "evolution", "mechanics", "eis", "ccd", "study", "sweep"]


@pytest.mark.parametrize("kind", [  # eis, ccd, study and sweep run several solves: slow
    pytest.param(k, marks=[pytest.mark.slow] if k in ("eis", "ccd", "study", "sweep") else [])
    for k in KINDS])
@pytest.mark.slow
def test_report_is_one_self_contained_page(kind, tmp_path):
    results = _make(kind, tmp_path)
    assert folder_kind(results) == kind
    page = write_report(results, tmp_path / "report")
    assert [p.name for p in (tmp_path / "report").rglob("*.html")] == ["report.html"]
    assert (tmp_path / "report" / "report.md").exists()
    alone = tmp_path / "alone"  # the page copied with no other file beside it
    alone.mkdir()
    shutil.copy(page, alone / "page.html")
    parsed = _Page()
    parsed.feed((alone / "page.html").read_text())
    parsed.close()
    text = "".join(parsed.text)
    images = [v for tag, k, v in parsed.links if tag == "img"]
    assert images, "no figure"
    assert all(v.startswith("data:image/png;base64,") for tag, k, v in parsed.links)
    assert "details" in parsed.tags and "summary" in parsed.tags
    config = results / ("sweep.json" if kind == "sweep" else "config_resolved.yaml")
    assert config.read_text() in text
    run = results / "run.json" if kind != "sweep" else next(results.glob("cases/*/run.json"))
    record = json.loads(run.read_text())
    for name in ("lisse", "dolfinx"):
        assert f"{name}{record['versions'][name]}" in text.replace("\n", "")
    assert shlex.join(record["command"]) in text
    if kind == "sweep":  # the command recorded is a case's, and said so
        assert "command of case " in text
    assert " um<" not in text and "ohm*cm^2" not in text  # units as on the plots: µm, Ω cm²
    assert "wall time" in text and "not recorded" not in text
    assert "@media print" in text and "max-width: 100%" in text and "overflow-x: auto" in text
    if kind == "eis":  # the spectrum's headline and figures
        assert "Z′ at 1 Hz" in text and "Z″ at 1000 Hz" in text
        assert len(images) == 2  # Nyquist and Bode
    if kind == "ccd":  # the trials, the curve with the measurement; PNG and PDF of each
        figures = {p.name for p in lisse.Result.from_folder(results, "ccd").figures}
        assert figures == {"ccd.png", "ccd.pdf", "ccd_trials.png", "ccd_trials.pdf"}
        assert "CCD search: trials" in text
        html = page.read_text()  # each headline CCD with its unit (the column was empty)
        assert html.count("<td>mA/cm²</td></tr>") >= 2 and "ccd_mA_cm2 at " in html
    if kind == "sweep":  # the table of the cases, and the HDF5 table with units
        assert text.count("done") >= 2
        with h5py.File(results / "sweep.h5") as h5:
            table = h5["table"]
            assert table["cell_voltage_V"].attrs["units"] == "V"
            assert table["protocol.current_density_mA_cm2"].attrs["units"] == "mA/cm^2"
            assert table["hotspot_factor"].attrs["units"] == ""
            assert table["wall_time_s"].attrs["units"] == "s"
            ids = [s.decode() for s in table["case_id"][:]]
            assert sorted(h5["cases"]) == sorted(ids)
            case = h5["cases"][ids[1]]
            assert case.attrs["status"] == "done" and case.attrs["index"] == 1
            assert case["protocol.current_density_mA_cm2"][()] == 0.5
            assert case["asr_total_ohm_cm2"].attrs["units"] == "ohm*cm^2"
            assert case["cell_voltage_V"][()] == pytest.approx(table["cell_voltage_V"][1])


# --- ParaView: one dataset on the full cell mesh (issue 18 item 3) -------------------------


def _fields(folder: Path):
    """Points, cells and [(time, point data, cell data)] of ``fields.xdmf``, read by meshio."""
    from meshio.xdmf import TimeSeriesReader

    with TimeSeriesReader(folder / "fields.xdmf") as reader:
        points, cells = reader.read_points_cells()
        steps = [reader.read_data(k) for k in range(reader.num_steps)]
    return points, cells, steps


def _with_fields(case: dict) -> dict:
    case = copy.deepcopy(case)
    case["output"] = {"fields": True, "plots": False}
    return case


def test_fields_of_a_mechanics_run_are_one_dataset(tmp_path):
    import meshio
    import numpy as np

    out = tmp_path / "run"
    result = lisse.run(_with_fields(BASE) | {"mechanics": MECHANICS}, output=out)
    assert {p.name for p in result.fields} == {"fields.xdmf", "mesh.xdmf"}
    assert not list(out.glob("*.bp"))
    points, cells, steps = _fields(out)
    assert [c.type for c in cells] == ["triangle"] and len(steps) == 1
    time, point, cell = steps[0]
    assert time == pytest.approx(MECHANICS["duration_s"])
    region = cell["region"][0]
    assert set(np.unique(region)) == {1, 2}  # electrolyte and Li in one dataset
    assert (region == 1).sum() == result.summary["electrolyte_cells"]
    assert set(point) == {"electrolyte_potential_V", "displacement_m"}
    assert set(cell) == {"region", "current_density_A_m2", "von_mises_Pa",
                         "hydrostatic_pressure_Pa", "creep_strain"}
    for values in [*point.values(), *(v[0] for v in cell.values())]:
        assert np.all(np.isfinite(values))
    # the electrolyte potential is 0 in the Li (nodes of Li cells only), nonzero elsewhere
    li_only = np.setdiff1d(cells[0].data[region == 2], cells[0].data[region == 1])
    assert np.all(point["electrolyte_potential_V"][li_only] == 0)
    assert np.abs(point["electrolyte_potential_V"]).max() > 0
    assert np.all(cell["current_density_A_m2"][0][region == 2] == 0)
    assert np.abs(cell["von_mises_Pa"][0][region == 2]).max() > 0
    # lengths in metres: the cell is 16 µm wide
    assert np.ptp(points[:, 0]) == pytest.approx(16e-6, rel=1e-9)
    mesh = meshio.read(out / "mesh.xdmf")
    assert [c.type for c in mesh.cells] == ["triangle", "line"]
    assert len(mesh.cells[0].data) == len(cells[0].data)
    assert set(np.unique(mesh.cell_data["region"][0])) == {1, 2}
    assert {11, 14, 15} <= set(np.unique(mesh.cell_data["facet_tag"][1]))  # contact, ...
    with h5py.File(out / "fields.h5") as h5:
        assert h5.attrs["length_unit"] == "m"


def test_fields_of_an_evolution_run_are_one_time_series(tmp_path):
    import numpy as np

    out = tmp_path / "evo"
    case = _with_fields(BASE) | {"evolution": EVOLUTION | {"field_snapshots": 2}}
    lisse.run(case, output=out)
    _, cells, steps = _fields(out)
    times = [t for t, _, _ in steps]
    assert times[0] == 0 and times[-1] == pytest.approx(7.2) and np.all(np.diff(times) > 0)
    for _, point, cell in steps:
        assert set(point) == {"electrolyte_potential_V", "gap_um", "pores_um",
                              "contact_share", "local_current_density_A_m2"}
        assert set(np.unique(cell["region"][0])) == {1, 2}
        assert len(cell["region"][0]) == len(cells[0].data)
        assert all(np.all(np.isfinite(v)) for v in point.values())
    assert np.abs(steps[-1][1]["local_current_density_A_m2"]).max() > 0


@pytest.mark.slow
def test_fields_under_mpi_equal_the_serial_ones(tmp_path):
    import numpy as np

    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(_with_fields(BASE)))
    runs = []
    for n in (1, 2):
        proc = run_lisse(["run", str(path), "-o", str(tmp_path / f"n{n}")], n=n)
        assert proc.returncode == 0, proc.stderr
        runs.append(_fields(tmp_path / f"n{n}"))
    (p1, c1, s1), (p2, c2, s2) = runs
    assert np.array_equal(p1, p2) and np.array_equal(c1[0].data, c2[0].data)
    for name, values in s1[0][1].items():
        assert s2[0][1][name] == pytest.approx(values, rel=1e-9, abs=1e-12), name
    for name, values in s1[0][2].items():
        assert s2[0][2][name][0] == pytest.approx(values[0], rel=1e-9, abs=1e-9), name
