"""``lisse run`` with ``evolution.electrolyte_mechanics: elastic`` (docs/moving_interface.md,
"The electrolyte: rigid against elastic"): timeseries.csv gets the electrolyte's largest max
principal stress [MPa] and interface deflection range [nm], fields.xdmf its stress fields
and displacement at the snapshots. The TINY cell's void closes during the run, after which
the contact pressure is the uniform 2 MPa: σ_1 = −νp/(1−ν) (ν of the library electrolyte;
the values are verified in tests/verification/test_electrolyte_elastic.py); the same for the
flat 3D cell (tests/verification/test_electrolyte_elastic_3d.py)."""

from __future__ import annotations

import pytest

from lisse.solver.config.schema import resolve, validate_case
from tests.helpers import run_timeseries
from tests.verification.test_coupled_interface import case

FIELDS = ("electrolyte_max_principal_stress_Pa", "electrolyte_von_mises_Pa",
          "electrolyte_hydrostatic_pressure_Pa", "electrolyte_displacement_m")


@pytest.mark.slow
def test_run_writes_the_columns_and_fields(tmp_path):
    c = case("plane")
    c["evolution"] |= {"electrolyte_mechanics": "elastic", "field_snapshots": 2}
    c["output"] = {"fields": True, "plots": False}
    folder, header, table = run_timeseries(tmp_path, c, "out")
    stress = table[:, header.index("max_principal_stress_sse_MPa")]
    spread = table[:, header.index("interface_deflection_range_nm")]
    assert stress[0] > 0 and 0 < spread[0] < 1  # tension at the void edge; < 1 nm
    nu = resolve(validate_case(c)).electrolyte.poisson_ratio
    assert stress[-1] == pytest.approx(-nu / (1 - nu) * 2, rel=1e-6)
    xdmf = (folder / "fields.xdmf").read_text()
    for name in FIELDS:  # at the start, the 2 snapshots (the last one the end)
        assert xdmf.count(f'Name="{name}"') == 3, name


@pytest.mark.slow
def test_3d_run_writes_the_columns_and_fields(tmp_path):
    """The flat 3D cell of tests/verification/test_electrolyte_elastic_3d.py (12 × 12 µm, no
    void) through ``lisse run`` with 2 snapshots: the columns at every record are the
    uniaxial-strain values (σ_1 = −νp/(1−ν) to 1e-6; no differential deflection, < 1e-6 nm)
    and fields.xdmf has the four electrolyte fields (3-component displacement) at the 3
    times. 2.2–6 s wall (load 4–5)."""
    from tests.verification.test_coupled_3d import small_cell3d

    c = small_cell3d()
    c["geometry"]["voids"] = []
    c["evolution"] |= {"electrolyte_mechanics": "elastic", "field_snapshots": 2}
    c["output"] = {"fields": True, "plots": False}
    folder, header, table = run_timeseries(tmp_path, c, "out")
    stress = table[:, header.index("max_principal_stress_sse_MPa")]
    spread = table[:, header.index("interface_deflection_range_nm")]
    nu = resolve(validate_case(c)).electrolyte.poisson_ratio
    assert len(stress) > 1
    assert stress == pytest.approx(-nu / (1 - nu) * 2, rel=1e-6)
    assert max(abs(spread)) < 1e-6
    xdmf = (folder / "fields.xdmf").read_text()
    for name in FIELDS:
        assert xdmf.count(f'Name="{name}"') == 3, name
