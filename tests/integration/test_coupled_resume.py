"""Checkpoint and resume of coupled runs (evolution.interface_model: coupled;
solver/studies/coupled_checkpoint.py), plane strain and axisymmetric: a coupled run stopped
after k time steps (a stop request, as SIGTERM, at the k-th step) and resumed ends as the
uninterrupted run: every column of timeseries.csv, interface.csv, summary.json (but the wall
time) and the last snapshot of fields.xdmf (electrolyte and Li fields) exactly serially (also
with a step cut-back right after the resume) and to 1e-10 relative under mpirun -n 2
(round-off columns absolute: ``RESIDUALS``); a checkpoint written on 2 ranks is refused on 1
(exit 2, one line).

Run as a script (``python test_coupled_resume.py FOLDER STOP [cut-back]``) it runs the
uninterrupted and the stopped-and-resumed run into FOLDER/whole and FOLDER/part on the ranks
it is given (``script_case``: ``remesh``, ``axisymmetric``, ``3d``)."""

from __future__ import annotations

import copy
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

if __name__ != "__main__":
    from tests.helpers import ROOT, TINY, run_lisse, run_mpi
else:  # run under mpirun from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.helpers import TINY

TOL = 1e-10
STOP = 3  # the stop request comes with the 3rd time step


def case(dimension: str = "plane") -> dict:
    """TINY in plane strain (or ``dimension``; a void of radius 8 µm, 2 µm high at x = 0;
    interface mesh 4 µm, 1 µm at the void tips), coupled model at 2 MPa: stripping 1 mA/cm²
    for 0.18 s (plane: the void roof comes down and its last pockets close at ~0.07 s;
    axisymmetric: the disk's roof falls slower, 2 → 1.6 µm, and the growing steps would take
    the 0.18 s in one, so they are held at 0.02 s), fields at the start, 0.09 s and the
    end."""
    c = copy.deepcopy(TINY)
    c["geometry"]["dimension"] = dimension
    c["geometry"]["mesh"] |= {"interface_size_um": 4, "edge_size_um": 1}
    c["evolution"] = {
        "interface_model": "coupled", "stack_pressure_MPa": 2.0,
        "supply": {"creep": True, "vacancy": False},
        "steps": [{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 5e-5}],
        "time_step": {"max_gap_increment_um": 0.5},
        "field_snapshots": 2, "checkpoint_interval_s": 0,
    }
    if dimension == "axisymmetric":
        c["evolution"]["time_step"]["max_s"] = 0.02
    c["output"] = {"fields": True, "plots": False}
    return c


def remeshing_case() -> dict:
    """The TINY plane cell with Anand Li (test_li_remesh's strip, without the elastic
    electrolyte: the Li moves the same), stripped at 1 mA/cm² to 0.12 mAh/cm²: 23 steps (25
    with the cut-back), the Li remeshed before steps 19, 21 and 23; fields at the start,
    216 s and the end (the snapshots at 264 s, after the 1st remeshing, and at the end have
    the Li fields in li_remesh1.xdmf and li_remesh3.xdmf only)."""
    c = copy.deepcopy(case())
    c["lithium"] = {"creep_law": "anand"}
    c["evolution"] |= {"steps": [{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 0.12}],
                       "field_snapshots": 2}
    return c


