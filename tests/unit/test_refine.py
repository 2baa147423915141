"""Uniform refinement of a cached mesh (lisse.meshes.refine, geometry.mesh.refinements):
flat boundaries kept exactly, curved void surfaces converging to the analytic ones, no cell
inverted by the snapping, the same mesh on one and two ranks, and the cases it refuses."""

from __future__ import annotations

import dataclasses
import math
import sys

import numpy as np
import pytest

import lisse.meshes.cache as mesh_cache
from lisse.meshes import refine
from lisse.meshes.errors import GeometryError, UserError
from lisse.meshes.geometry import CELL_TAGS, FACET_TAGS, MeshSizes
from lisse.meshes.mesh_arrays import read_all, read_header
from tests.helpers import run_mpi
from tests.unit.test_mesh_arrays import PLANE, SOLID, UM, assert_same, measures

# analytic measures of the two test cells (µm², µm³)
CAP_3D = SOLID.voids[0]  # a = 3, h = 1.5 µm: sphere radius R = (a² + h²) / 2h = 3.75 µm
LI_VOLUME_3D = 16 * 16 * 6 - math.pi * 1.5 * (3 * 3**2 + 1.5**2) / 6  # box - cap
FLOOR_3D = math.pi * 3**2  # the void's footprint on the electrolyte
ROOF_3D = 2 * math.pi * 3.75 * 1.5  # the cap's surface 2πRh
_R2D = (4**2 + 3**2) / (2 * 3)  # the 2D cap's circle (a = 4, h = 3 µm)
LI_AREA_2D = (30 * 10 - math.pi * 5 * 2 / 4  # quarter ellipse at the symmetry face x = 0
              - (_R2D**2 * math.acos((_R2D - 3) / _R2D) - (_R2D - 3) * 4))  # circular segment


def refined(geom, n: int):
    return dataclasses.replace(geom, sizes=dataclasses.replace(geom.sizes, refinements=n))


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LISSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("LISSE_CACHE_MAX_MB", raising=False)
    return tmp_path / "cache"


def arrays(geom) -> dict[str, np.ndarray]:
    path = mesh_cache.arrays_file(geom)
    return read_all(path, read_header(path))


