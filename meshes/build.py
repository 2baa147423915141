"""Gmsh (OpenCASCADE) builder of the Li | electrolyte stack with interfacial voids.

The CAD model is built in micrometres, which keeps OpenCASCADE's absolute tolerances
(~1e-7 model units) far below the feature sizes; the mesh nodes are scaled to metres
right after meshing, so the meshed model and every file written from it are in SI units.
"""

from __future__ import annotations

import math

import gmsh

from lisse.meshes import quarter_disk
from lisse.meshes.errors import GeometryError
from lisse.meshes.flat_tets import split_lithium_bottom
from lisse.meshes.geometry import (
    CELL_TAGS,
    DIMENSIONS,
    FACET_TAGS,
    LITHIUM_SHAPES,
    VOID_SHAPES,
    CellGeometry,
    Void,
)
from lisse.meshes.refine import check_refinable
from lisse.meshes.voids import cap_sphere_radius, contact_fraction, lateral_extent, on_face
from lisse.units import UM_PER_M

BUILDER_VERSION = 2  # bump whenever the meshes produced for a geometry change (2: flat_tets)
UM = 1 / UM_PER_M  # metres per micrometre (the CAD unit)
CLEARANCE = 0.05  # minimum gap between voids / to side faces, in units of sizes.edge
SEAM_ANGLE = 1.25 * math.pi  # turns circle/sphere seams away from the cell faces


def _um(length: float) -> str:
    return f"{length / UM:.4g} µm"


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------


def validate_geometry(geom: CellGeometry) -> None:
    """Raise GeometryError (one line naming the field) if the geometry cannot be built."""
    _validate_cell(geom)
    check_refinable(geom)
    if geom.microstructure is not None:
        from lisse.meshes.microstructure import validate

        validate(geom, CLEARANCE * geom.sizes.edge)
    if geom.contact_spot_radius is not None:
        _validate_contact_spot(geom)
        return
    clearance = CLEARANCE * geom.sizes.edge
    for i, void in enumerate(geom.voids):
        _validate_void(geom, i, void, clearance)
    for j, void in enumerate(geom.voids):
        for i, other in enumerate(geom.voids[:j]):
            gap = (
                math.dist(void.center, other.center) - lateral_extent(void) - lateral_extent(other)
            )
            if gap < clearance:
                raise GeometryError(f"geometry.voids[{j}]: overlaps geometry.voids[{i}]")
    if contact_fraction(geom) <= 0.0:
        raise GeometryError("geometry.voids: cover the whole interface (contact fraction 0)")


def _require_positive(name: str, value: float) -> None:
    if not value > 0:
        raise GeometryError(f"geometry.{name}: must be positive (got {_um(value)})")


def _validate_cell(geom: CellGeometry) -> None:
    if geom.dimension not in DIMENSIONS:
        raise GeometryError(
            f"geometry.dimension: must be one of {', '.join(DIMENSIONS)} (got {geom.dimension!r})"
        )
    for name in ("width", "lithium_thickness", "electrolyte_thickness"):
        _require_positive(name, getattr(geom, name))
    if geom.dimension == "3d":
        _require_positive("depth", geom.depth)
    for name in ("bulk", "interface", "edge", "growth"):
        _require_positive(f"sizes.{name}", getattr(geom.sizes, name))
    if geom.lithium_shape not in LITHIUM_SHAPES:
        raise GeometryError(f"geometry.lithium_shape: must be one of {', '.join(LITHIUM_SHAPES)}")
    if geom.lithium_shape == "quarter_disk":
        quarter_disk.validate(geom)


def _validate_contact_spot(geom: CellGeometry) -> None:
    a = geom.contact_spot_radius
    if geom.voids:
        raise GeometryError("geometry.contact_spot_radius: cannot be combined with geometry.voids")
    _require_positive("contact_spot_radius", a)
    lateral = min(geom.width, geom.depth) if geom.dimension == "3d" else geom.width
    if a >= lateral:
        raise GeometryError(
            f"geometry.contact_spot_radius: {_um(a)} must be smaller than the cell ({_um(lateral)})"
        )
    _require_positive("gap_height", geom.gap_height)
    if geom.gap_height >= geom.lithium_thickness:
        raise GeometryError(
            f"geometry.gap_height: {_um(geom.gap_height)} must be smaller than "
            f"the lithium thickness {_um(geom.lithium_thickness)}"
        )


