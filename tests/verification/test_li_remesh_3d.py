"""Li remeshing in 3D coupled cells (solver.physics.li_remesh_3d; docs/moving_interface.md "Li
remeshing in 3D"): the Li of the small 3D cell with its void roofs lowered to half their height
(cells flattened at the roof's rim, boundary edges bent) remeshed keeps the Li volume (1e-12
relative), its boundary faces node for node and every facet tag's area (1e-12), restores the
smallest cell quality above the trigger, keeps a uniform per-cell field uniform, and gives
serial's mesh under mpirun."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from lisse.units import UM_PER_M
from tests.helpers import mpi_numbers, print_numbers
from tests.verification.test_coupled_3d import small_cell3d

ROOF_SCALE = 0.5  # the void roofs lowered to half their height (1.5 µm → 0.75 µm) by
# z → ROOF_SCALE z (1 + z/z_max)/2: quadratic in z, so the roof's P2 edges become curved
# (mid nodes off the chords: a remeshing with straight boundary edges would change the volume)
TRIGGER = 0.5  # the remeshing trigger tested: this × the initial mesh's smallest q
BEND_UM = 0.1  # the roof lowering bends some boundary P2 edges by more than this (measured
# 0.375 µm: their mid nodes off the chords)
VERTEX_WEIGHT = 1e-9  # the former weightless threshold (× the largest contact dof weight)
STRENGTH, STRAIN = 1.7, 0.03  # the uniform per-cell fields carried over (S/σ0, ε_eq)


def _faces(body) -> set:
    """The boundary faces of ``body``'s mesh as sets of their six nodes' coordinates."""
    from lisse.solver.physics.li_gather import GatheredMesh
    from lisse.solver.physics.li_remesh_3d import boundary_faces

    mesh = GatheredMesh(body.msh, body.comm)
    x = mesh.nodes(body.msh.geometry.x)
    return {frozenset(map(tuple, x[row].tolist())) for row in boundary_faces(mesh.cells)}


def _tag_areas(body) -> dict:
    """{facet tag: its area [m²]} of ``body``'s mesh."""
    import ufl
    from dolfinx import fem

    ds = ufl.Measure("ds", domain=body.msh, subdomain_data=body.tags)
    one = fem.Constant(body.msh, 1.0)
    tags = sorted({int(t) for t in np.concatenate(body.comm.allgather(body.tags.values))})
    return {t: body.comm.allreduce(fem.assemble_scalar(fem.form(one * ds(t))), op=MPI.SUM)
            for t in tags}


def _contact_state(body) -> dict:
    """The P2 vertices of the Li bottom among the contact dofs (found by position: the dofs
    at mesh vertices), how many of them, and of the other contact dofs, the contact takes as
    weightless (``LithiumBody._weightless``: reaction ~0, state from a partner and the spoke
    rule), the largest weight ∫ φ_i dA at a vertex / the largest weight, and whether the
    spoke rule (``li_vertex_contact.VertexContact``) is hooked (owned dofs, all ranks)."""
    from dolfinx import mesh as dmesh
    from dolfinx.fem import petsc as fem_petsc
    from petsc4py import PETSc
    from scipy.spatial import cKDTree

    msh, (mixed, collapsed) = body.msh, body._obstacle
    msh.topology.create_connectivity(0, msh.topology.dim)
    count = msh.topology.index_map(0).size_local + msh.topology.index_map(0).num_ghosts
    corners = msh.geometry.x[dmesh.entities_to_geometry(msh, 0, np.arange(
        count, dtype=np.int32)).ravel()]
    dofs = body.vy_space.tabulate_dof_coordinates()[collapsed]
    distance, _ = cKDTree(corners).query(dofs)
    vertex = distance <= 1e-12 * body.length
    weightless = np.zeros(len(collapsed), dtype=bool)
    weightless[body._weightless] = True
    vec = fem_petsc.assemble_vector(body._weights)
    vec.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    with vec.localForm() as local:
        weights = np.abs(local.array[mixed])
    vec.destroy()
    owned = collapsed < body.vy_space.dofmap.index_map.size_local

    def total(mask) -> int:
        return body.comm.allreduce(int(np.sum(mask & owned)), op=MPI.SUM)

    top = body.comm.allreduce(float(np.max(weights[owned], initial=0.0)), op=MPI.MAX)
    return {"vertices": total(vertex), "weightless_vertices": total(vertex & weightless),
            "weightless_others": total(~vertex & weightless),
            "vertex_weight": body.comm.allreduce(float(np.max(
                weights[owned & vertex], initial=0.0)), op=MPI.MAX) / top,
            "spoke_rule": [type(h).__name__ for h in body.vertex_hooks]}


