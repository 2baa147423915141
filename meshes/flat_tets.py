"""Li tetrahedra with all four vertices on the Li bottom (3D cells): count and remove them.

The Li bottom is the contact and the void roofs (facet groups ``contact`` and
``void_lithium``). Gmsh leaves a few tetrahedra at a void rim whose four vertices all lie on
it (three on the contact plane z = 0 and one on the roof; on the four-void example also one
with four vertices on a roof): 1 of 428 Li tetrahedra in the small test cell of
tests/integration/test_coupled_3d_run.py, 4 of 1014 in the 20 × 20 µm cell with two voids,
5 of 3690 in configs/examples/coupled_3d_four_voids.yaml. When the creeping Li closes the
void the bottom becomes the plane z = 0, so such a tetrahedron has to be crushed to zero
volume against the incompressible flow.

``split_flat_tetrahedra`` removes them: for each, its longest edge that lies on no surface
triangle (an edge through the Li's interior, e.g. from a contact vertex to a roof vertex) is
bisected at its midpoint m, and with it every tetrahedron around that edge: (a, b, c, d)
with edge ab becomes (m, b, c, d) and (a, m, c, d), orientation kept. The mesh stays
conforming, the surface triangles are untouched, every tetrahedron that had the edge now has
the interior vertex m, which can stay above the plane when the roof goes flat, and the Li
volume is unchanged exactly (straight edges; the P2 geometry is added afterwards with
straight edges, ``lisse.meshes.cache.load_mesh``). Splitting the tetrahedron 1 → 4 at its
centroid instead (no neighbour touched) keeps its four faces, the triangles of its four
bottom vertices, so the region they enclose must still vanish on a flat bottom.

**In the cell meshes** (``lisse.meshes.build.build_gmsh_model``, every 3D cell, since
``BUILDER_VERSION`` 2; docs/moving_interface.md, "Void touchdown in 3D"): on the small test
cell at rest under 2 MPa the voids touch down at 1.0 s instead of 14.4 s. It was kept out
while ``mpirun -n 2`` differed from serial by up to 1.5e-6 relative on the split mesh (2e-9
without): the cause was not the split but the Delaunay triangulation of a void rim's
cocircular contact nodes (``solver.physics.coupled_3d.plane_interpolant``), whose tie Qhull
broke by coordinates recomputed differently on each partition (fixed by
``solver.fem.domain.node_coordinates``; without the split the Li nodes evaluated there
happened to lie in triangles common to both triangulations). Made on one rank
in Gmsh like the rest of the cell mesh, so it does not depend on the number of ranks.
"""

from __future__ import annotations

import gmsh
import numpy as np

from lisse.meshes.errors import GeometryError
from lisse.meshes.geometry import CELL_TAGS, FACET_TAGS

TET_EDGES = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))  # local vertex pairs
TETRAHEDRON, TRIANGLE = 4, 2  # Gmsh element types (first order)


def _triangles(surfaces) -> np.ndarray:
    """Node tags (n, 3) of the first-order triangles on the given surface entities."""
    rows = [gmsh.model.mesh.getElementsByType(TRIANGLE, s)[1] for s in sorted(surfaces)]
    return np.concatenate(rows).reshape(-1, 3) if rows else np.empty((0, 3), dtype=np.uint64)


def lithium_bottom() -> tuple[list[int], list[int]]:
    """(Li volume entities, Li bottom surface entities) of the current Gmsh model, from the
    physical groups of ``lisse.meshes.build``."""
    volumes = gmsh.model.getEntitiesForPhysicalGroup(3, CELL_TAGS["lithium"])
    groups = {tag for _, tag in gmsh.model.getPhysicalGroups(2)}
    bottom = [s for name in ("contact", "void_lithium") if FACET_TAGS[name] in groups
              for s in gmsh.model.getEntitiesForPhysicalGroup(2, FACET_TAGS[name])]
    return [int(v) for v in volumes], [int(s) for s in bottom]


def split_lithium_bottom() -> int:
    """``split_flat_tetrahedra`` on the Li of the current (meshed, tagged) Gmsh model; 0
    for a model without a Li region."""
    if CELL_TAGS["lithium"] not in {tag for _, tag in gmsh.model.getPhysicalGroups(3)}:
        return 0
    return split_flat_tetrahedra(*lithium_bottom())


def split_flat_tetrahedra(volumes, bottom) -> int:
    """Bisect an interior edge of every tetrahedron of the volume entities ``volumes`` whose
    four vertices are nodes of the surface entities ``bottom`` (module docstring); returns
    the number of such tetrahedra. Raises GeometryError if one has no edge off the surfaces
    (every edge on a surface triangle: not met in the meshes of lisse cells)."""
    mesh = gmsh.model.mesh
    on_bottom = np.unique(_triangles(bottom))
    every = _triangles(tag for _, tag in gmsh.model.getEntities(2))
    surface_edges = {tuple(sorted(e)) for tri in every.tolist()
                     for e in ((tri[0], tri[1]), (tri[1], tri[2]), (tri[0], tri[2]))}
    found = 0
    for volume in sorted(volumes):
        tets = mesh.getElementsByType(TETRAHEDRON, volume)[1].reshape(-1, 4)
        flat = np.flatnonzero(np.isin(tets, on_bottom).all(axis=1))
        if not len(flat):
            continue
        found += len(flat)
        edges = sorted({_interior_edge(tets[t], surface_edges) for t in flat})
        tags = mesh.getMaxNodeTag() + 1 + np.arange(len(edges), dtype=np.uint64)
        coords = []
        for (a, b), m in zip(edges, tags, strict=True):
            coords.extend((mesh.getNode(a)[0] + mesh.getNode(b)[0]) / 2)
            around = (tets == a).any(axis=1) & (tets == b).any(axis=1)
            first, second = tets[around].copy(), tets[around].copy()
            first[first == a], second[second == b] = m, m
            tets = np.concatenate([tets[~around], first, second])
        mesh.addNodes(3, volume, tags.tolist(), coords)
        mesh.removeElements(3, volume)
        mesh.addElementsByType(volume, TETRAHEDRON, [], tets.ravel().tolist())
    if found:  # node tags 1..N again (getMaxNodeTag counts freed tags; DOLFINx needs 1..N)
        mesh.renumberNodes()
    return found


def _interior_edge(tet: np.ndarray, surface_edges: set) -> tuple[int, int]:
    """The longest edge (node tags, sorted) of ``tet`` on no surface triangle; ties go to the
    smaller tags."""
    x = {int(n): gmsh.model.mesh.getNode(int(n))[0] for n in tet}
    edges = [tuple(sorted((int(tet[i]), int(tet[j])))) for i, j in TET_EDGES]
    inner = [e for e in edges if e not in surface_edges]
    if not inner:
        raise GeometryError("mesh: a Li tetrahedron has all its edges on the Li surface")
    return min(inner, key=lambda e: (-float(np.linalg.norm(x[e[0]] - x[e[1]])), e))
