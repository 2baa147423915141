"""Pressurised cracks: K_I by the domain J-integral (../shared/validation.md M4, M5) and the
edge crack of a half-plane, with mesh convergence; a prescribed Li pressure on the faces."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from lisse.meshes.crack import CrackMesh
from lisse.meshes.errors import GeometryError
from lisse.solver.errors import SolverError
from lisse.solver.physics.fracture import reference_stress_intensity, solve_crack
from tests.helpers import run_mpi

A = 10e-6  # crack size a [m]
P = 1e6  # face pressure [Pa]
E, NU = 150e9, 0.26  # LLZO-like
EXTENT = 50  # body size / a: finite-size error below 0.02 %
REFINEMENTS = (4, 16, 64)  # a / tip element size
TOLERANCE = {"griffith": 0.02, "penny": 0.03, "edge": 0.02}
TARGET = {
    "griffith": ("M4 Griffith crack, internal pressure", "K_I = p·sqrt(π a)",
                 "validation.md M4"),
    "penny": ("M5 penny crack, internal pressure (axisymmetric)", "K_I = 2p·sqrt(a/π)",
              "validation.md M5"),
    "edge": ("Edge crack in a half-plane, face pressure", "K_I = 1.1215 p·sqrt(π a)",
             "Tada, Paris & Irwin 2000, p. 8.1"),
}


def _errors(kind: str) -> list[float]:
    exact = reference_stress_intensity(kind, P, A)
    return [
        solve_crack(CrackMesh(kind, A, EXTENT, tip_size=A / n), E, NU, P).stress_intensity
        / exact - 1
        for n in REFINEMENTS
    ]


@pytest.mark.parametrize("kind", ["griffith", "penny", "edge"])
def test_stress_intensity_converges_to_closed_form(kind, validation):
    errors = _errors(kind)
    finest = abs(errors[-1])
    passed = finest < TOLERANCE[kind] and all(
        abs(f) < abs(c) for c, f in zip(errors, errors[1:], strict=False))
    case, target, source = TARGET[kind]
    validation.record(
        case, target, source, f"{TOLERANCE[kind]:.0%}, error falling on refinement",
        "errors " + ", ".join(f"{e:+.2%}" for e in errors),
        f"P2, tip size a/{REFINEMENTS[0]}…a/{REFINEMENTS[-1]}, body {EXTENT}a", passed)
    assert all(abs(f) < abs(c) for c, f in zip(errors, errors[1:], strict=False)), errors
    assert finest < TOLERANCE[kind]


@pytest.mark.parametrize("kind", ["griffith", "edge"])
def test_mode_ii_face_shear_converges_to_closed_form(kind, validation):
    """A uniform face shear τ: K_II = τ sqrt(π a) (Griffith), 1.1215 τ sqrt(π a) (edge crack
    in a half-plane, Tada et al. p. 8.1), from the antisymmetric half body; K_I unchanged."""
    exact = reference_stress_intensity(kind, P, A)
    sols = [solve_crack(CrackMesh(kind, A, EXTENT, tip_size=A / n), E, NU, P, shear=P)
            for n in REFINEMENTS]
    errors = [s.mode_ii / exact - 1 for s in sols]
    passed = abs(errors[-1]) < 0.02 and all(
        abs(f) < abs(c) for c, f in zip(errors, errors[1:], strict=False))
    validation.record(
        f"{kind} crack, uniform face shear (mode II)",
        ("K_II = τ·sqrt(π a)" if kind == "griffith" else "K_II = 1.1215 τ·sqrt(π a)"),
        "Tada, Paris & Irwin 2000, pp. 5.1, 8.1", "2 %, error falling on refinement",
        "errors " + ", ".join(f"{e:+.2%}" for e in errors),
        f"P2, tip size a/{REFINEMENTS[0]}…a/{REFINEMENTS[-1]}, body {EXTENT}a", passed)
    assert all(abs(f) < abs(c) for c, f in zip(errors, errors[1:], strict=False)), errors
    assert abs(errors[-1]) < 0.02
    assert sols[-1].stress_intensity == pytest.approx(exact, rel=0.02)
    reverse = solve_crack(CrackMesh(kind, A, EXTENT, tip_size=A / 16), E, NU, 0.0, shear=-P)
    assert reverse.mode_ii == pytest.approx(-sols[1].mode_ii, rel=1e-9)
    assert reverse.stress_intensity == 0.0


def test_li_pressure_profile_enters_stress_intensity(validation):
    """A Li pressure p_Li(x) = p0 (1 − x²/a²) on the faces of a Griffith crack: from
    K_I = 2 sqrt(a/π) ∫_0^a p(x) / sqrt(a² − x²) dx = p0 sqrt(π a) / 2."""
    spec = CrackMesh("griffith", A, EXTENT, tip_size=A / 32)
    profile = solve_crack(spec, E, NU, lambda x: P * (1 - (x[0] / A) ** 2)).stress_intensity
    exact = P * np.sqrt(np.pi * A) / 2
    twice = solve_crack(spec, E, NU, 2 * P).stress_intensity
    uniform = solve_crack(spec, E, NU, P).stress_intensity
    passed = abs(profile / exact - 1) < 0.02
    validation.record(
        "Li pressure profile on a Griffith crack", "K_I = p0·sqrt(π a)/2 for p0(1 − x²/a²)",
        "Tada, Paris & Irwin 2000, p. 5.1 (Green's function)", "2 %",
        f"{profile / exact - 1:+.2%}", "P2, tip size a/32", passed)
    assert profile == pytest.approx(exact, rel=0.02)
    assert twice == pytest.approx(2 * uniform, rel=1e-9)


PENNY_3D_EXTENT = 8  # cube side / a: finite-size effect of order (a/L)³


def test_penny_crack_3d_within_tolerance():
    """M5 in 3D (an eighth of the body, tip size a/8): K_I averaged over the front within
    3 % of 2p sqrt(a/π); centre opening 8(1 − ν²)pa/(πE) within 2 %."""
    sol = solve_crack(CrackMesh("penny_3d", A, PENNY_3D_EXTENT, tip_size=A / 8), E, NU, P)
    assert sol.stress_intensity == pytest.approx(
        reference_stress_intensity("penny_3d", P, A), rel=0.03)
    assert sol.opening == pytest.approx(8 * (1 - NU**2) * P * A / (np.pi * E), rel=0.02)


@pytest.mark.slow
def test_penny_crack_3d_converges(validation):
    errors = [
        solve_crack(CrackMesh("penny_3d", A, PENNY_3D_EXTENT, tip_size=A / n), E, NU, P)
        .stress_intensity / reference_stress_intensity("penny_3d", P, A) - 1
        for n in (4, 8, 16)
    ]
    falling = all(abs(f) < abs(c) for c, f in zip(errors, errors[1:], strict=False))
    validation.record(
        "M5 penny crack, internal pressure (3D, an eighth)", "K_I = 2p·sqrt(a/π)",
        "validation.md M5", "3 %, error falling on refinement",
        "errors " + ", ".join(f"{e:+.2%}" for e in errors),
        f"P2 tetrahedra, front size a/4…a/16, cube {PENNY_3D_EXTENT}a",
        falling and abs(errors[-1]) < 0.03)
    assert falling, errors
    assert abs(errors[-1]) < 0.03


def test_crack_opening_matches_sneddon():
    """Centre opening of the Griffith crack 2u_y(0) = 4(1 − ν²) p a / E."""
    sol = solve_crack(CrackMesh("griffith", A, EXTENT, tip_size=A / 16), E, NU, P)
    assert sol.opening == pytest.approx(4 * (1 - NU**2) * P * A / E, rel=0.01)


def test_bad_crack_refused():
    with pytest.raises(GeometryError, match="crack.kind"):
        solve_crack(CrackMesh("kinked", A), E, NU, P)
    with pytest.raises(GeometryError, match="tip_size"):
        solve_crack(CrackMesh("griffith", A, tip_size=A), E, NU, P)
    with pytest.raises(ValueError, match="^shear: a face shear on a penny crack"):
        solve_crack(CrackMesh("penny", A), E, NU, P, shear=P)
    with pytest.raises(ValueError, match="^shear: a face shear on a penny crack"):
        solve_crack(CrackMesh("penny_3d", A, 8), E, NU, P, shear=P)
    with pytest.raises(SolverError, match="faces would overlap"):
        solve_crack(CrackMesh("griffith", A), E, NU, -P)


MPI_SCRIPT = """
import lisse
from mpi4py import MPI
from lisse.meshes.crack import CrackMesh
from lisse.solver.physics.fracture import solve_crack
for kind in ("griffith", "penny", "edge", "penny_3d"):
    shear = 0.0 if "penny" in kind else 1e6
    extent, n = (8, 8) if kind == "penny_3d" else (50, 16)
    sol = solve_crack(CrackMesh(kind, 1e-5, extent, tip_size=1e-5 / n), 150e9, 0.26, 1e6,
                      shear=shear)
    if MPI.COMM_WORLD.rank == 0:
        print("KI", kind, repr(sol.stress_intensity), repr(sol.mode_ii))