def facet_rows(cells: np.ndarray, facet_cell: np.ndarray, facet_local: np.ndarray,
               facet_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The tagged facets of a mesh file as node rows (each once) with their tags."""
    owner = cells[facet_cell]
    keep = np.arange(cells.shape[1]) != facet_local[:, None]  # all nodes but the opposite
    rows = np.sort(owner[keep].reshape(len(owner), -1), axis=1)
    rows, first = np.unique(rows, axis=0, return_index=True)
    return rows, facet_values[first]


def region_measure(a: dict, region: str) -> float:
    """Total measure of the cells of ``region`` [µm^d] (orientation-free)."""
    cells = a["cells"][a["cell_values"] == CELL_TAGS[region]]
    return float(np.abs(refine.signed_measures(a["x"] / UM, cells)).sum())


def tagged_nodes(a: dict, *names: str) -> np.ndarray:
    rows, values = facet_rows(a["cells"], a["facet_cell"], a["facet_local"],
                                     a["facet_values"])
    return np.unique(rows[np.isin(values, [FACET_TAGS[n] for n in names])])


@pytest.mark.parametrize("geom", [PLANE, SOLID], ids=["plane", "3d"])
def test_refining_splits_every_cell_and_keeps_the_flat_faces(geom):
    """Each refinement splits a triangle into 4 and a tetrahedron into 8 (the coarse mesh
    is Gmsh's at twice the sizes and growth rate); the cell count matches, every region's
    measure bounded by flat faces is kept to round-off, and every node of the contact and
    the void floors lies on the interface plane as exactly as Gmsh's."""
    up = geom.gdim - 1
    coarse = arrays(refine.coarse_geometry(refined(geom, 1)))
    fine = arrays(refined(geom, 1))
    children = 4 if geom.gdim == 2 else 8
    assert len(fine["cells"]) == children * len(coarse["cells"])
    assert np.array_equal(fine["cell_values"], np.repeat(coarse["cell_values"], children))
    assert np.array_equal(fine["x"][: len(coarse["x"])], coarse["x"])  # parents keep numbers
    electrolyte = 30 * 20 if geom.gdim == 2 else 16 * 16 * 8
    assert region_measure(fine, "electrolyte") == pytest.approx(electrolyte, rel=1e-12)
    plane = tagged_nodes(fine, "contact", "void_electrolyte")
    gmsh_plane = tagged_nodes(coarse, "contact", "void_electrolyte")
    assert len(plane) > len(gmsh_plane)
    # as flat as Gmsh's nodes (OpenCASCADE leaves them within ~1e-20 m of z = 0)
    assert np.abs(fine["x"][plane, up]).max() <= np.abs(coarse["x"][gmsh_plane, up]).max()


@pytest.mark.parametrize("geom, exact", [(PLANE, LI_AREA_2D), (SOLID, LI_VOLUME_3D)],
                         ids=["plane", "3d"])
def test_snapped_void_surfaces_converge_to_the_analytic_ones(geom, exact):
    """The Li's measure (the cell less the voids) on Gmsh's mesh and on the same sizes
    reached by 1 and 2 refinements of coarser Gmsh meshes: the refined meshes' void surfaces
    are snapped onto the ellipse / cap, so their error falls with every refinement (the
    chords of a 2ⁿ-times coarser mesh alone would double it each time)."""
    errors = [abs(region_measure(arrays(refined(geom, n)) if n else arrays(geom), "lithium")
                  - exact) / exact for n in (0, 1, 2)]
    assert errors[2] < errors[1] < errors[0] < 2e-3, errors


def test_the_void_floor_and_roof_converge_in_3d():
    """The 3D cap void's footprint (its floor on the electrolyte) and its roof area, from
    the tagged facets: closer to πa² and 2πRh with each refinement (Gmsh's mesh, then the
    same sizes from 1 and 2 refinements)."""
    def areas(a):
        rows, values = facet_rows(a["cells"], a["facet_cell"], a["facet_local"],
                                         a["facet_values"])
        out = []
        for name in ("void_electrolyte", "void_lithium"):
            tri = a["x"][rows[values == FACET_TAGS[name]]] / UM
            out.append(0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0],
                                                     tri[:, 2] - tri[:, 0]), axis=1).sum())
        return out

    errors = np.array([np.abs(np.array(areas(arrays(refined(SOLID, n)) if n else
                                             arrays(SOLID))) / [FLOOR_3D, ROOF_3D] - 1)
                       for n in (0, 1, 2)])
    # measured: floor 1.81 %, 1.64 %, 0.84 %; roof 2.31 %, 2.19 %, 1.53 %
    assert np.all(errors[2] < errors[1]) and np.all(errors[1] < errors[0]), errors


def test_snapping_inverts_no_cell_and_puts_the_roof_on_the_cap():
    """One refinement of the 3D cell with the snapping and with the midpoints left on their
    chords: the same cells (the octahedra are cut by the chords' shortest diagonal), none
    inverted or squeezed below MIN_MEASURE_RATIO of its volume by the snapping, some moved;
    every roof node on or inside the cap's sphere, nearly all on it."""
    geom = refined(SOLID, 1)
    coarse = arrays(refine.coarse_geometry(geom))
    snapped = refine.refine_arrays(coarse, geom)
    chords = refine.refine_arrays(coarse, dataclasses.replace(geom, voids=()),
                                  snap=False)
    assert np.array_equal(snapped["cells"], chords["cells"])
    ratio = (refine.signed_measures(snapped["x"], snapped["cells"])
             / refine.signed_measures(chords["x"], chords["cells"]))
    assert ratio.min() >= refine.MIN_MEASURE_RATIO
    assert np.count_nonzero(ratio != 1.0) > 100
    roof = tagged_nodes(snapped, "void_lithium")
    centre = np.array([8.0, 8.0, CAP_3D.height / UM - 3.75])
    rho = np.linalg.norm(snapped["x"][roof] / UM - centre, axis=1) / 3.75
    assert rho.max() <= 1 + 1e-12
    assert np.mean(np.abs(rho - 1) < 1e-12) > 0.9