def run_pair(folder: Path, stop: int, cut_back: bool = False, c: dict | None = None) -> None:
    """The uninterrupted run into folder/whole; the run stopped at the ``stop``-th step
    (Interrupted, its checkpoint in the staging folder, copied to folder/once) and resumed
    into folder/part. With ``cut_back`` the current solve of step ``stop`` + 1 fails once in
    both (injected), so the step is cut back: after the resume, from the checkpointed state
    before the last step (Li arrays included), which then replaces the checkpointed state
    after it. ``c``: the case (default ``case()``)."""
    from mpi4py import MPI

    from lisse.solver.config.schema import resolve, resolved_dict, validate_case
    from lisse.solver.errors import SolverError
    from lisse.solver.io.checkpoint import Interrupted, StopRequests
    from lisse.solver.physics.current import CurrentDistribution
    from lisse.solver.studies import evolution

    data = validate_case(c or case())
    params, config, comm = resolve(data), resolved_dict(data), MPI.COMM_WORLD
    original, solves = CurrentDistribution.solve, [0]

    def solve(self, mode, value):  # the current solve of the step after the stop fails once
        solves[0] += 1
        if cut_back and solves[0] == stop + 1:
            raise SolverError("Newton diverged (injected)")
        return original(self, mode, value)

    CurrentDistribution.solve = solve
    evolution.run_evolution(params, folder / "whole", comm, config)
    solves[0] = 0

    class StopAt(StopRequests):  # a SIGTERM during the stop-th step (read once per step)
        reads = 0

        @property
        def requested(self):
            StopAt.reads += 1
            return StopAt.reads >= stop

        @requested.setter
        def requested(self, value):
            pass

    evolution.StopRequests = StopAt
    try:
        evolution.run_evolution(params, folder / "part", comm, config)
        raise AssertionError("the run was not stopped")
    except Interrupted:  # keep a copy of the checkpoint (the resume replaces it)
        if comm.rank == 0:
            (folder / "once").mkdir()
            shutil.copy(folder / ".part.partial" / "checkpoint.npz", folder / "once")
    finally:
        evolution.StopRequests = StopRequests
    try:
        resumed = evolution.run_evolution(params, folder / "part", comm, config,
                                          resume=folder / "part")
    finally:
        CurrentDistribution.solve = original
    assert resumed["time_steps"] > stop and solves[0] > stop + 1


def last_fields(folder: Path, name: str = "fields.xdmf") -> dict:
    """The point data of the last snapshot of fields.xdmf, rows sorted by coordinates (or of
    the Li file ``name``, rows as written: by the Li mesh's input node numbers)."""
    import meshio

    reader = meshio.xdmf.TimeSeriesReader(folder / name)
    points, _ = reader.read_points_cells()
    time, point, _ = reader.read_data(reader.num_steps - 1)
    order = np.lexsort(points.T[::-1]) if name == "fields.xdmf" else slice(None)
    return {"time": np.array([time])} | {k: np.asarray(v)[order] for k, v in point.items()}


# under mpirun the runs are not bit-reproducible (two uninterrupted 2-rank runs differ in the
# mass-balance residual at their first step, 2.4e-9 relative): columns that are round-off
# residuals are compared with an absolute tolerance, in the column's largest value
RESIDUALS = {"mass_balance_error": 1e-9, "max_mass_balance_error": 1e-9}


def assert_same_run(a: Path, b: Path, mpi: bool = False, li_points: bool = True,
                    residuals: dict | None = None) -> None:
    """timeseries.csv, interface.csv, summary.json and the last field snapshot of run b (of
    fields.xdmf and of the last Li file, ``li_field_files``) equal run a's to TOL relative
    (``mpi``: plus TOL × the largest |value| of the timeseries column, of interface.csv or
    of the field absolute, and ``RESIDUALS`` | ``residuals`` absolute); ``li_points``:
    fields.xdmf holds the Li point data (False: it holds none, after a remeshing)."""
    absolute = RESIDUALS | (residuals or {})
    scale = {}  # the largest |value| of each timeseries column and of each file
    for name in ("timeseries.csv", "interface.csv"):
        with open(a / name) as f:
            header = f.readline().strip().split(",")
        ta, tb = (np.loadtxt(f / name, delimiter=",", skiprows=1) for f in (a, b))
        assert ta.shape == tb.shape, name
        scale = scale or dict(zip(header, np.max(np.abs(ta), axis=0), strict=True))
        scale[name] = np.max(np.abs(ta))
        for k, column in enumerate(header):
            largest = np.max(np.abs(ta if name == "interface.csv" else ta[:, k]))
            atol = absolute.get(column, TOL * largest) if mpi else 0
            np.testing.assert_allclose(tb[:, k], ta[:, k], rtol=TOL, atol=atol,
                                       err_msg=f"{name}: {column}")
    ja, jb = (json.loads((f / "summary.json").read_text()) for f in (a, b))
    ja.pop("wall_time_s"), jb.pop("wall_time_s")
    files = [j.pop("li_field_files", [None]) for j in (ja, jb)]  # a resumed run's Li files:
    assert files[0][-1] == files[1][-1]  # from its resume on (the last one the same)
    assert ja.keys() == jb.keys()
    for key, value in ja.items():
        if isinstance(value, float):
            atol = absolute.get(key, TOL * scale.get(key.removeprefix("final_"), abs(value)))
            assert jb[key] == pytest.approx(value, rel=TOL, abs=atol if mpi else 0), key
        elif isinstance(value, dict):  # the profile times [s]
            assert jb[key] == pytest.approx(value, rel=TOL, abs=0), key
        else:
            assert jb[key] == value, key
    fa, fb = last_fields(a), last_fields(b)
    assert fa.keys() == fb.keys() and ("li_displacement_m" in fa) == li_points
    if files[0][-1] is not None:  # the last snapshot of the Li's own file
        fa |= {f"li.xdmf {k}": v for k, v in last_fields(a, files[0][-1]).items()}
        fb |= {f"li.xdmf {k}": v for k, v in last_fields(b, files[0][-1]).items()}
    for key, value in fa.items():  # gaps (round-off once closed) as in interface.csv
        largest = scale["interface.csv"] if key in ("gap_um", "pores_um") \
            else np.max(np.abs(value))
        if key.endswith("_stress_Pa"):  # σ_eq is round-off at rest: the stress scale is p
            largest = max(largest, np.max(np.abs(fa[key.replace("von_mises", "mean")])))
        if key.endswith("li_equivalent_strain_rate_1_s"):  # round-off at rest: the rate
            largest = max(largest, 1.0)  # scale is the library Li's creep rate at 2 MPa, ≈ 2 1/s
        np.testing.assert_allclose(fb[key], value, rtol=TOL, atol=TOL * largest if mpi else 0,
                                   err_msg=key)


