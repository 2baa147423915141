"""The ``geometry:`` section of a case: voids, random voids, contact spot and mesh sizes
(lengths in µm); see ``meshes.geometry.CellGeometry``.

Size guard: before Gmsh starts, ``estimated_cells`` predicts the number of cells from the
cell's area (volume) and the mesh sizes, and a geometry asking for more than
``mesh.max_cells`` (default ``MAX_CELLS``) is refused with a one-line message.
"""

from __future__ import annotations

import math
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from lisse.meshes.refine import MAX_REFINEMENTS
from lisse.solver.config.base import Integer, Number, _fail, _section, _Strict, point
from lisse.solver.config.messages import _got
from lisse.units import UM_PER_M


class VoidSpec(_Strict):
    """One interfacial void (lengths in µm); see ``meshes.geometry.Void``."""

    center_um: Number | tuple[Number, Number]  # x (plane, axisymmetric) or [x, y] (3d)
    radius_um: Number = Field(gt=0)  # footprint half-width
    height_um: Number = Field(gt=0)  # extent into the Li
    shape: Literal["ellipse", "cap"] = "ellipse"

    @field_validator("center_um", mode="before")
    @classmethod
    def _number_or_pair(cls, value: Any) -> Any:
        # YAML 1.1 reads 5e1 as a string: numeric strings are numbers
        return point(value, (1, 2), "a number (plane, axisymmetric) or [x, y] (3d)")

    def coordinates(self) -> tuple[float, ...]:
        """The centre as a tuple: (x,) or (x, y) [µm]."""
        return self.center_um if isinstance(self.center_um, tuple) else (self.center_um,)


class RandomVoidsSpec(_Strict):
    """Random voids covering ``1 - contact_fraction`` of the interface (lengths in µm)."""

    contact_fraction: Number = Field(gt=0, lt=1)  # bonded fraction of the interface area
    radius_um: tuple[Number, Number]  # [min, max] footprint half-width
    height_ratio: Number = Field(0.5, gt=0)  # height / radius
    shape: Literal["ellipse", "cap"] = "ellipse"
    # minimum gap between void footprints and to the side faces; default mesh.edge_size_um
    min_spacing_um: Number | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _radius_range(self) -> Self:
        low, high = self.radius_um
        if not 0 < low <= high:
            _fail(
                f"must be [min, max] with 0 < min <= max (got {list(self.radius_um)})", "radius_um"
            )
        return self


MAX_CELLS = 5_000_000  # default geometry.mesh.max_cells
MAX_LENGTH_UM = UM_PER_M  # 1 m: any geometry length above is a unit mistake
# cells per h² (triangles) and per h³ (tetrahedra) of a mesh of edge length h: the
# inverses of the equilateral areas √3/4 h² and volumes h³/(6√2)
TRIANGLES_PER_H2 = 4 / math.sqrt(3)
TETRAHEDRA_PER_H3 = 6 * math.sqrt(2)


class MeshSpec(_Strict):
    """Target element sizes [µm]; ``None`` takes the default from the geometry;
    ``max_cells`` bounds the predicted cell count (``estimated_cells``)."""

    size_um: Number | None = Field(None, gt=0)  # bulk; default electrolyte_thickness_um / 10
    interface_size_um: Number | None = Field(None, gt=0)  # default size_um / 5
    edge_size_um: Number | None = Field(None, gt=0)  # contact edges; default interface / 5
    growth_rate: Number = Field(0.2, ge=0.02, le=2)  # size increase per unit distance
    max_cells: Integer = Field(MAX_CELLS, gt=0)  # refuse a mesh predicted to be larger
    # Gmsh meshes at 2^n times the sizes, each cell is then split n times (lisse.meshes.refine)
    refinements: Integer = Field(0, ge=0, le=MAX_REFINEMENTS)


