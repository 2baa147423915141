"""Gmsh CAD of the electrolyte microstructure (``meshes.microstructure``; model units µm).

``build_cad`` fragments the Li and electrolyte layers with the interlayer, the grains and
their bands (``meshes.polycrystal``), pores, empty and Li-filled cracks and liquid-filled
voids into one conforming model, keeping the region name of every cell entity;
``classify`` turns regions and facet adjacencies into the physical groups of
``meshes.geometry`` (contact, crack_lithium, liquid_lithium, void_electrolyte, pore,
crack_face, ...); ``size_fields`` adds the refinement in the bands, on crack and pore
faces and at crack tips. Called by ``meshes.build`` when a cell has a microstructure.
"""

from __future__ import annotations

import math

import gmsh
import numpy as np

from lisse.meshes.microstructure import UM, Crack, Pore, crack_points
from lisse.meshes.polycrystal import grain_polygons, polycrystal_3d

# ---------------------------------------------------------------------------------------
# CAD (model units: µm)
# ---------------------------------------------------------------------------------------


def _polygon(points: np.ndarray) -> int:
    """A plane surface bounded by the polygon (model units)."""
    occ = gmsh.model.occ
    tags = [occ.addPoint(x, y, 0) for x, y in points]
    lines = [occ.addLine(tags[k], tags[(k + 1) % len(tags)]) for k in range(len(tags))]
    return occ.addPlaneSurface([occ.addCurveLoop(lines)])


def _polyhedron(faces: list[list[np.ndarray]]) -> int:
    """A volume bounded by planar faces [m] (model units)."""
    return gmsh.model.occ.addVolume([gmsh.model.occ.addSurfaceLoop(_surfaces(faces))])


def _surfaces(faces: list[list[np.ndarray]]) -> list[int]:
    """Plane surfaces of planar polygons [m] (model units); vertices and edges shared by
    neighbouring faces are created once so a polyhedron's shell is closed."""
    occ = gmsh.model.occ
    scale = max(np.abs(p).max() for face in faces for p in face) / UM
    points: list[tuple[np.ndarray, int]] = []
    lines: dict[tuple[int, int], int] = {}

    def point(p: np.ndarray) -> int:
        for q, tag in points:
            if np.linalg.norm(p - q) <= 1e-9 * scale:
                return tag
        points.append((p, occ.addPoint(*p)))
        return points[-1][1]

    surfaces = []
    for face in faces:
        tags = [point(p / UM) for p in face]
        curves = []
        for a, b in zip(tags, tags[1:] + tags[:1], strict=True):
            if (b, a) in lines:
                curves.append(-lines[(b, a)])
            else:
                lines[(a, b)] = lines.get((a, b)) or occ.addLine(a, b)
                curves.append(lines[(a, b)])
        surfaces.append(occ.addPlaneSurface([occ.addCurveLoop(curves)]))
    return surfaces


def _crack_body(crack: Crack, depth: float | None = None) -> list[tuple[int, int]]:
    """The crack as a union of tapered quads and disks (model units), fused; in 3D
    (``depth`` [m]) the section in the x–z plane extruded through the depth (a slot)."""
    occ = gmsh.model.occ
    points = crack_points(crack) / UM
    half, tip = 0.5 * crack.opening / UM, crack.tip_radius / UM
    if len(crack.start) == 1:  # start above the interface so the mouth cuts cleanly
        direction = (points[1] - points[0]) / np.linalg.norm(points[1] - points[0])
        points[0] = points[0] - 2 * half * direction / max(-direction[1], 0.2)
    parts = []
    last = len(points) - 2
    for k in range(len(points) - 1):
        a, b = points[k], points[k + 1]
        d = (b - a) / np.linalg.norm(b - a)
        n = np.array([-d[1], d[0]])
        h_end = tip if k == last else half
        quad = np.array([a + half * n, b + h_end * n, b - h_end * n, a - half * n])
        parts.append((2, _polygon(quad)))
        radius = tip if k == last else half
        parts.append((2, occ.addDisk(b[0], b[1], 0, radius, radius)))
    body, _ = occ.fuse(parts[:1], parts[1:])
    if depth is None:
        return body
    occ.rotate(body, 0, 0, 0, 1, 0, 0, math.pi / 2)  # (x, y, 0) → (x, 0, y)
    slot = occ.extrude(body, 0, depth / UM, 0)
    return [e for e in slot if e[0] == 3]