@pytest.mark.parametrize("cut_back, dimension, creep_law",
                         [(False, "plane", "power_law"),
                          pytest.param(True, "plane", "power_law", marks=pytest.mark.slow),
                          (False, "axisymmetric", "power_law"),
                          (False, "axisymmetric", "anand"),
                          (False, "axisymmetric", "stress_coupling")],
                         ids=["plain", "cut_back", "axisymmetric", "axisymmetric_anand",
                              "axisymmetric_stress"])
@pytest.mark.slow
def test_coupled_resume_serial(tmp_path, cut_back, dimension, creep_law):
    """Serial: stopped at the 3rd of 9 time steps and resumed = uninterrupted, exactly (the
    void roof comes down and its last pockets close after the resume), in plane strain and
    axisymmetric (the Li volume ∫ r dA, the r-weighted transfer weights), there also with
    Anand Li (its per-cell strength S, up to 1.32 S0 at the end, from the checkpoint) and
    with the power law and ``stress_coupling`` (the first step after the resume takes its
    Δp from the checkpoint's ``stress_excess``, li_interface_pressure "Across a smoothing").
    ``cut_back``: the first step after the resume fails and is cut back from the
    checkpointed state before the 3rd step (which replaces the state after it: hence two
    runs)."""
    c = case(dimension)
    if creep_law == "stress_coupling":
        c["evolution"]["stress_coupling"], creep_law = True, "power_law"
    c["lithium"] = {"creep_law": creep_law}
    run_pair(tmp_path, STOP, cut_back, c)
    series = np.loadtxt(tmp_path / "whole" / "timeseries.csv", delimiter=",", skiprows=1)
    assert len(series) == 9 + cut_back
    assert_same_run(tmp_path / "whole", tmp_path / "part")


@pytest.mark.slow
def test_coupled_resume_mpi_and_rank_count_refusal(tmp_path):
    """mpirun -n 2: stopped at the 3rd step and resumed = uninterrupted; the 2-rank
    checkpoint is refused by a serial resume (exit 2, one line)."""
    proc = run_mpi([sys.executable, str(Path(__file__).resolve()), str(tmp_path), str(STOP)],
                   cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert_same_run(tmp_path / "whole", tmp_path / "part", mpi=True)
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(case()))
    refused = run_lisse(["run", "case.yaml", "--resume", "once", "-o", "again"], cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "lisse: error: --resume once: the checkpoint was written on 2 MPI rank(s); resume "
        "it on 2 (this run has 1)")