def test_a_squeezed_snap_is_pulled_back():
    """A tetrahedron whose snapped node would pass through its opposite face: untangle
    pulls the node back towards its chord until the cell keeps MIN_MEASURE_RATIO of its
    volume."""
    straight = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0.2, 0.2, 0.1]], dtype=float)
    x = straight.copy()
    x[3, 2] = -0.5  # the snap would invert the cell
    cells = np.array([[0, 1, 2, 3]])
    out = refine.untangle(x, straight, cells, np.array([3]))
    ratio = refine.signed_measures(out, cells)[0] / refine.signed_measures(straight, cells)[0]
    assert refine.MIN_MEASURE_RATIO <= ratio < 1.0
    assert out[3, 2] < 0.1  # moved towards the snap, not left on the chord


def test_refined_mesh_loads_with_its_tags(cache_dir):
    """``load_mesh`` of a refined geometry reads the ``.r1.lmesh`` beside the coarse entry:
    its flat regions as on Gmsh's mesh of the same sizes, 8× the coarse cells."""
    from mpi4py import MPI

    geom = refined(SOLID, 1)
    fine = measures(mesh_cache.load_mesh(geom, MPI.COMM_WORLD))
    coarse_entry = mesh_cache.entry_path(refine.coarse_geometry(geom))
    assert mesh_cache.refined_path(coarse_entry, 1).exists()
    direct = measures(mesh_cache.load_mesh(SOLID, MPI.COMM_WORLD))
    for key in ("dx1", "ds14", "ds15", "ds16", "ds17"):  # flat: the same to round-off
        assert fine[key] == pytest.approx(direct[key], rel=1e-12), key
    assert fine["dS11"] + fine["ds12"] == pytest.approx(16 * 16 * UM**2, rel=1e-12)


def test_eviction_takes_the_refined_file_with_its_entry(cache_dir, monkeypatch):
    from mpi4py import MPI

    geom = refined(PLANE, 1)
    mesh_cache.load_mesh(geom, MPI.COMM_WORLD)
    entry = mesh_cache.entry_path(refine.coarse_geometry(geom))
    mesh_cache.evict(cache_dir, limit=10**12)  # a refined file is no orphan
    assert mesh_cache.refined_path(entry, 1).exists()
    monkeypatch.setenv("LISSE_CACHE_MAX_MB", "0")
    new = mesh_cache.mesh_file(dataclasses.replace(PLANE, width=32 * UM))
    assert sorted(cache_dir.iterdir()) == [new]


def test_writing_a_refined_file_evicts_older_entries(cache_dir, monkeypatch):
    """The refined file counts in the cache's size: written beyond the limit, it makes the
    least recently used entries go, never its own."""
    older = mesh_cache.mesh_file(dataclasses.replace(PLANE, width=32 * UM))
    geom = refined(PLANE, 1)
    mesh_cache.arrays_file(refine.coarse_geometry(geom))  # the coarse entry, within limits
    monkeypatch.setenv("LISSE_CACHE_MAX_MB", "0")
    path = mesh_cache.arrays_file(geom)
    assert path.exists() and not older.exists()
    assert mesh_cache.entry_path(refine.coarse_geometry(geom)).exists()