def _validate_void(geom: CellGeometry, i: int, void: Void, clearance: float) -> None:
    name = f"geometry.voids[{i}]"
    if void.shape not in VOID_SHAPES:
        raise GeometryError(f"{name}: shape must be one of {', '.join(VOID_SHAPES)}")
    if len(void.center) != geom.gdim - 1:
        raise GeometryError(f"{name}: center needs {geom.gdim - 1} coordinate(s) on the interface")
    if not void.radius > 0 or not void.height > 0:
        raise GeometryError(f"{name}: radius and height must be positive")
    if void.height + clearance > geom.lithium_thickness:
        raise GeometryError(
            f"{name}: height {_um(void.height)} exceeds the lithium thickness "
            f"{_um(geom.lithium_thickness)}"
        )
    axes = (("x", "width", geom.width), ("y", "depth", geom.depth))
    if geom.dimension == "axisymmetric":
        axes = (("r", "width", geom.width),)
    extent = lateral_extent(void)
    for c, (axis, label, length) in zip(void.center, axes, strict=False):
        _validate_axis(name, c, extent, axis, label, length, clearance)


def _validate_axis(name, c, extent, axis, label, length, clearance):
    """A void stays inside [0, length] along one axis, or is centred on a face (clipped)."""
    if c + extent > length and not on_face(c, length):
        raise GeometryError(
            f"{name}: extends outside the cell ({axis} = {_um(c + extent)} > {label} {_um(length)})"
        )
    if c - extent < 0 and not on_face(c, length):
        raise GeometryError(f"{name}: extends outside the cell ({axis} = {_um(c - extent)} < 0)")
    if on_face(c, length):
        if extent + clearance > length:
            raise GeometryError(f"{name}: wider than the cell along {axis}")
        return
    if min(c - extent, length - c - extent) < clearance:
        raise GeometryError(
            f"{name}: closer than {_um(clearance)} to a side face ({axis}); "
            "centre it on the face to clip it"
        )


# ---------------------------------------------------------------------------------------
# CAD
# ---------------------------------------------------------------------------------------


def build_gmsh_model(geom: CellGeometry) -> None:
    """Build, tag and mesh the stack in the current gmsh model (gmsh initialised).

    Validates first. Physical groups carry the CELL_TAGS / FACET_TAGS tags and names;
    the mesh is first order with coordinates in metres; in 3D no Li tetrahedron has its
    four vertices on the Li bottom (``flat_tets.split_lithium_bottom``). Raises
    GeometryError if the CAD operations or the meshing fail.
    """
    validate_geometry(geom)
    dim = geom.gdim
    try:
        regions = _build_cad(geom)
    except Exception as error:  # gmsh raises bare Exceptions
        raise GeometryError(f"geometry construction failed: {error}") from error
    extra_sizes = []
    if regions is None:
        groups = _classify(geom)
    else:
        from lisse.meshes import microstructure_cad

        tol = 1e-6 * max(geom.width, geom.depth, geom.lithium_thickness,
                         geom.electrolyte_thickness) / UM
        groups = microstructure_cad.classify(
            geom, regions, lambda layer, tag: _facet_group(geom, layer, tag, tol))
        extra_sizes = microstructure_cad.size_fields(geom, groups, _threshold)
    if geom.lithium_shape == "quarter_disk":
        extra_sizes = quarter_disk.hole_size_field(geom, groups["void_lithium"], UM, _threshold)
    for name, tags in groups.items():
        if tags and name in CELL_TAGS:
            gmsh.model.addPhysicalGroup(dim, sorted(tags), CELL_TAGS[name], name)
        elif tags:
            gmsh.model.addPhysicalGroup(dim - 1, sorted(tags), FACET_TAGS[name], name)
    _set_size_fields(geom, _contact_edges(dim, groups), extra_sizes)
    _generate_mesh(dim)
    if dim == 3:  # no Li tetrahedron with its four vertices on the Li bottom (flat_tets)
        split_lithium_bottom()