@pytest.mark.slow
def test_coupled_resume_axisymmetric_mpi(tmp_path):
    """mpirun -n 2, axisymmetric: stopped at the 3rd step and resumed = uninterrupted 2-rank
    run, to TOL (round-off columns ``RESIDUALS``)."""
    proc = run_mpi([sys.executable, str(Path(__file__).resolve()), str(tmp_path), str(STOP),
                    "axisymmetric"], cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert_same_run(tmp_path / "whole", tmp_path / "part", mpi=True)


REMESHED_STOP = 21  # the stop after the 2nd remeshing, which the stopped step did


@pytest.mark.parametrize("cut_back", [pytest.param(False, marks=pytest.mark.slow), True],
                         ids=["plain", "cut_back"])
@pytest.mark.slow
def test_coupled_resume_after_remeshing_serial(tmp_path, cut_back, validation):
    """Serial: the Anand strip (``remeshing_case``) stopped at step 21, whose start remeshed
    the Li a 2nd time, and resumed on the checkpointed mesh = uninterrupted, exactly
    (timeseries.csv, interface.csv, summary.json with its 3 ``li_remeshes`` and the note's
    time, the last snapshot). ``cut_back``: step 22 fails once and is cut back to the state
    before step 21, on the Li mesh of the 1st remeshing (rebuilt from the checkpoint too)."""
    run_pair(tmp_path, REMESHED_STOP, cut_back, remeshing_case())
    difference, balance, (force, volume) = _assert_remeshed_pair(tmp_path, cut_back)
    variant = ", cut back to the 1st remeshed mesh" if cut_back else ""
    validation.record(f"E5 Li remeshing: resume after a remeshing, serial{variant}",
                      "uninterrupted run", "restart consistency", "0 (exact)",
                      f"{difference:.1e}; E5 {balance:.1e} (timeseries); 3 remeshings, "
                      "stopped after the 2nd", "TINY plane, Anand, 1 mA/cm²", True)
    validation.record(f"Li fields on the Li's own meshes after remeshings (li_remesh1.xdmf, "
                      f"li_remesh3.xdmf), serial{variant}",
                      "∫ p_c dx = stack pressure × width; ΔA(triangles) = Δ(stripped) × width",
                      "force balance; Li bookkeeping (E5)", "1e-9; 1e-8 relative",
                      f"{force:.1e}; {volume:.1e} (3 remeshings, snapshots after the 1st "
                      "and the 3rd)", "TINY plane, Anand, 1 mA/cm²", True)


# two 2-rank runs of remeshing_case differ, already in the steps before the stop, in the largest
# Li contact pressure (a node's contact reaction, converged to the flow's Newton tolerance): up
# to 2.4e-9 MPa at step 17 (1.9e-10 of the column's 12.5 MPa; 5e-12 to 1e-11 in other runs)
REMESHED_RESIDUALS = {"max_contact_pressure_MPa": 1e-8}  # [MPa]


LI_FIELDS = {"li_displacement_m": 3, "li_velocity_m_s": 3, "li_contact_pressure_Pa": 1,
             "li_von_mises_stress_Pa": 1, "li_mean_stress_Pa": 1,
             "li_equivalent_strain_rate_1_s": 1, "li_equivalent_strain": 1,
             "li_deformation_resistance_Pa": 1}  # and their components (vectors: 3)


def _area(x: np.ndarray, cells: np.ndarray) -> float:
    """Area [m²] of the straight triangles ``cells`` of the points ``x``."""
    u, v = x[cells[:, 1], :2] - x[cells[:, 0], :2], x[cells[:, 2], :2] - x[cells[:, 0], :2]
    return 0.5 * float(np.sum(np.abs(u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0])))


