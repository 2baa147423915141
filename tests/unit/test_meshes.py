"""Tests of the Gmsh builders, void populations, mesh cache and MPI loading (small meshes)."""

from __future__ import annotations

import ast
import dataclasses
import itertools
import math
import os
import pathlib
import subprocess
import sys

import gmsh
import pytest

import lisse.meshes.cache as mesh_cache
from lisse.meshes.build import validate_geometry
from lisse.meshes.cache import geometry_key, load_mesh, mesh_file
from lisse.meshes.geometry import CELL_TAGS, FACET_TAGS, CellGeometry, MeshSizes, Void
from lisse.meshes.picture import mesh_picture
from lisse.meshes.voids import CONTACT_FRACTION_TOL, contact_fraction, lateral_extent, random_voids
from lisse.solver.errors import GeometryError

UM = 1e-6
ROOT = pathlib.Path(__file__).resolve().parents[2]
MICROSTRUCTURE_FACETS = {"crack_lithium", "liquid_lithium", "pore", "crack_face"}
SIZES_2D = MeshSizes(bulk=5 * UM, interface=1.5 * UM, edge=0.3 * UM)
SIZES_3D = MeshSizes(bulk=4 * UM, interface=1.5 * UM, edge=0.5 * UM)

PLANE = CellGeometry(
    "plane",
    width=50 * UM,
    lithium_thickness=20 * UM,
    electrolyte_thickness=30 * UM,
    sizes=SIZES_2D,
    voids=(
        Void((0.0,), 5 * UM, 3 * UM),
        Void((20 * UM,), 4 * UM, 8 * UM, "cap"),
        Void((50 * UM,), 6 * UM, 4 * UM),
    ),
)
AXISYMMETRIC = dataclasses.replace(
    PLANE,
    dimension="axisymmetric",
    voids=(Void((0.0,), 5 * UM, 3 * UM), Void((20 * UM,), 4 * UM, 2 * UM, "cap")),
)
SOLID = CellGeometry(
    "3d",
    width=20 * UM,
    depth=20 * UM,
    lithium_thickness=10 * UM,
    electrolyte_thickness=10 * UM,
    sizes=SIZES_3D,
    voids=(
        Void((12 * UM, 10 * UM), 3 * UM, 2 * UM, "cap"),
        Void((20 * UM, 5 * UM), 3 * UM, 4 * UM),
    ),
)
SPOT = CellGeometry(
    "axisymmetric",
    width=50 * UM,
    lithium_thickness=20 * UM,
    electrolyte_thickness=30 * UM,
    sizes=SIZES_2D,
    contact_spot_radius=10 * UM,
    gap_height=1 * UM,
)


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    """Every test writes its meshes to its own temporary cache."""
    monkeypatch.setenv("LISSE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def physical_groups(path: pathlib.Path) -> dict[str, tuple[int, int]]:
    """name -> (dim, tag) of the physical groups in a .msh file."""
    gmsh.initialize(interruptible=False)
    gmsh.option.setNumber("General.Terminal", 0)
    try:
        gmsh.open(str(path))
        return {gmsh.model.getPhysicalName(d, t): (d, t) for d, t in gmsh.model.getPhysicalGroups()}
    finally:
        gmsh.finalize()


@pytest.mark.parametrize(
    ("geom", "expected"),
    [
        (PLANE, set(FACET_TAGS) - {"axis"}),
        (AXISYMMETRIC, set(FACET_TAGS)),
        (SOLID, set(FACET_TAGS) - {"axis"}),
        (SPOT, set(FACET_TAGS)),
    ],
    ids=["plane", "axisymmetric", "3d", "spot"],
)
def test_physical_groups(geom, expected):
    groups = physical_groups(mesh_file(geom))
    facet_dim, cell_dim = geom.gdim - 1, geom.gdim
    expected -= MICROSTRUCTURE_FACETS  # tagged only in cells with microstructure
    assert groups == {
        **{name: (cell_dim, CELL_TAGS[name]) for name in ("electrolyte", "lithium")},
        **{name: (facet_dim, FACET_TAGS[name]) for name in expected},
    }


def facet_integrals(geom: CellGeometry) -> dict[str, float]:
    """Measures of the contact and void_electrolyte facets (2 pi r weighted if axisymmetric)."""
    import ufl
    from dolfinx import fem
    from mpi4py import MPI

    data = load_mesh(geom, MPI.COMM_WORLD)
    weight = 2 * math.pi * ufl.SpatialCoordinate(data.mesh)[0]
    if geom.dimension != "axisymmetric":
        weight = fem.Constant(data.mesh, 1.0)
    dS = ufl.Measure("dS", data.mesh, subdomain_data=data.facet_tags)
    ds = ufl.Measure("ds", data.mesh, subdomain_data=data.facet_tags)
    return {
        "contact": fem.assemble_scalar(fem.form(weight("+") * dS(FACET_TAGS["contact"]))),
        "void": fem.assemble_scalar(fem.form(weight * ds(FACET_TAGS["void_electrolyte"]))),
    }


@pytest.mark.parametrize(
    ("geom", "interface"),
    [(PLANE, 50 * UM), (AXISYMMETRIC, math.pi * (50 * UM) ** 2), (SPOT, math.pi * (50 * UM) ** 2)],
    ids=["plane", "axisymmetric", "spot"],
)
def test_contact_measure_2d(geom, interface):
    measured = facet_integrals(geom)
    assert measured["contact"] == pytest.approx(contact_fraction(geom) * interface, rel=1e-6)
    assert measured["contact"] + measured["void"] == pytest.approx(interface, rel=1e-9)


def test_contact_measure_3d():
    """Contact area of a cap void and a clipped half void; rims are polygons in the mesh."""
    measured = facet_integrals(SOLID)
    interface = SOLID.width * SOLID.depth
    assert contact_fraction(SOLID) == pytest.approx(1 - 1.5 * math.pi * 9 / 400)
    assert measured["contact"] + measured["void"] == pytest.approx(interface, rel=1e-9)
    rim_error = 1.5 * (SIZES_3D.edge / (3 * UM)) ** 2  # inscribed-polygon area loss, relative
    void = interface - measured["contact"]
    assert void == pytest.approx((1 - contact_fraction(SOLID)) * interface, rel=rim_error)
    assert void < (1 - contact_fraction(SOLID)) * interface


def test_contact_spot_fraction():
    assert contact_fraction(SPOT) == pytest.approx(0.04)
    plane_spot = dataclasses.replace(SPOT, dimension="plane")
    assert contact_fraction(plane_spot) == pytest.approx(0.2)
    solid_spot = dataclasses.replace(SOLID, voids=(), contact_spot_radius=5 * UM, gap_height=UM)
    assert contact_fraction(solid_spot) == pytest.approx(math.pi * 25 / 4 / 400)


RANDOM = {
    "plane": dict(width=200 * UM, depth=0.0, radius_range=(3 * UM, 8 * UM)),
    "axisymmetric": dict(width=200 * UM, depth=0.0, radius_range=(3 * UM, 8 * UM)),
    "3d": dict(width=60 * UM, depth=40 * UM, radius_range=(3 * UM, 6 * UM)),
}


def population(dimension: str, seed: int, shape: str = "ellipse") -> tuple[Void, ...]:
    return random_voids(
        dimension,
        contact_fraction=0.7,
        height_ratio=0.5,
        shape=shape,
        seed=seed,
        min_spacing=0.2 * UM,
        **RANDOM[dimension],
    )


@pytest.mark.parametrize("dimension", ["plane", "axisymmetric", "3d"])
def test_random_voids(dimension):
    voids = population(dimension, seed=1)
    assert voids == population(dimension, seed=1)
    assert voids != population(dimension, seed=2)
    geom = CellGeometry(
        dimension,
        width=RANDOM[dimension]["width"],
        depth=RANDOM[dimension]["depth"],
        lithium_thickness=20 * UM,
        electrolyte_thickness=20 * UM,
        sizes=SIZES_2D,
        voids=voids,
    )
    validate_geometry(geom)  # inside the cell, no overlaps
    assert abs(contact_fraction(geom) - 0.7) < CONTACT_FRACTION_TOL
    for a, b in itertools.combinations(voids, 2):
        assert math.dist(a.center, b.center) >= lateral_extent(a) + lateral_extent(b) + 0.2 * UM


def test_random_voids_tall_caps_stay_apart():
    voids = population("plane", seed=3, shape="cap")
    assert all(v.shape == "cap" for v in voids)
    for a, b in itertools.combinations(voids, 2):
        assert math.dist(a.center, b.center) >= lateral_extent(a) + lateral_extent(b)


def test_random_voids_unreachable():
    with pytest.raises(GeometryError, match="cannot reach contact fraction 0.05"):
        random_voids("3d", 20 * UM, 20 * UM, 0.05, (3 * UM, 4 * UM), 0.5, seed=0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            dict(voids=(Void((10 * UM,), 5 * UM, 3 * UM), Void((18 * UM,), 4 * UM, 3 * UM))),
            "voids[1]: overlaps geometry.voids[0]",
        ),
        (
            dict(voids=(Void((48 * UM,), 4 * UM, 3 * UM),)),
            "voids[0]: extends outside the cell (x = 52 µm > width 50 µm)",
        ),
        (
            dict(voids=(Void((25 * UM,), 4 * UM, 30 * UM),)),
            "voids[0]: height 30 µm exceeds the lithium thickness 20 µm",
        ),
        (
            dict(voids=(Void((25 * UM,), -1 * UM, 3 * UM),)),
            "voids[0]: radius and height must be positive",
        ),
        (dict(voids=(Void((25 * UM,), 4 * UM, 3 * UM, "cube"),)), "voids[0]: shape"),
        (dict(voids=(Void((25 * UM, 1 * UM), 4 * UM, 3 * UM),)), "voids[0]: center"),
        (dict(voids=(Void((25 * UM,), 25 * UM, 3 * UM),)), "voids[0]: closer than"),
        (
            dict(voids=(Void((0.0,), 25 * UM, 3 * UM), Void((50 * UM,), 25 * UM, 3 * UM))),
            "voids[1]: overlaps",
        ),
        (dict(width=0.0), "geometry.width: must be positive"),
        (dict(lithium_thickness=-1 * UM), "geometry.lithium_thickness"),
        (dict(sizes=MeshSizes(1 * UM, 1 * UM, 0.0)), "geometry.sizes.edge"),
        (dict(dimension="4d"), "geometry.dimension"),
        (dict(dimension="3d"), "geometry.depth"),
        (dict(contact_spot_radius=5 * UM), "geometry.contact_spot_radius: cannot be combined"),
        (dict(voids=(), contact_spot_radius=5 * UM), "geometry.gap_height: must be positive"),
        (dict(voids=(), contact_spot_radius=5 * UM, gap_height=20 * UM), "geometry.gap_height"),
        (
            dict(voids=(), contact_spot_radius=50 * UM, gap_height=UM),
            "geometry.contact_spot_radius",
        ),
    ],
)
def test_bad_geometry(change, field):
    geom = dataclasses.replace(PLANE, **change)
    with pytest.raises(GeometryError, match="^geometry.") as error:
        mesh_file(geom)
    assert field in str(error.value)
    assert "\n" not in str(error.value)