class GeometrySpec(_Strict):
    """Cell geometry (lengths in µm); see ``meshes.geometry.CellGeometry``."""

    dimension: Literal["plane", "axisymmetric", "3d"] = "plane"
    width_um: Number = Field(gt=0, le=MAX_LENGTH_UM)  # lateral x size (axisymmetric: radius)
    depth_um: Number | None = Field(None, gt=0, le=MAX_LENGTH_UM)  # 3d only: y; default width
    lithium_thickness_um: Number = Field(gt=0, le=MAX_LENGTH_UM)
    electrolyte_thickness_um: Number = Field(gt=0, le=MAX_LENGTH_UM)
    lateral_boundary: Literal["symmetric", "periodic"] = "symmetric"
    voids: list[VoidSpec] = Field(default_factory=list)
    random_voids: RandomVoidsSpec | None = None
    contact_spot_radius_um: Number | None = Field(None, gt=0)
    gap_height_um: Number = Field(1.0, gt=0)  # Li/electrolyte gap around the contact spot
    # "layer", or "quarter_disk" (plane): the Li is the quarter disk of radius
    # lithium_thickness_um (> width_um: it overhangs the electrolyte), pressed on its arc; a
    # void of radius = height at x = 0 makes it the thick cylinder of M2 (meshes.quarter_disk)
    lithium_shape: Literal["layer", "quarter_disk"] = "layer"
    mesh: MeshSpec = _section()

    @model_validator(mode="after")
    def _check_and_fill(self) -> Self:
        if self.lateral_boundary == "periodic":
            _fail(
                "periodic lateral boundaries are not yet supported; use symmetric",
                "lateral_boundary",
            )
        is_3d = self.dimension == "3d"
        if self.depth_um is not None and not is_3d:
            _fail(f"only used with dimension 3d (dimension is {self.dimension})", "depth_um")
        if is_3d and self.depth_um is None:
            self.depth_um = self.width_um
        if self.random_voids is not None and self.voids:
            _fail("exclusive with voids: give one or the other", "random_voids")
        if self.contact_spot_radius_um is not None:
            if self.voids or self.random_voids is not None:
                _fail("exclusive with voids and random_voids", "contact_spot_radius_um")
            limit = min(self.width_um, self.depth_um or math.inf)
            if self.contact_spot_radius_um >= limit:
                _fail(
                    f"must be < the cell's lateral size {limit:g} (got "
                    f"{self.contact_spot_radius_um:g})",
                    "contact_spot_radius_um",
                )
        if self.lithium_shape == "quarter_disk":
            self._check_quarter_disk()
        for i, void in enumerate(self.voids):
            self._check_void(i, void)
        mesh = self.mesh
        if mesh.size_um is None:
            mesh.size_um = self.electrolyte_thickness_um / 10
        if mesh.interface_size_um is None:
            mesh.interface_size_um = mesh.size_um / 5
        if mesh.edge_size_um is None:
            mesh.edge_size_um = mesh.interface_size_um / 5
        if self.random_voids is not None and self.random_voids.min_spacing_um is None:
            self.random_voids.min_spacing_um = mesh.edge_size_um
        try:
            cells = estimated_cells(self)
        except (OverflowError, ZeroDivisionError):  # sizes of 1e-300 µm
            cells = math.inf
        if not cells <= mesh.max_cells:
            _fail(f"about {cells:.1e} cells requested (limit {mesh.max_cells:.1e}): raise "
                  "geometry.mesh.size_um or set geometry.mesh.max_cells", "mesh")
        return self

    def _check_quarter_disk(self) -> None:
        if self.dimension != "plane":
            _fail(f"quarter_disk needs dimension plane (got {self.dimension})", "lithium_shape")
        if not self.width_um < self.lithium_thickness_um:
            _fail(f"quarter_disk needs width_um < lithium_thickness_um, the disk radius (got "
                  f"{self.width_um:g} and {self.lithium_thickness_um:g})", "lithium_shape")
        if self.random_voids is not None or self.contact_spot_radius_um is not None:
            _fail("quarter_disk takes voids only (no random_voids, no contact spot)",
                  "lithium_shape")

    def _check_void(self, i: int, void: VoidSpec) -> None:
        center = void.coordinates()
        if len(center) != (2 if self.dimension == "3d" else 1):
            form = "[x, y]" if self.dimension == "3d" else "a number x"
            _fail(
                f"must be {form} for dimension {self.dimension} (got {_got(void.center_um)})",
                f"voids.{i}.center_um",
            )
        for coordinate, extent in zip(center, (self.width_um, self.depth_um), strict=False):
            if not 0 <= coordinate <= extent:
                _fail(
                    f"must lie in the cell, 0..{extent:g} (got {_got(void.center_um)})",
                    f"voids.{i}.center_um",
                )
        if void.height_um >= self.lithium_thickness_um:
            _fail(
                f"must be < lithium_thickness_um {self.lithium_thickness_um:g} "
                f"(got {void.height_um:g})",
                f"voids.{i}.height_um",
            )