def _build_cad(geom: CellGeometry) -> dict[int, str] | None:
    """Electrolyte and Li layers, voids (or the contact-spot gap) cut out, fragmented.
    With a microstructure, returns the region name of every cell entity."""
    occ = gmsh.model.occ
    w, d = geom.width / UM, geom.depth / UM
    l_li, l_sse = geom.lithium_thickness / UM, geom.electrolyte_thickness / UM
    if geom.dimension == "3d":
        layers = [(3, occ.addBox(0, 0, -l_sse, w, d, l_sse)), (3, occ.addBox(0, 0, 0, w, d, l_li))]
    else:
        layers = [
            (2, occ.addRectangle(0, -l_sse, 0, w, l_sse)),
            (2, occ.addRectangle(0, 0, 0, w, l_li)) if geom.lithium_shape == "layer"
            else quarter_disk.lithium_layer(UM, geom),
        ]
    if geom.contact_spot_radius is not None:
        holes = [_contact_spot_gap(geom)]
    else:
        holes = [_void_tool(geom.gdim, void) for void in geom.voids]
    if geom.microstructure is not None:
        from lisse.meshes.microstructure_cad import build_cad

        return build_cad(geom, layers[0], layers[1], holes)
    lithium = [layers[1]]
    if holes:
        lithium, _ = occ.cut(lithium, holes)
    occ.fragment([layers[0]], lithium)
    occ.synchronize()
    return None


def _void_tool(dim: int, void: Void) -> tuple[int, int]:
    """The full ellipse/ellipsoid or cap circle/sphere of a void, in model units."""
    occ = gmsh.model.occ
    x, a, h = void.center[0] / UM, void.radius / UM, void.height / UM
    y = void.center[1] / UM if dim == 3 else 0.0
    if void.shape == "cap":
        r = cap_sphere_radius(void) / UM
        if dim == 2:
            return 2, occ.addDisk(x, h - r, 0, r, r)
        tool = (3, occ.addSphere(x, y, h - r, r))
        occ.rotate([tool], x, y, 0, 0, 0, 1, SEAM_ANGLE)
        return tool
    if dim == 2:
        if a >= h:
            return 2, occ.addDisk(x, 0, 0, a, h)
        return 2, occ.addDisk(x, 0, 0, h, a, zAxis=[0, 0, 1], xAxis=[0, 1, 0])
    tool = (3, occ.addSphere(x, y, 0, a))
    occ.rotate([tool], x, y, 0, 0, 0, 1, SEAM_ANGLE)
    if not math.isclose(a, h):
        occ.dilate([tool], x, y, 0, 1, 1, h / a)
    return tool


def _contact_spot_gap(geom: CellGeometry) -> tuple[int, int]:
    """The flat gap of height gap_height outside the contact spot |x| < a, model units."""
    occ = gmsh.model.occ
    w, d = geom.width / UM, geom.depth / UM
    a, g = geom.contact_spot_radius / UM, geom.gap_height / UM
    if geom.gdim == 2:
        return 2, occ.addRectangle(a, 0, 0, w - a, g)
    spot = (3, occ.addCylinder(0, 0, 0, 0, 0, g, a))
    occ.rotate([spot], 0, 0, 0, 0, 0, 1, SEAM_ANGLE)
    gap, _ = occ.cut([(3, occ.addBox(0, 0, 0, w, d, g))], [spot])
    return gap[0]


# ---------------------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------------------


def _classify(geom: CellGeometry) -> dict[str, set[int]]:
    """Tags of the cells and facets of each physical group, found by geometry."""
    dim = geom.gdim
    w, d = geom.width / UM, geom.depth / UM
    l_li, l_sse = geom.lithium_thickness / UM, geom.electrolyte_thickness / UM
    tol = 1e-6 * max(w, d, l_li, l_sse)
    up = dim - 1  # coordinate index of the stacking direction
    groups: dict[str, set[int]] = {name: set() for name in (*CELL_TAGS, *FACET_TAGS)}
    for _, tag in gmsh.model.getEntities(dim):
        centre = gmsh.model.occ.getCenterOfMass(dim, tag)
        groups["lithium" if centre[up] > 0 else "electrolyte"].add(tag)
    lithium_facets = _boundary(dim, groups["lithium"])
    electrolyte_facets = _boundary(dim, groups["electrolyte"])
    groups["contact"] = lithium_facets & electrolyte_facets
    for layer, facets in (("electrolyte", electrolyte_facets), ("lithium", lithium_facets)):
        for tag in facets - groups["contact"]:
            groups[_facet_group(geom, layer, tag, tol)].add(tag)
    return groups


def _boundary(dim: int, cells: set[int]) -> set[int]:
    pairs = gmsh.model.getBoundary([(dim, t) for t in cells], combined=False, oriented=False)
    return {tag for _, tag in pairs}