def assert_li_files(folder: Path) -> tuple[float, float]:
    """The Li's own files of a run that remeshed (solver.io.li_dataset): together they hold
    the snapshot times of fields.xdmf, with every Li field of the right shape and finite.
    After the 1st remeshing (the void closed, full contact): ∫ p_c dx over the contact edges
    of the present (warped) mesh = the stack pressure × the width (force balance, 1e-9:
    the flow's Newton tolerance), and the area of the present straight triangles falls
    between the first and the last of these snapshots by the stripped thickness (from
    timeseries.csv) × the width (E5, 1e-8: every boundary edge is straight once the void
    has closed, so the triangles' area is the Li volume). Returns both relative errors."""
    import meshio

    files = json.loads((folder / "summary.json").read_text())["li_field_files"]
    fields = meshio.xdmf.TimeSeriesReader(folder / "fields.xdmf")
    fields.read_points_cells()
    times = [fields.read_data(k)[0] for k in range(fields.num_steps)]
    series = np.genfromtxt(folder / "timeseries.csv", delimiter=",", names=True)
    snapshots = []  # (time, present points, cells, point data) after the 1st remeshing
    written = []
    for name in files:
        reader = meshio.xdmf.TimeSeriesReader(folder / name)
        points, cells = reader.read_points_cells()
        for k in range(reader.num_steps):
            time, point, _ = reader.read_data(k)
            written.append(time)
            assert {n: v.shape for n, v in point.items()} == {
                n: (len(points), c) if c > 1 else (len(points),) for n, c in LI_FIELDS.items()}
            assert all(np.all(np.isfinite(v)) for v in point.values()), name
            if name != "li.xdmf":
                snapshots.append((time, points + point["li_displacement_m"],
                                  cells[0].data, point))
    assert written == pytest.approx(times, rel=1e-12) and len(snapshots) >= 2
    c = case()  # the stack pressure [Pa] on the cell's width [m]
    pressure = c["evolution"]["stack_pressure_MPa"] * 1e6
    width = c["geometry"]["width_um"] * 1e-6
    force = 0.0
    for _, x, cells, point in snapshots:
        edges = np.sort(np.concatenate([cells[:, [0, 1]], cells[:, [1, 2]], cells[:, [2, 0]]]),
                        axis=1)
        edges, count = np.unique(edges, axis=0, return_counts=True)
        edges = edges[(count == 1) & np.all(x[edges, 1] < 1e-12 * width, axis=1)]  # contact
        p = point["li_contact_pressure_Pa"]
        integral = np.sum(np.abs(np.diff(x[edges, 0], axis=1))[:, 0] * p[edges].mean(axis=1))
        force = max(force, abs(integral / (pressure * width) - 1))
    (t0, x0, cells0, _), (t1, x1, cells1, _) = snapshots[0], snapshots[-1]
    stripped = np.interp([t0, t1], series["time_s"], series["li_stripped_um"]) * 1e-6
    lost = (_area(x0, cells0) - _area(x1, cells1)) / width
    volume = abs(lost / (stripped[1] - stripped[0]) - 1)
    assert force < 1e-9 and volume < 1e-8, (force, volume)
    return force, volume


def _assert_remeshed_pair(folder: Path, cut_back: bool,
                          mpi: bool = False) -> tuple[float, float, tuple[float, float]]:
    """The remeshed pair's checks (``test_coupled_resume_after_remeshing_serial``); returns
    the largest difference of timeseries.csv, in each column's largest |value|, but E5's,
    E5's (absolute) and the uninterrupted run's Li file checks (``assert_li_files``)."""
    from lisse.solver.io import checkpoint

    meta = checkpoint.read_meta(folder / "once" / checkpoint.NAME)
    assert len(meta["records"]) == REMESHED_STOP
    assert (meta["coupled"]["remeshes"], meta["previous"]["remeshes"]) == (2, 1)
    summary = json.loads((folder / "whole" / "summary.json").read_text())
    assert summary["li_remeshes"] == 3 and "notes" not in summary
    assert summary["li_field_files"] == ["li.xdmf", "li_remesh1.xdmf", "li_remesh3.xdmf"]
    series = np.loadtxt(folder / "whole" / "timeseries.csv", delimiter=",", skiprows=1)
    assert len(series) == (25 if cut_back else 23)  # the cut-back: 2 halved steps
    assert_same_run(folder / "whole", folder / "part", mpi=mpi, li_points=False,
                    residuals=REMESHED_RESIDUALS)
    other = np.loadtxt(folder / "part" / "timeseries.csv", delimiter=",", skiprows=1)
    with open(folder / "whole" / "timeseries.csv") as f:
        balance = f.readline().strip().split(",").index("mass_balance_error")
    scale = np.max(np.abs(series), axis=0)
    relative = np.abs(other - series) / np.where(scale > 0, scale, 1.0)
    return (float(np.max(np.delete(relative, balance, axis=1))),
            float(np.max(np.abs(other - series)[:, balance])),
            assert_li_files(folder / "whole"))