def build_cad(
    geom, electrolyte: tuple[int, int], lithium: tuple[int, int], void_tools: list[tuple[int, int]]
) -> dict[int, str]:
    """Fragment the layers with the microstructure; returns {cell tag: region name}.

    ``electrolyte`` and ``lithium`` are the layer entities, ``void_tools`` the full void
    shapes (not yet cut from the Li). Steps: partition the electrolyte layer (interlayer,
    grains and bands), cut pores and cracks from every piece, add Li-filled cracks to the
    Li, fragment everything into one conforming model. Region labels follow each entity
    through the Boolean operations.
    """
    occ = gmsh.model.occ
    ms = geom.microstructure
    dim = geom.gdim
    default = "grain_boundary" if ms.grains is not None else "electrolyte"
    parts = [(electrolyte, default)]
    if ms.interlayer_thickness > 0:
        parts.append(((dim, _layer_tool(geom)), "interlayer"))
    if ms.grains is not None and dim == 3:
        crystal = polycrystal_3d(geom)
        parts += [((dim, _polyhedron(p)), "electrolyte") for p in crystal.grains]
        parts += [((2, _surfaces([f])[0]), "junction") for f in crystal.junction_faces]
    elif ms.grains is not None:
        parts += [((dim, _polygon(p / UM)), "electrolyte") for p in grain_polygons(geom)]
    parts = _fragment(parts)  # later parts override: interlayer and grains lie in the layer
    cracks = [(c, _crack_body(c, geom.depth if dim == 3 else None)) for c in ms.cracks]
    holes = [(dim, _pore_tool(dim, p)) for p in ms.pores]
    holes += [e for c, body in cracks if not c.filled for e in body]
    filled = [e for c, body in cracks if c.filled for e in body]
    if holes or filled:
        out, children = occ.cut([e for e, _ in parts], holes + filled, removeTool=False)
        parts = [
            (child, label)
            for (_, label), kids in zip(parts, children, strict=False)
            for child in kids
            if child[0] == dim
        ]
        occ.remove(holes, recursive=True)
    li = [lithium]
    liquid: list[tuple[int, int]] = []
    if void_tools and ms.liquid_voids:
        liquid, _ = occ.intersect(void_tools, [lithium], removeObject=False, removeTool=False)
        li, _ = occ.cut(li, liquid, removeTool=False)
        occ.remove(void_tools, recursive=True)
    elif void_tools:
        li, _ = occ.cut(li, void_tools)
    if filled:
        li, _ = occ.fuse(li, filled)
    parts += [(e, "lithium") for e in li] + [(e, "liquid") for e in liquid]
    parts = _fragment(parts)
    occ.synchronize()
    return {tag: label for (_, tag), label in parts}


def _fragment(parts: list[tuple[tuple[int, int], str]]) -> list[tuple[tuple[int, int], str]]:
    """Fragment labelled entities; a piece shared by several takes the last one's label."""
    if len(parts) == 1:
        return parts
    _, children = gmsh.model.occ.fragment([e for e, _ in parts], [])
    labels: dict[tuple[int, int], str] = {}
    for (_, label), kids in zip(parts, children, strict=True):
        for child in kids:
            labels[child] = label
    dim = parts[0][0][0]
    return [(e, label) for e, label in labels.items() if e[0] == dim]


def _pore_tool(dim: int, pore: Pore) -> int:
    occ = gmsh.model.occ
    c, r = [x / UM for x in pore.center], pore.radius / UM
    if dim == 2:
        return occ.addDisk(c[0], c[1], 0, r, r)
    return occ.addSphere(c[0], c[1], c[2], r)


def _layer_tool(geom) -> int:
    """The interlayer slab −t ≤ y ≤ 0 (z in 3D), used to split the electrolyte."""
    occ = gmsh.model.occ
    w, d, t = geom.width / UM, geom.depth / UM, geom.microstructure.interlayer_thickness / UM
    if geom.gdim == 3:
        return occ.addBox(0, 0, -t, w, d, t)
    return occ.addRectangle(0, -t, 0, w, t)


# ---------------------------------------------------------------------------------------
# Classification of facets
# ---------------------------------------------------------------------------------------

SOLID = ("electrolyte", "grain_boundary", "interlayer")