def test_axisymmetric_ring_crossing_axis():
    geom = dataclasses.replace(AXISYMMETRIC, voids=(Void((2 * UM,), 4 * UM, 3 * UM),))
    with pytest.raises(
        GeometryError, match=r"voids\[0\]: extends outside the cell \(r = -2 µm < 0\)"
    ):
        validate_geometry(geom)


def test_mesh_failure_is_geometry_error(monkeypatch):
    def fail(dim):
        raise Exception("Invalid boundary mesh (overlapping facets)")

    monkeypatch.setattr(gmsh.model.mesh, "generate", fail)
    with pytest.raises(GeometryError, match="^mesh generation failed: Invalid boundary mesh"):
        mesh_file(PLANE)


def test_cache_reuse(cache_dir, monkeypatch):
    path = mesh_file(PLANE)
    assert path.parent == cache_dir and path.suffix == ".msh"
    stamp = path.stat().st_mtime_ns

    def rebuild(geom, target):
        raise AssertionError("cached mesh was rebuilt")

    monkeypatch.setattr(mesh_cache, "write_msh", rebuild)
    assert mesh_file(PLANE) == path
    assert path.stat().st_mtime_ns == stamp
    assert list(cache_dir.iterdir()) == [path]  # no temporary file left
    assert geometry_key(dataclasses.replace(PLANE, width=60 * UM)) != geometry_key(PLANE)