def test_a_damaged_refined_file_is_rebuilt(cache_dir, capfd):
    geom = refined(PLANE, 1)
    path = mesh_cache.arrays_file(geom)
    good = path.read_bytes()
    path.write_bytes(good[:-100])
    capfd.readouterr()
    assert mesh_cache.arrays_file(geom) == path
    assert capfd.readouterr().err.strip() == (
        f"lisse: warning: mesh cache entry {path} was corrupt; rebuilt")
    assert path.read_bytes() == good


@pytest.mark.parametrize("change, message", [
    (dict(contact_spot_radius=4 * UM, gap_height=1 * UM, voids=()), "a contact spot"),
    (dict(lithium_shape="quarter_disk"), "lithium_shape quarter_disk"),
])
def test_cells_with_other_curved_faces_are_refused(change, message):
    geom = refined(dataclasses.replace(PLANE, **change), 1)
    with pytest.raises(GeometryError, match=f"geometry.mesh.refinements: cells with {message}"):
        refine.check_refinable(geom)


def test_a_second_order_mesh_is_refused(cache_dir):
    from mpi4py import MPI

    with pytest.raises(UserError, match="geometry.mesh.refinements: a second-order mesh"):
        mesh_cache.load_mesh(refined(PLANE, 1), MPI.COMM_WORLD, order=2)
    with pytest.raises(ValueError, match="coarse_geometry"):
        mesh_cache.mesh_file(refined(PLANE, 1))


def test_coarse_geometry_scales_sizes_and_growth():
    geom = refined(dataclasses.replace(PLANE, sizes=MeshSizes(4 * UM, 2 * UM, 1 * UM, 0.3)), 2)
    coarse = refine.coarse_geometry(geom).sizes
    assert (coarse.bulk, coarse.interface, coarse.edge) == pytest.approx(
        (16 * UM, 8 * UM, 4 * UM))
    assert coarse.growth == pytest.approx(1.2)
    assert coarse.refinements == 0
    assert mesh_cache.geometry_key(refined(PLANE, 0)) == mesh_cache.geometry_key(PLANE)


MPI_SCRIPT = """
from mpi4py import MPI
from tests.unit.test_refine import PLANE, SOLID, refined
from tests.unit.test_mesh_arrays import measures
import lisse.meshes.cache as mesh_cache
result = {name: measures(mesh_cache.load_mesh(refined(geom, 2), MPI.COMM_WORLD))
          for name, geom in (("plane", PLANE), ("3d", SOLID))}
if MPI.COMM_WORLD.rank == 0:
    print(repr(result))
"""


@pytest.mark.slow
def test_refined_mesh_under_mpi_gives_serial_measures(cache_dir):
    """Two ranks, from a fresh cache (rank 0 meshes and refines): the same cells and tagged
    measures as serially."""
    import ast

    from mpi4py import MPI

    run = run_mpi([sys.executable, "-c", MPI_SCRIPT], n=2, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    parallel = ast.literal_eval(run.stdout.strip().splitlines()[-1])
    for name, geom in (("plane", PLANE), ("3d", SOLID)):
        assert_same(measures(mesh_cache.load_mesh(refined(geom, 2), MPI.COMM_WORLD)),
                    parallel[name])


def test_a_point_above_a_void_centre_snaps_to_its_apex():
    """On the axis of a void (no lateral direction to move in) the snap is along z onto the
    apex: the ellipsoid's (x, y, h) and the cap's (x, y, h), without a division by zero;
    a point on the plane at a footprint's edge goes to the circle of radius a."""
    import warnings

    ellipse = dataclasses.replace(SOLID, voids=(dataclasses.replace(CAP_3D, shape="ellipse"),))
    points = np.array([[8 * UM, 8 * UM, 0.5 * UM], [8 * UM + 2.9 * UM, 8 * UM, 0.0]])
    for geom in (SOLID, ellipse):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = refine.snap_to_voids(points, geom)
        assert out[0] / UM == pytest.approx([8, 8, 1.5], rel=1e-12)
        assert out[1] / UM == pytest.approx([11, 8, 0], rel=1e-12, abs=1e-12)