def _band(h0: float, h_bulk: float, growth: float, thickness: float, power: int) -> float:
    """∫₀^T h(d)^-power dd for the size h(d) = min(h0 + growth·d, h_bulk) growing away
    from a refined plane (the Gmsh Threshold field of ``meshes.build``) [µm^(1-power)]."""
    h0 = min(h0, h_bulk)
    d_bulk = min((h_bulk - h0) / growth, thickness)  # where h reaches h_bulk (or the face)
    h_end = h0 + growth * d_bulk
    graded = (h0 ** (1 - power) - h_end ** (1 - power)) / ((power - 1) * growth)
    return graded + (thickness - d_bulk) / h_bulk ** power


def _tube(h0: float, h_out: float, growth: float, power: int) -> float:
    """Cells per point (2D, power 2) or per unit edge length (3D, power 3) around a contact
    edge refined to h0, growing as h0 + growth·r up to h_out:
    ∫₀^R 2πr k h(r)^-power dr with R = (h_out − h0)/growth; with u = h0 + growth·r,
    2D: (2πk/g²)[ln(u/h0) + h0/u − 1], 3D: (2πk/g²)[1/u₀ − 1/u − h0(1/u₀² − 1/u²)/2]
    at u from h0 to h_out."""
    u = max(h_out, h0)
    if power == 2:
        return 2 * math.pi * TRIANGLES_PER_H2 / growth**2 * (math.log(u / h0) + h0 / u - 1)
    return 2 * math.pi * TETRAHEDRA_PER_H3 / growth**2 * (
        1 / h0 - 1 / u - h0 * (1 / h0**2 - 1 / u**2) / 2)


def estimated_cells(g: GeometrySpec) -> float:
    """Predicted number of cells of the mesh of ``g`` (before meshing; within a factor ~2).

    The size grows linearly away from the interface plane (interface_size_um → size_um at
    growth_rate) into both the Li and the electrolyte, and from the contact edges
    (edge_size_um → interface_size_um). With k = 4/√3 triangles per h² (2D, the section of
    width W) or k = 6√2 tetrahedra per h³ (3D, the lateral area W·D):

        N = k · lateral · Σ_sides ∫₀^T h(d)^-p dd  +  edges · tube(edge → interface)

    with p = 2 (plane, axisymmetric) or 3 (3d); the edges are the contact-edge points (2D)
    or the void and contact-spot perimeters (3D)."""
    m, is_3d = g.mesh, g.dimension == "3d"
    power = 3 if is_3d else 2
    k = TETRAHEDRA_PER_H3 if is_3d else TRIANGLES_PER_H2
    lateral = g.width_um * (g.depth_um if is_3d else 1.0)
    bands = sum(_band(m.interface_size_um, m.size_um, m.growth_rate, t, power)
                for t in (g.lithium_thickness_um, g.electrolyte_thickness_um))
    radii = [v.radius_um for v in g.voids]
    if g.contact_spot_radius_um is not None:
        radii.append(g.contact_spot_radius_um)
    if is_3d:
        edges = sum(2 * math.pi * r for r in radii)
        if g.random_voids is not None:  # perimeter 2A/r̄ of voids covering area A
            mean = sum(g.random_voids.radius_um) / 2
            edges += 2 * (1 - g.random_voids.contact_fraction) * lateral / mean
    else:
        edges = 2 * len(radii)
        if g.random_voids is not None:
            edges += 2 * (1 - g.random_voids.contact_fraction) * g.width_um / min(
                g.random_voids.radius_um)
    return k * lateral * bands + edges * _tube(
        m.edge_size_um, m.interface_size_um, m.growth_rate, power)