MPI_SCRIPT = """
import dataclasses, sys
from mpi4py import MPI
from lisse.meshes.cache import load_mesh
from lisse.meshes.geometry import CellGeometry, MeshSizes, Void
from lisse.solver.errors import GeometryError
UM = 1e-6
geom = CellGeometry("plane", 50 * UM, 20 * UM, 30 * UM, MeshSizes(5 * UM, 1.5 * UM, 0.3 * UM),
                    voids=(Void((0.0,), 5 * UM, 3 * UM), Void((20 * UM,), 4 * UM, 8 * UM, "cap")))
data = load_mesh(geom, MPI.COMM_WORLD)
cells = data.mesh.topology.index_map(2).size_global
try:
    load_mesh(dataclasses.replace(geom, width=10 * UM), MPI.COMM_WORLD)
except GeometryError as error:
    message = str(error)
ranks = MPI.COMM_WORLD.gather((data.mesh.geometry.dim, cells, message))
if MPI.COMM_WORLD.rank == 0:
    print(repr(ranks))
"""


@pytest.mark.slow
def test_load_mesh_serial_and_mpi(cache_dir):
    from mpi4py import MPI

    geom = dataclasses.replace(PLANE, voids=PLANE.voids[:2])
    data = load_mesh(geom, MPI.COMM_WORLD)
    assert data.mesh.geometry.dim == 2
    assert data.cell_tags is not None and data.facet_tags is not None
    serial_cells = data.mesh.topology.index_map(2).size_global
    run = subprocess.run(
        [str(ROOT / ".venv/bin/mpirun"), "-n", "2", sys.executable, "-c", MPI_SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert run.returncode == 0, run.stderr
    ranks = ast.literal_eval(run.stdout.strip().splitlines()[-1])
    assert len(ranks) == 2
    for dim, cells, message in ranks:
        assert (dim, cells) == (2, serial_cells)
        assert message.startswith("geometry.voids[1]: extends outside the cell")


@pytest.mark.parametrize("geom", [PLANE, SOLID], ids=["plane", "3d"])
def test_mesh_picture(geom, tmp_path):
    png = tmp_path / "mesh.png"
    mesh_picture(mesh_file(geom), png, geom)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_quarter_disk_lithium(tmp_path, monkeypatch):
    """lithium_shape quarter_disk: the collector is the arc r = R, the hole arc r = a and
    the Li's face beyond the electrolyte (width < x < R, y = 0) are void_lithium, the
    contact is a < x < width; the layer cells' cache key is unchanged by the new field."""
    import numpy as np
    from dolfinx import mesh as dmesh
    from mpi4py import MPI

    monkeypatch.setenv("LISSE_CACHE_DIR", str(tmp_path))
    a, radius, width = 3 * UM, 12 * UM, 10 * UM
    geom = CellGeometry("plane", width, radius, 3 * UM, MeshSizes(2 * UM, 2 * UM, 0.5 * UM),
                        voids=(Void((0.0,), a, a),), lithium_shape="quarter_disk")
    data = load_mesh(geom, MPI.COMM_SELF)
    msh, tags = data.mesh, data.facet_tags
    x = msh.geometry.x
    for name, check in (
        ("collector", lambda p: np.isclose(np.hypot(p[:, 0], p[:, 1]), radius, rtol=1e-6)),
        ("void_lithium", lambda p: np.isclose(np.hypot(p[:, 0], p[:, 1]), a, rtol=1e-6)
         | (np.isclose(p[:, 1], 0) & (p[:, 0] >= width - 1e-12))),
        ("contact", lambda p: np.isclose(p[:, 1], 0) & (p[:, 0] >= a - 1e-12)
         & (p[:, 0] <= width + 1e-12)),
    ):
        facets = tags.find(FACET_TAGS[name])
        assert len(facets), name
        nodes = dmesh.entities_to_geometry(msh, 1, facets).ravel()
        assert np.all(check(x[nodes])), name
    import hashlib
    import json

    from lisse.meshes.build import BUILDER_VERSION

    layer = dataclasses.replace(geom, lithium_shape="layer", voids=())
    old = dataclasses.asdict(layer)
    del old["lithium_shape"]  # the key before the field existed
    del old["sizes"]["refinements"]  # likewise (geometry.mesh.refinements)
    payload = json.dumps({"builder": BUILDER_VERSION, "geometry": old}, sort_keys=True,
                         separators=(",", ":"))
    assert geometry_key(layer) == hashlib.sha256(payload.encode()).hexdigest()
    assert geometry_key(geom) != geometry_key(dataclasses.replace(geom, lithium_shape="layer"))
    with pytest.raises(GeometryError, match="^geometry.lithium_shape: quarter_disk needs"):
        validate_geometry(dataclasses.replace(geom, width=radius))


def _li_tets() -> dict:
    """Li tetrahedra of the current Gmsh model: node coordinates (n, 4, 3), how many have
    all four vertices on the Li bottom (contact and void_lithium triangles), and the
    triangles (sorted node tags) that are a face of exactly one Li tetrahedron."""
    import numpy as np

    mesh = gmsh.model.mesh
    li = gmsh.model.getEntitiesForPhysicalGroup(3, CELL_TAGS["lithium"])
    tets = np.concatenate([mesh.getElementsByType(4, v)[1] for v in li]).reshape(-1, 4)
    bottom = [t for name in ("contact", "void_lithium")
              for t in gmsh.model.getEntitiesForPhysicalGroup(2, FACET_TAGS[name])]
    on_bottom = np.unique(np.concatenate([mesh.getElementsByType(2, s)[1] for s in bottom]))
    tags, x, _ = mesh.getNodes()
    x = x.reshape(-1, 3)[np.argsort(tags)]
    faces = np.sort(tets[:, [[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]]].reshape(-1, 3), axis=1)
    unique, count = np.unique(faces, axis=0, return_counts=True)
    return {"x": x[tets.astype(np.int64) - 1], "flat": int(np.isin(tets, on_bottom).all(1).sum()),
            "surface": {tuple(f) for f in unique[count == 1].tolist()}, "faces": count.max()}


def test_split_flat_li_tetrahedra(monkeypatch):
    """The small 3D cell of the coupled tests (12 × 12 µm, two quarter voids): Gmsh leaves one
    Li tetrahedron with its four vertices on the Li bottom (at the rim of the void at
    (12, 12) µm); ``split_lithium_bottom`` bisects an interior edge so that none is left, the
    mesh conforming (no face of three tetrahedra, the Li surface triangles unchanged), every
    tetrahedron positive, the Li volume unchanged (to round-off), node tags 1..N as DOLFINx
    reads them; ``build_gmsh_model`` does it (the cell meshes have no such tetrahedron)."""
    import numpy as np
    from dolfinx.io.gmsh import extract_geometry

    from lisse.meshes import build
    from lisse.meshes.flat_tets import split_lithium_bottom

    geom = CellGeometry("3d", width=12 * UM, depth=12 * UM, lithium_thickness=5 * UM,
                        electrolyte_thickness=6 * UM, sizes=MeshSizes(6 * UM, 4 * UM, 2 * UM),
                        voids=(Void((0.0, 0.0), 5 * UM, 1.5 * UM),
                               Void((12 * UM, 12 * UM), 5 * UM, 1.5 * UM)))
    gmsh.initialize(interruptible=False)
    gmsh.option.setNumber("General.Terminal", 0)
    try:
        build.build_gmsh_model(geom)
        built = _li_tets()
        gmsh.model.remove()
        with monkeypatch.context() as patch:  # the mesh as Gmsh leaves it
            patch.setattr(build, "split_lithium_bottom", lambda: 0)
            build.build_gmsh_model(geom)
        before = _li_tets()
        split = split_lithium_bottom()
        after = _li_tets()
        extract_geometry(gmsh.model)  # asserts node tags 1..N
    finally:
        gmsh.finalize()
    assert split == before["flat"] == 1 and after["flat"] == 0 and built["flat"] == 0
    assert np.array_equal(built["x"], after["x"])  # the cell mesh is the split one

    def volumes(x):
        return np.linalg.det(np.stack([x[:, k] - x[:, 0] for k in (1, 2, 3)], axis=2)) / 6

    v0, v1 = np.abs(volumes(before["x"])), volumes(after["x"])
    assert np.all(np.sign(v1[0]) * v1 > 1e-6 * v0.max())  # orientation kept, none degenerate
    assert abs(v1).sum() == pytest.approx(v0.sum(), rel=1e-12)
    assert len(v1) == len(v0) + 3 and after["faces"] == 2  # the edge had three tetrahedra
    assert after["surface"] == before["surface"]
