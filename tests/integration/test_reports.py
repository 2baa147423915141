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
from tests.helpers import ROOT, run_lisse

BASE = {
    "name": "cell",
    "geometry": {
        "width_um": 16, "lithium_thickness_um": 8, "electrolyte_thickness_um": 12,
        "voids": [{"center_um": 0, "radius_um": 4, "height_um": 2}],
        "mesh": {"size_um": 3, "interface_size_um": 1, "edge_size_um": 0.5},
    },
    "protocol": {"current_density_mA_cm2": 0.5},
    "output": {"fields": False, "plots": True},
}
EVOLUTION = {"supply": {"creep": False, "vacancy": True},
             "steps": [{"current_density_mA_cm2": 0.5, "duration_h": 0.002}]}
CCD = {"supply": {"creep": False, "vacancy": True},
       "ccd": {"capacity_mAh_cm2": 0.05, "start_mA_cm2": 0.5, "max_mA_cm2": 1000, "rtol": 0.9}}
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
        lisse.ccd(path, vary="evolution.stack_pressure_MPa=0,2", output=out)
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


KINDS = ["steady", "evolution", "mechanics", "ccd", "study", "sweep"]


@pytest.mark.parametrize("kind", KINDS)
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
    assert "wall time" in text and "not recorded" not in text
    assert "@media print" in text and "max-width: 100%" in text and "overflow-x: auto" in text
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
