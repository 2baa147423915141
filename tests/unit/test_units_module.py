"""Every unit conversion lives in lisse/units.py: no module multiplies or divides by, or
names, a conversion factor (powers of ten of the SI prefixes, 10 or 0.1 for mA/cm², 273.15, 3600,
3.6e4, F, R) written as a literal. The allow-list names the few literals that are not unit
conversions (a dimensionless ratio or a tolerance in SI), with the reason."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FACTORS = {1e6, 1e-6, 1e3, 1e-3, 1e9, 1e-9, 1e4, 1e-4, 1e2, 1e-2, 10.0, 0.1,
           273.15, 3600.0, 3.6e4, 96485.33212, 8.314462618}
ALLOWED: dict[str, str] = {  # "path:fragment of the line": why it is not a conversion
    "solver/physics/conductivity.py:LIQUID_ELECTRONIC_FACTOR = 1e-6": "a ratio",
    "solver/physics/mechanics.py:ETA_MAX = 1e-2": "a relative tolerance",
    "solver/studies/sweep.py:TABLE_EVERY_S = 10.0": "a time interval [s]",
    "solver/physics/patch_flow.py:REGULARISATION_START = 1e-2": "dimensionless",
    "solver/studies/void_map.py:NEUTRAL_BAND = 1e-3": "a ratio of void volumes",
    "solver/studies/void_map.py:CLOSED = 1e-2": "a ratio of void volumes",
    "solver/physics/patch_flow.py:PATH_RTOL = 1e-4": "a relative tolerance",
    "solver/studies/gap_closure.py:RATE_RTOL = 0.01": "a relative tolerance",
    "solver/studies/gap_closure.py:dt = 1e-3 /": "a creep strain over a strain rate",
    "solver/config/physics_schema.py:used, unused, limit =": "a bound in the field's unit",
    "solver/studies/patch.py:(\"abar\", 1e-3, 1e4)": "bounds of a dimensionless ratio",
    "solver/studies/patch.py:[0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0]": "dimensionless ā values",
    "solver/physics/lithium_body.py:1e-9 *": "a relative tolerance",
    "solver/physics/li_remesh.py:MERGE_RATIO = 0.1": "a ratio of two edge lengths",
    "solver/physics/li_boundary_split.py:SPLIT_FLOOR = 10.0": "a ratio of two lengths",
    "solver/physics/li_exhaustion.py:EXHAUSTED_TOLERANCES = 10.0": "a ratio of two lengths",
    "solver/physics/li_exhaustion.py:COLLAPSE_FRACTION = 1e-9": "a ratio of two times",
    "solver/physics/li_pockets_3d.py:MATCH = 1e-6": "a relative tolerance (of t)",
    "solver/fem/bordered.py:STALL_RATIO = 1e-6": "a relative tolerance",
    "meshes/build.py:tol = 1e-6 *": "a relative tolerance",
    "meshes/microstructure_cad.py:tol = 1e-6 *": "a relative tolerance",
    "meshes/microstructure_cad.py:<= 1e-9 * scale": "a relative tolerance",
    "meshes/polycrystal.py:tol = 1e-9 *": "a relative tolerance",
    "meshes/polycrystal.py:(1e-2 * grains_spec.size)": "a fraction of the grain size",
    "meshes/voids.py:CONTACT_FRACTION_TOL = 1e-6": "a tolerance on a fraction",
    "meshes/voids.py:FACE_TOL = 1e-9": "a relative tolerance",
    "meshes/refine.py:ON_PLANE = 1e-9": "a relative tolerance (of the cell height)",
    "meshes/voids.py:0.1 * CONTACT_FRACTION_TOL": "a fraction of a tolerance",
    "meshes/crack.py:far_size, 0.1 * a": "a fraction of the crack size",
    "meshes/crack.py:tol = 1e-6 * L": "a relative tolerance",
    "solver/physics/fracture.py:axis=1) < 1e-9 * a": "a relative tolerance (of the crack size)",
    "solver/physics/mechanics_facets.py:CLOSED_GAP * 1e-3": "a fraction of a tolerance",
    "solver/physics/coupled_3d.py:< 1e-9 * np.ptp": "a relative tolerance (of the Li depth)",
    "solver/physics/coupled_3d.py:> 1e-9 * evo.size": "a relative tolerance (of the cell)",
    "solver/physics/coupled_3d.py:<= 1e-6 * scale": "a relative tolerance (of an edge)",
    "solver/physics/mechanics.py:0.1 * tol / norm": "a fraction of the Newton tolerance",
    "solver/physics/mechanics.py:SHARE = 0.1": "a ratio of linear tolerance to contraction",
    "solver/physics/coupled_cavities.py:PORE_STEP = 0.1": "a fraction of the pore height",
    "solver/physics/contact_transfer_3d.py:> 1e-9 * size": "a relative tolerance (of the cell)",
    "solver/physics/li_smoothing_3d.py:> 1e-9 * self.size": "a relative tolerance (of the Li)",
    "solver/physics/electrolyte_elastic_3d.py:> 1e-9 * evo.size":
        "a relative tolerance (of the cell)",
    "solver/studies/patch_coupled.py:[0.1, 0.63, 4.0]": "the default stack pressures [MPa]",
}


def offenders() -> list[str]:
    found = []
    for folder in ("lisse", "solver", "meshes"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel == "lisse/units.py":
                continue
            text = path.read_text(encoding="utf-8")
            lines = text.splitlines()
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                    sides = [node.value]  # a conversion factor given its own name
                elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
                    sides = [node.left, node.right]
                elif isinstance(node, ast.Tuple | ast.List):
                    sides = node.elts  # tables of (name, attribute, factor)
                else:
                    continue
                for side in sides:
                    if (isinstance(side, ast.Constant) and type(side.value) is float
                            and side.value in FACTORS):
                        line = lines[side.lineno - 1].strip()
                        if not any(rel == key.split(":", 1)[0] and key.split(":", 1)[1] in line
                                   for key in ALLOWED):
                            found.append(f"{rel}:{side.lineno}: {line}")
    return found


def test_no_conversion_factor_outside_the_units_module():
    bad = offenders()
    assert not bad, "unit conversions outside lisse/units.py:\n" + "\n".join(bad)