def classify(geom, regions: dict[int, str], outer_group) -> dict[str, set[int]]:
    """Physical groups from the cell regions and the facet adjacencies.

    ``outer_group(layer, tag)`` names a facet on the cell's outer faces (counter,
    collector, sides, axis) or returns a void_* name otherwise (``meshes.build``).
    """
    from lisse.meshes.geometry import CELL_TAGS, FACET_TAGS

    dim = geom.gdim
    groups: dict[str, set[int]] = {name: set() for name in (*CELL_TAGS, *FACET_TAGS)}
    for tag, region in regions.items():
        groups.setdefault(region, set()).add(tag)
    tol = 1e-6 * max(geom.width, geom.electrolyte_thickness, geom.lithium_thickness) / UM
    for _, facet in gmsh.model.getEntities(dim - 1):
        up, _ = gmsh.model.getAdjacencies(dim - 1, facet)
        sides = sorted(regions[c] for c in up if c in regions)
        name = _facet_name(geom, facet, sides, outer_group, tol)
        if name:
            groups.setdefault(name, set()).add(facet)
    return groups


def _facet_name(geom, facet: int, sides: list[str], outer_group, tol: float) -> str | None:
    dim = geom.gdim
    if len(sides) == 2:
        a, b = sides
        other = b if a == "lithium" else a
        if "lithium" in sides and other in SOLID:
            below = gmsh.model.getBoundingBox(dim - 1, facet)[dim - 1] < -tol
            return "crack_lithium" if below else "contact"
        if {a, b} == {"lithium", "liquid"}:
            return "liquid_lithium"
        if "liquid" in sides:
            return "void_electrolyte"
        return None
    if len(sides) != 1:
        return None
    layer = "lithium" if sides[0] == "lithium" else "electrolyte"
    name = outer_group(layer, facet)
    if name != "void_electrolyte":
        return name
    box = gmsh.model.getBoundingBox(dim - 1, facet)
    if box[dim - 1] > -tol:  # on the interface plane: a dry void floor
        return name
    if _in_pore(geom, box):
        return "pore"
    internal = dim == 3 and sides[0] == "grain_boundary" and not geom.microstructure.cracks
    return None if internal else "crack_face"


def _in_pore(geom, box) -> bool:
    centre = np.array([(box[k] + box[k + 3]) / 2 for k in range(geom.gdim)]) * UM
    return any(
        math.dist(centre, p.center) < p.radius * (1 + 1e-6) for p in geom.microstructure.pores
    )


# ---------------------------------------------------------------------------------------
# Mesh sizes
# ---------------------------------------------------------------------------------------


def size_fields(geom, groups: dict[str, set[int]], threshold) -> list[int]:
    """Extra Gmsh size fields (model units): band_width/2 in grain-boundary bands (in 3D
    at most sizes.interface),
    sizes.edge at crack tips, sizes.interface on crack and pore faces.

    ``threshold(field, size_min, size_max, growth)`` is ``meshes.build._threshold``.
    """
    field = gmsh.model.mesh.field
    ms, sizes, dim = geom.microstructure, geom.sizes, geom.gdim
    bulk, growth = sizes.bulk / UM, sizes.growth
    out = []
    lists = "SurfacesList" if dim == 3 else "CurvesList"

    def distance_to(facets: set[int]) -> int:
        tag = field.add("Distance")
        field.setNumbers(tag, lists, sorted(facets))
        if dim == 2:
            field.setNumber(tag, "Sampling", 200)
        return tag

    if ms.grains is not None and groups.get("grain_boundary"):
        facets = _facets_of(dim, groups["grain_boundary"])
        band = ms.grains.band_width / 2
        if dim == 3:  # refinable: the interface size, at most half the band width
            band = min(band, sizes.interface)
        out.append(threshold(distance_to(facets), band / UM, bulk, growth))
    faces = set()
    for name in ("crack_lithium", "crack_face", "pore"):
        faces |= groups.get(name, set())
    if faces:
        out.append(threshold(distance_to(faces), sizes.interface / UM, bulk, growth))
    for crack in ms.cracks:  # distance to the centre of the tip
        x, y = (float(c) for c in crack_points(crack)[-1] / UM)
        tag = field.add("MathEval")
        up = "z" if dim == 3 else "y"  # the tip is a line along y in 3D
        field.setString(tag, "F", f"Sqrt((x - ({x!r}))^2 + ({up} - ({y!r}))^2)")
        out.append(threshold(tag, sizes.edge / UM, bulk, growth))
    return out


def _facets_of(dim: int, cells: set[int]) -> set[int]:
    pairs = gmsh.model.getBoundary([(dim, t) for t in cells], combined=False, oriented=False)
    return {tag for _, tag in pairs}