def remeshed() -> dict:
    """The small 3D cell's Li body, its void-roof nodes (``void_lithium`` faces, off the
    plane) lowered by ``ROOF_SCALE``, given uniform S/σ0 and ε_eq, then remeshed: volumes,
    smallest qualities, cell counts, tag areas, the fields' ranges and a node checksum."""
    from dolfinx import fem

    from lisse.meshes.geometry import FACET_TAGS
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.physics.li_gather import GatheredMesh
    from lisse.solver.physics.li_remesh_3d import boundary_faces, remesh
    from lisse.solver.physics.li_remesh_transfer import min_quality
    from lisse.solver.studies.model import lithium_body

    body = lithium_body(resolve(validate_case(small_cell3d())), MPI.COMM_WORLD)
    q0, contact0 = min_quality(body), _contact_state(body)  # as built: straight edges
    mesh = GatheredMesh(body.msh, body.comm)
    x = mesh.nodes(body.msh.geometry.x)
    facets = mesh.facets(body.tags)
    roof = np.zeros(len(x), dtype=bool)
    roof[np.unique(facets[facets[:, -1] == FACET_TAGS["void_lithium"], :6])] = True
    roof &= x[:, 2] > 0
    x[roof, 2] = ROOF_SCALE * x[roof, 2] * (1 + x[roof, 2] / np.max(x[roof, 2])) / 2
    body.msh.geometry.x[:, :3] = x[mesh.local]
    body.strength.x.array[:] = STRENGTH
    strain = fem.Function(body.strength.function_space)
    strain.x.array[:] = STRAIN
    v1, q1, faces1, areas1 = body.volume(), min_quality(body), _faces(body), _tag_areas(body)
    faces = boundary_faces(mesh.cells)  # their mid nodes off the chords' midpoints:
    chords = (x[faces[:, [1, 0, 0]]] + x[faces[:, [2, 2, 1]]]) / 2
    bend = float(np.max(np.linalg.norm(x[faces[:, 3:]] - chords, axis=2)))
    fresh, strain_new = remesh(body, strain)
    new = GatheredMesh(fresh.msh, fresh.comm)
    strength = np.concatenate(body.comm.allgather(fresh.strength.x.array))
    strains = np.concatenate(body.comm.allgather(strain_new))
    areas2 = _tag_areas(fresh)
    return {"q0": q0, "q1": q1, "q2": min_quality(fresh), "v1": v1, "v2": fresh.volume(),
            "roof_nodes": int(np.sum(roof)), "bend": bend,
            "cells": [len(mesh.cells), len(new.cells)],
            "same_faces": faces1 == _faces(fresh), "faces": len(faces1),
            "tags": sorted(areas1), "tags_new": sorted(areas2),
            "area_drift": max(abs(areas2[t] / areas1[t] - 1) for t in areas1),
            "strength": [float(np.min(strength)), float(np.max(strength))],
            "strain": [float(np.min(strains)), float(np.max(strains))],
            "checksum": float(np.sum(new.nodes(fresh.msh.geometry.x) * [1.0, 3.0, 7.0])),
            "contact_built": contact0, "contact": _contact_state(fresh)}


@pytest.fixture(scope="module")
def serial() -> dict:
    return remeshed()