"""


@pytest.mark.slow
def test_mpi_matches_serial():
    proc = run_mpi([sys.executable, "-c", MPI_SCRIPT])
    assert proc.returncode == 0, proc.stderr
    lines = [line.split() for line in proc.stdout.splitlines() if line.startswith("KI")]
    assert len(lines) == 4
    for _, kind, k_i, k_ii in lines:
        extent, n = (8, 8) if kind == "penny_3d" else (50, 16)
        serial = solve_crack(CrackMesh(kind, A, extent, tip_size=A / n), E, NU, P,
                             shear=0.0 if "penny" in kind else P)
        assert float(k_i) == pytest.approx(serial.stress_intensity, rel=1e-9)
        assert float(k_ii) == pytest.approx(serial.mode_ii, rel=1e-9, abs=1e-9)


def test_crack_written_for_paraview(tmp_path):
    import meshio

    from lisse.solver.io.fracture_output import write_crack

    sol = solve_crack(CrackMesh("griffith", A, EXTENT, tip_size=A / 4), E, NU, P)
    mesh_path, fields_path = write_crack(tmp_path, sol)
    assert mesh_path.exists() and 'Attribute Name="displacement_m"' in fields_path.read_text()
    with meshio.xdmf.TimeSeriesReader(fields_path) as reader:
        points, _ = reader.read_points_cells()
        _, point_data, _ = reader.read_data(0)
    u = point_data["displacement_m"]
    mouth = np.argmin(np.hypot(points[:, 0], points[:, 1]))
    assert 2 * u[mouth, 1] == pytest.approx(sol.opening, rel=1e-12)
