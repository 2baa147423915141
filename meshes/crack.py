"""Gmsh builder of a single straight crack in an elastic body, refined at the crack tip.

The crack lies in the plane y = 0 (z = 0 of an axisymmetric cell) and by mirror symmetry
only the half y ≥ 0 is meshed: the square [0, L] × [0, L] with L = ``extent`` · a, whose
bottom edge is split at the crack tip x = a into the crack face (0 ≤ x ≤ a, loaded by a
pressure) and the ligament (a ≤ x ≤ L, u_y = 0 by symmetry). Three kinds:

* ``griffith`` (plane strain): a through crack of half-length a in an infinite plate; the
  left edge x = 0 is the second symmetry plane (u_x = 0): a quarter of the plate.
* ``penny`` (axisymmetric, x = r): a penny-shaped crack of radius a; the left edge is the
  axis (u_r = 0).
* ``edge`` (plane strain): a surface-breaking crack of depth a normal to the free surface
  x = 0 of a half-plane; the left edge is that free surface (traction-free), the right edge
  x = L a roller (u_x = 0) standing in for the far half-space.
* ``penny_3d`` (3D): the penny crack as an eighth of the body, the cube [0, L]³ with the
  quarter disc x² + y² ≤ a² on z = 0 as the crack face, the rest of z = 0 the ligament
  (u_z = 0), x = 0 ("left", u_x = 0) and y = 0 ("back", u_y = 0) symmetry planes. Built with
  OpenCASCADE in units of a (its absolute tolerances stay far below the features), scaled to
  metres after meshing.

Element size: ``tip_size`` within 0.1 a of the tip (the front in 3D), growing linearly to
``far_size`` at distance ``extent`` · a / 2 (Gmsh Distance + Threshold fields). Lengths in
metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import gmsh

from lisse.meshes.errors import GeometryError

CRACK_KINDS = ("griffith", "penny", "edge", "penny_3d")
CRACK_FACET_TAGS = {
    "crack_face": 1,  # 0 ≤ x ≤ a, y = 0: loaded by the crack-face pressure
    "ligament": 2,  # a ≤ x ≤ L, y = 0: symmetry plane u_y = 0
    "left": 3,  # x = 0: symmetry (griffith), axis (penny) or free surface (edge)
    "right": 4,  # x = L: free (griffith, penny) or roller (edge)
    "top": 5,  # y = L: free
    "back": 6,  # penny_3d: y = 0, symmetry u_y = 0
}
CRACK_CELL_TAG = 1


@dataclass(frozen=True)
class CrackMesh:
    """A crack of size ``half_length`` a [m] (half-length, penny radius or edge depth).

    extent: body size L / a [-]; tip_size, far_size: element sizes [m] at the tip and far
    away (default a/8 and L/8).
    """

    kind: str
    half_length: float
    extent: float = 20.0
    tip_size: float | None = None
    far_size: float | None = None

    def sizes(self) -> tuple[float, float]:
        a = self.half_length
        return (self.tip_size or a / 8, self.far_size or self.extent * a / 8)

    def validate(self) -> None:
        if self.kind not in CRACK_KINDS:
            raise GeometryError(f"crack.kind: must be one of {CRACK_KINDS} (got {self.kind!r})")
        if not self.half_length > 0:
            raise GeometryError("crack.half_length_um: must be positive")
        if not self.extent >= 4:
            raise GeometryError("crack.extent: the body must be at least 4 crack sizes wide")
        tip, far = self.sizes()
        if not 0 < tip <= self.half_length / 2:
            raise GeometryError("crack.tip_size_um: must lie in (0, a/2]")
        if not far >= tip:
            raise GeometryError("crack.far_size_um: must not be below the tip size")


def build_crack_gmsh(spec: CrackMesh) -> None:
    """Build the half-body mesh of ``spec`` into the current Gmsh model (2D, linear
    triangles; ``penny_3d``: an eighth, linear tetrahedra) with physical groups
    ``CRACK_FACET_TAGS`` and the body cell tag 1."""
    spec.validate()
    if spec.kind == "penny_3d":
        _build_penny_3d(spec)
        return
    a, L = spec.half_length, spec.extent * spec.half_length
    tip_size, far_size = spec.sizes()
    geo = gmsh.model.geo
    p0, tip, p2 = geo.addPoint(0, 0, 0), geo.addPoint(a, 0, 0), geo.addPoint(L, 0, 0)
    p3, p4 = geo.addPoint(L, L, 0), geo.addPoint(0, L, 0)
    face, ligament = geo.addLine(p0, tip), geo.addLine(tip, p2)
    right, top, left = geo.addLine(p2, p3), geo.addLine(p3, p4), geo.addLine(p4, p0)
    loop = geo.addCurveLoop([face, ligament, right, top, left])
    surface = geo.addPlaneSurface([loop])
    geo.synchronize()
    for name, curve in zip(
        ("crack_face", "ligament", "right", "top", "left"),
        (face, ligament, right, top, left),
        strict=True,
    ):
        gmsh.model.addPhysicalGroup(1, [curve], CRACK_FACET_TAGS[name], name=name)
    gmsh.model.addPhysicalGroup(2, [surface], CRACK_CELL_TAG, name="body")
    field = gmsh.model.mesh.field
    distance = field.add("Distance")
    field.setNumbers(distance, "PointsList", [tip])
    _threshold(field, distance, tip_size, far_size, 0.1 * a, L / 2)
    gmsh.model.mesh.generate(2)


def _build_penny_3d(spec: CrackMesh) -> None:
    """The eighth of a body with a penny crack (module doc), built in units of a."""
    a = spec.half_length
    L = spec.extent
    tip_size, far_size = (size / a for size in spec.sizes())
    occ = gmsh.model.occ
    box = occ.addBox(0, 0, 0, L, L, L)
    disk = occ.addDisk(0, 0, 0, 1, 1)
    quarter, _ = occ.intersect([(2, disk)], [(3, occ.addBox(0, 0, -1, 2, 2, 2))])
    occ.fragment([(3, box)], quarter)
    occ.synchronize()
    tol = 1e-6 * L
    groups: dict[str, list[int]] = {"crack_face": [], "ligament": [], "left": [], "back": []}
    for _, tag in gmsh.model.getEntities(2):
        x0, y0, z0, x1, y1, z1 = gmsh.model.getBoundingBox(2, tag)
        if abs(z0) < tol and abs(z1) < tol:
            groups["crack_face" if max(x1, y1) < 1 + tol else "ligament"].append(tag)
        elif abs(x0) < tol and abs(x1) < tol:
            groups["left"].append(tag)
        elif abs(y0) < tol and abs(y1) < tol:
            groups["back"].append(tag)
    for name, tags in groups.items():
        gmsh.model.addPhysicalGroup(2, tags, CRACK_FACET_TAGS[name], name=name)
    gmsh.model.addPhysicalGroup(3, [t for _, t in gmsh.model.getEntities(3)], CRACK_CELL_TAG,
                                name="body")
    front = []
    for _, tag in gmsh.model.getEntities(1):
        x0, y0, z0, x1, y1, z1 = gmsh.model.getBoundingBox(1, tag)
        if abs(z0) < tol and abs(z1) < tol and 0.5 < x1 < 1 + tol and 0.5 < y1 < 1 + tol:
            front.append(tag)  # the quarter circle r = a
    field = gmsh.model.mesh.field
    distance = field.add("Distance")
    field.setNumbers(distance, "CurvesList", front)
    field.setNumber(distance, "Sampling", 100)
    _threshold(field, distance, tip_size, far_size, 0.1, L / 2)
    gmsh.model.mesh.generate(3)
    gmsh.model.mesh.affineTransform([a, 0, 0, 0, 0, a, 0, 0, 0, 0, a, 0])


def _threshold(field, distance: int, size_min: float, size_max: float, dist_min: float,
               dist_max: float) -> None:
    threshold = field.add("Threshold")
    field.setNumber(threshold, "InField", distance)
    field.setNumber(threshold, "SizeMin", size_min)
    field.setNumber(threshold, "SizeMax", size_max)
    field.setNumber(threshold, "DistMin", dist_min)
    field.setNumber(threshold, "DistMax", dist_max)
    field.setAsBackgroundMesh(threshold)
    for key in ("MeshSizeExtendFromBoundary", "MeshSizeFromPoints", "MeshSizeFromCurvature"):
        gmsh.option.setNumber(f"Mesh.{key}", 0)


def load_crack_mesh(spec: CrackMesh, comm):
    """Build the mesh of ``spec`` on rank 0 and distribute it over ``comm``; returns the
    dolfinx.io.gmsh MeshData (``.mesh``, ``.cell_tags``, ``.facet_tags``), 2D coordinates
    (3D for ``penny_3d``). A GeometryError is raised on every rank."""
    from dolfinx.io.gmsh import model_to_mesh

    spec.validate()
    gdim = 3 if spec.kind == "penny_3d" else 2
    owns_session = comm.rank == 0 and not gmsh.isInitialized()
    if comm.rank == 0:
        if owns_session:
            gmsh.initialize(interruptible=False)
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.add("crack")
        try:
            build_crack_gmsh(spec)
            return model_to_mesh(gmsh.model, comm, 0, gdim=gdim)
        finally:
            gmsh.model.remove()
            if owns_session:
                gmsh.finalize()
    return model_to_mesh(gmsh.model, comm, 0, gdim=gdim)