def test_3d_remesh_conserves_li_boundary_and_tags(serial, validation):
    """Volume after = before to 1e-12 relative (a boundary integral over the unchanged P2
    faces); the boundary faces are the old ones node for node; every facet tag (contact,
    void roof, collector, the two lateral pairs) has the same area to 1e-12; the smallest
    cell quality, below the trigger after the distortion, is above it after the remeshing
    (measured 0.011 → 0.189, initial 0.257, trigger 0.129); uniform S/σ0 and ε_eq stay
    uniform. The lowering bends boundary edges (mid nodes up to 0.375 µm off their chords):
    with straight boundary edges in the new mesh the volume changed by 7.9e-4 (tried)."""
    r = serial
    trigger = TRIGGER * r["q0"]
    assert r["roof_nodes"] > 0 and 0 < r["q1"] < trigger
    assert r["bend"] * UM_PER_M > BEND_UM  # curved boundary edges (straight ones: 8e-4)
    drift = abs(r["v2"] / r["v1"] - 1)
    assert drift < 1e-12, drift
    assert r["same_faces"]
    assert r["tags_new"] == r["tags"] and len(r["tags"]) == 5
    assert r["area_drift"] < 1e-12, r["area_drift"]
    assert r["q2"] > trigger, (r["q1"], r["q2"], trigger)
    assert r["strength"] == [STRENGTH, STRENGTH] and r["strain"] == [STRAIN, STRAIN]
    validation.record("E5 Li volume through a remeshing (3D)", "volume after = before",
                      "exact (boundary integral)", "1e-12",
                      f"{drift:.1e}; tag areas {r['area_drift']:.1e}; min cell quality "
                      f"{r['q1']:.3f} → {r['q2']:.3f} (initial {r['q0']:.3f}); "
                      f"{r['cells'][0]} → {r['cells'][1]} cells",
                      "3D 12 × 12 µm, two quarter voids, roofs at 1/2", True)


def test_3d_remesh_keeps_the_bottom_vertices_weightless(serial):
    """The contact state's classes survive the remeshing: on the remeshed Li every P2 vertex
    of the bottom is weightless (state from its partner and the spoke rule, never released by
    its force) and no other contact dof is, as on the mesh as built, and the spoke rule is
    hooked to the new body. On the bent bottom a vertex's weight is no longer ~0 (measured
    5.6e-3 of the largest here, 5e-2 on the voided strip's remeshing): with the former
    weight threshold (1e-9 of the largest) such vertices became ordinary contact dofs, were
    released by their ill-defined reaction and floated inside the contact tolerance, which
    stalled the voided strip with remeshing (docs/moving_interface.md "Li remeshing in 3D").
    """
    built, new = serial["contact_built"], serial["contact"]
    assert built["vertices"] > 0 and built["weightless_vertices"] == built["vertices"]
    assert built["weightless_others"] == 0 and built["vertex_weight"] < VERTEX_WEIGHT
    assert new["vertex_weight"] > VERTEX_WEIGHT  # bent: a threshold would misclassify them
    assert new["vertices"] == built["vertices"]  # the same bottom, node for node
    assert new["weightless_vertices"] == new["vertices"], new
    assert new["weightless_others"] == 0, new
    assert new["spoke_rule"] == built["spoke_rule"] == ["VertexContact"], new


def main() -> None:
    """Under mpirun: print the numbers as JSON on rank 0."""
    print_numbers(remeshed())


@pytest.mark.slow  # mpirun: ~5 s per rank
def test_3d_remesh_mpi_matches_serial(serial):
    """mpirun -n 2: the same new mesh (checksum, cell count), volumes and qualities, and the
    same bottom vertices, all weightless."""
    parallel = mpi_numbers("tests.verification.test_li_remesh_3d")
    assert parallel["cells"] == serial["cells"]
    for key in ("vertices", "weightless_vertices", "weightless_others"):
        assert parallel["contact"][key] == serial["contact"][key], key
    for key in ("v1", "v2", "q1", "q2", "checksum"):
        assert parallel[key] == pytest.approx(serial[key], rel=1e-12), key