def _facet_group(geom: CellGeometry, layer: str, tag: int, tol: float) -> str:
    """Group name of a non-contact boundary facet of one layer, from its bounding box."""
    dim = geom.gdim
    box = gmsh.model.getBoundingBox(dim - 1, tag)
    lo, hi = box[:3], box[3:]
    up = dim - 1
    flat = [hi[k] - lo[k] < tol for k in range(3)]

    def on(k: int, value: float) -> bool:
        return flat[k] and abs(lo[k] - value) < tol

    if on(up, -geom.electrolyte_thickness / UM):
        return "counter"
    if on(up, geom.lithium_thickness / UM) or (
            geom.lithium_shape == "quarter_disk" and quarter_disk.is_collector(geom, box, tol, UM)):
        return "collector"
    if geom.dimension == "axisymmetric" and on(0, 0.0):
        return "axis"
    lateral_faces = [(0, 0.0), (0, geom.width / UM)]
    if dim == 3:
        lateral_faces += [(1, 0.0), (1, geom.depth / UM)]
    if any(on(k, value) for k, value in lateral_faces):
        return f"side_{layer}"
    return f"void_{layer}"


def _contact_edges(dim: int, groups: dict[str, set[int]]) -> set[int]:
    """Points (2D) / curves (3D) where the contact meets a void or the gap."""
    contact = _boundary(dim - 1, groups["contact"])
    return contact & _boundary(dim - 1, groups["void_electrolyte"])


# ---------------------------------------------------------------------------------------
# Mesh
# ---------------------------------------------------------------------------------------


def _threshold(field_in: int, size_min: float, size_max: float, growth: float) -> int:
    """Size growing linearly (slope ``growth``) from size_min at distance size_min."""
    field = gmsh.model.mesh.field
    tag = field.add("Threshold")
    field.setNumber(tag, "InField", field_in)
    field.setNumber(tag, "SizeMin", size_min)
    field.setNumber(tag, "SizeMax", size_max)
    field.setNumber(tag, "DistMin", size_min)
    field.setNumber(tag, "DistMax", size_min + max(size_max - size_min, 0.0) / growth)
    return tag


def _set_size_fields(geom: CellGeometry, edges: set[int], extra: list[int] = ()) -> None:
    """sizes.edge at the contact edges, sizes.interface on the interface, bulk elsewhere;
    ``extra`` size fields (microstructure) join the minimum."""
    field = gmsh.model.mesh.field
    bulk, interface, edge = (
        s / UM for s in (geom.sizes.bulk, geom.sizes.interface, geom.sizes.edge)
    )
    plane_distance = field.add("MathEval")
    field.setString(plane_distance, "F", "Fabs(z)" if geom.gdim == 3 else "Fabs(y)")
    growth = geom.sizes.growth
    sizes = [_threshold(plane_distance, interface, bulk, growth)]
    if edges:
        edge_distance = field.add("Distance")
        if geom.gdim == 3:
            field.setNumbers(edge_distance, "CurvesList", sorted(edges))
            longest = max(gmsh.model.occ.getMass(1, c) for c in edges)
            field.setNumber(edge_distance, "Sampling", math.ceil(2 * longest / edge) + 2)
        else:
            field.setNumbers(edge_distance, "PointsList", sorted(edges))
        sizes.append(_threshold(edge_distance, edge, bulk, growth))
    smallest = field.add("Min")
    field.setNumbers(smallest, "FieldsList", [*sizes, *extra])
    field.setAsBackgroundMesh(smallest)
    for option in ("MeshSizeExtendFromBoundary", "MeshSizeFromPoints", "MeshSizeFromCurvature"):
        gmsh.option.setNumber(f"Mesh.{option}", 0)
    gmsh.option.setNumber("Mesh.MeshSizeMax", bulk)
    gmsh.option.setNumber("Mesh.ElementOrder", 1)


def _generate_mesh(dim: int) -> None:
    """Mesh, then scale the nodes from micrometres to metres."""
    try:
        gmsh.model.mesh.generate(dim)
    except Exception as error:  # gmsh raises bare Exceptions
        raise GeometryError(f"mesh generation failed: {error}") from error
    if not len(gmsh.model.mesh.getElementsByType(4 if dim == 3 else 2)[0]):
        raise GeometryError("mesh generation failed: no elements were generated")
    gmsh.model.mesh.affineTransform([UM, 0, 0, 0, 0, UM, 0, 0, 0, 0, UM, 0])
