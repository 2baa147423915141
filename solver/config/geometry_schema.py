"""The ``geometry:`` section of a case: voids, random voids, contact spot and mesh sizes
(lengths in µm); see ``meshes.geometry.CellGeometry``."""

from __future__ import annotations

import math
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from lisse.solver.config.base import Number, _fail, _section, _Strict, point
from lisse.solver.config.messages import _got


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


class MeshSpec(_Strict):
    """Target element sizes [µm]; ``None`` takes the default from the geometry."""

    size_um: Number | None = Field(None, gt=0)  # bulk; default electrolyte_thickness_um / 10
    interface_size_um: Number | None = Field(None, gt=0)  # default size_um / 5
    edge_size_um: Number | None = Field(None, gt=0)  # contact edges; default interface / 5
    growth_rate: Number = Field(0.2, ge=0.02, le=2)  # size increase per unit distance


class GeometrySpec(_Strict):
    """Cell geometry (lengths in µm); see ``meshes.geometry.CellGeometry``."""

    dimension: Literal["plane", "axisymmetric", "3d"] = "plane"
    width_um: Number = Field(gt=0)  # lateral size in x (the radius if axisymmetric)
    depth_um: Number | None = Field(None, gt=0)  # 3d only: extent in y; default width_um
    lithium_thickness_um: Number = Field(gt=0)
    electrolyte_thickness_um: Number = Field(gt=0)
    lateral_boundary: Literal["symmetric", "periodic"] = "symmetric"
    voids: list[VoidSpec] = Field(default_factory=list)
    random_voids: RandomVoidsSpec | None = None
    contact_spot_radius_um: Number | None = Field(None, gt=0)
    gap_height_um: Number = Field(1.0, gt=0)  # Li/electrolyte gap around the contact spot
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
        return self

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