def li_files_difference(a: Path, b: Path) -> float:
    """The largest difference between the Li files of runs a and b (the same names, cells
    and snapshot times), snapshot by snapshot, in each field's largest |value| (σ_eq, round-off
    at rest: in the mean stress's; ε̇_eq: at least 1 /s) and of the points."""
    import meshio

    names = [json.loads((f / "summary.json").read_text())["li_field_files"] for f in (a, b)]
    assert names[0] == names[1]
    worst = 0.0
    for name in names[0]:
        ra, rb = (meshio.xdmf.TimeSeriesReader(f / name) for f in (a, b))
        (pa, ca), (pb, cb) = ra.read_points_cells(), rb.read_points_cells()
        assert np.array_equal(ca[0].data, cb[0].data) and ra.num_steps == rb.num_steps
        worst = max(worst, np.max(np.abs(pa - pb)) / np.max(np.abs(pa)))
        for k in range(ra.num_steps):
            (ta, da, _), (tb, db, _) = ra.read_data(k), rb.read_data(k)
            assert tb == pytest.approx(ta, rel=1e-12, abs=0) and da.keys() == db.keys()
            for key, value in da.items():
                scale = np.max(np.abs(value))
                if key == "li_von_mises_stress_Pa":
                    scale = max(scale, np.max(np.abs(da["li_mean_stress_Pa"])))
                if key == "li_equivalent_strain_rate_1_s":
                    scale = max(scale, 1.0)
                if scale > 0:
                    worst = max(worst, np.max(np.abs(db[key] - value)) / scale)
    return float(worst)


@pytest.mark.slow
def test_coupled_resume_after_remeshing_mpi(tmp_path, validation):
    """mpirun -n 2: the remeshed pair (stopped at step 21 and resumed on 2 ranks) =
    the uninterrupted 2-rank run, to TOL (round-off columns ``RESIDUALS`` and
    ``REMESHED_RESIDUALS``); the Li's own files of the uninterrupted 2-rank run = a serial
    run's, to TOL (``li_files_difference``)."""
    from mpi4py import MPI

    from lisse.solver.config.schema import resolve, resolved_dict, validate_case
    from lisse.solver.studies import evolution

    proc = run_mpi([sys.executable, str(Path(__file__).resolve()), str(tmp_path),
                    str(REMESHED_STOP), "remesh"], cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    difference, balance, (force, volume) = _assert_remeshed_pair(tmp_path, False, mpi=True)
    data = validate_case(remeshing_case())
    evolution.run_evolution(resolve(data), tmp_path / "serial", MPI.COMM_WORLD,
                            resolved_dict(data))
    li = li_files_difference(tmp_path / "serial", tmp_path / "whole")
    assert li < TOL
    validation.record("Li fields on the Li's own meshes after remeshings: mpirun -n 2 vs "
                      "serial", "serial li.xdmf, li_remesh1.xdmf, li_remesh3.xdmf",
                      "parallel consistency", "1e-10 of each field's largest value",
                      f"{li:.1e}; force balance {force:.1e}, area {volume:.1e} (2 ranks)",
                      "TINY plane, Anand, 1 mA/cm²", True)
    validation.record("E5 Li remeshing: resume after a remeshing, mpirun -n 2",
                      "uninterrupted 2-rank run", "restart consistency",
                      "1e-10 of each column's largest value; E5 1e-9, max contact pressure "
                      "1e-8 MPa absolute", f"{difference:.1e}; E5 {balance:.1e} "
                      "(timeseries); 3 remeshings, stopped after the 2nd",
                      "TINY plane, Anand, 1 mA/cm²", True)


def script_case(flags: list[str]) -> dict | None:
    """The case of the script's flags (None: ``case()``)."""
    if "remesh" in flags:
        return remeshing_case()
    if "axisymmetric" in flags:
        return case("axisymmetric")
    if "3d" in flags:
        from tests.integration.test_coupled_3d_run import strip_case

        return strip_case()
    return None


if __name__ == "__main__":
    run_pair(Path(sys.argv[1]), int(sys.argv[2]), cut_back="cut-back" in sys.argv[3:],
             c=script_case(sys.argv[3:]))
