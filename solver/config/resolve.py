"""Resolution of a validated case to the SI dataclasses of ``solver.config.params``
(µm→m, mA/cm²→A/m², Ω cm²→Ω m², S/cm→S/m, GPa→Pa, °C→K), and ``resolved_dict``: the
complete configuration that was run, for ``config_resolved.yaml``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from lisse.meshes.geometry import CellGeometry, MeshSizes, Void
from lisse.solver.config.params import (
    Electrode,
    Electrolyte,
    GrainBoundary,
    Kinetics,
    Leakage,
    MechanicsSettings,
    MicrostructureProperties,
    Numerics,
    Output,
    Protocol,
    Region,
    Resolved,
)

if TYPE_CHECKING:
    from lisse.solver.config.physics_schema import MechanicsSpec, _KineticsSpec
    from lisse.solver.config.schema import Case

UM_PER_M = 1e6  # lengths: divide µm by this (division keeps 100 µm -> exactly 1e-4 m)
MA_CM2 = 10.0  # A/m² per mA/cm²
CM2_PER_M2 = 1e4  # Ω m² = Ω cm² / 1e4
S_CM = 100.0  # S/m per S/cm
GPA = 1e9  # Pa per GPa
ZERO_CELSIUS = 273.15  # K


def _kinetics(spec: _KineticsSpec) -> Kinetics:
    return Kinetics(
        model=spec.kinetics,
        exchange_current_density=(spec.exchange_current_density_mA_cm2 or 0.0) * MA_CM2,
        alpha_a=spec.alpha_a,
        alpha_c=spec.alpha_c,
        resistance=(spec.resistance_ohm_cm2 or 0.0) / CM2_PER_M2,
        film_resistance=spec.film_resistance_ohm_cm2 / CM2_PER_M2,
    )


def _geometry(case: Case) -> CellGeometry:
    g = case.geometry
    depth = (g.depth_um or 0.0) / UM_PER_M
    if g.random_voids is not None:
        from lisse.meshes.voids import random_voids  # imported here: needs only a random case

        r = g.random_voids
        voids = random_voids(
            g.dimension,
            g.width_um / UM_PER_M,
            depth,
            r.contact_fraction,
            (r.radius_um[0] / UM_PER_M, r.radius_um[1] / UM_PER_M),
            r.height_ratio,
            r.shape,
            case.seed,
            r.min_spacing_um / UM_PER_M,
        )
    else:
        voids = tuple(
            Void(
                center=tuple(c / UM_PER_M for c in v.coordinates()),
                radius=v.radius_um / UM_PER_M,
                height=v.height_um / UM_PER_M,
                shape=v.shape,
            )
            for v in g.voids
        )
    spot = g.contact_spot_radius_um
    return CellGeometry(
        dimension=g.dimension,
        width=g.width_um / UM_PER_M,
        lithium_thickness=g.lithium_thickness_um / UM_PER_M,
        electrolyte_thickness=g.electrolyte_thickness_um / UM_PER_M,
        sizes=MeshSizes(
            bulk=g.mesh.size_um / UM_PER_M,
            interface=g.mesh.interface_size_um / UM_PER_M,
            edge=g.mesh.edge_size_um / UM_PER_M,
            growth=g.mesh.growth_rate,
        ),
        depth=depth,
        voids=tuple(voids),
        contact_spot_radius=None if spot is None else spot / UM_PER_M,
        gap_height=0.0 if spot is None else g.gap_height_um / UM_PER_M,
        microstructure=_microstructure_geometry(case),
    )


def _microstructure_geometry(case: Case):
    """The geometric part of the microstructure section (``meshes.microstructure``)."""
    ms = case.microstructure
    if ms is None:
        return None
    from lisse.meshes.microstructure import Crack, Grains, Microstructure, Pore

    grains = None
    if ms.grains is not None:
        g = ms.grains
        grains = Grains(size=g.size_um / UM_PER_M, band_width=g.band_width_um / UM_PER_M,
                        spread=g.spread, seed=g.seed)
    cracks = []
    for c in ms.cracks:
        lengths, angles = c.segments()
        start = c.start_um if isinstance(c.start_um, tuple) else (c.start_um,)
        cracks.append(Crack(
            start=tuple(x / UM_PER_M for x in start),
            segments=tuple((length / UM_PER_M, math.radians(angle))
                           for length, angle in zip(lengths, angles, strict=True)),
            opening=c.opening_um / UM_PER_M, tip_radius=c.tip_radius_um / UM_PER_M,
            filled=c.filling == "lithium"))
    return Microstructure(
        grains=grains, cracks=tuple(cracks),
        pores=tuple(Pore(tuple(x / UM_PER_M for x in p.center_um), p.radius_um / UM_PER_M)
                    for p in ms.pores),
        interlayer_thickness=(ms.interlayer.thickness_um / UM_PER_M if ms.interlayer
                              else 0.0),
        liquid_voids=ms.void_filling is not None)


def _microstructure_properties(case: Case) -> MicrostructureProperties | None:
    ms = case.microstructure
    if ms is None:
        return None
    gb = il = None
    if ms.grains is not None:
        g = ms.grains
        gb = GrainBoundary(ionic_conductivity=g.ionic_conductivity_S_cm * S_CM,
                           electronic_conductivity=g.electronic_conductivity_S_cm * S_CM,
                           youngs_modulus=g.youngs_modulus_GPa * GPA,
                           width=g.boundary_width_nm * 1e-9)
    if ms.interlayer is not None:
        i = ms.interlayer
        il = Region(ionic_conductivity=i.ionic_conductivity_S_cm * S_CM,
                    electronic_conductivity=i.electronic_conductivity_S_cm * S_CM,
                    youngs_modulus=i.youngs_modulus_GPa * GPA)
    liquid = ms.void_filling.ionic_conductivity_S_cm * S_CM if ms.void_filling else 0.0
    return MicrostructureProperties(grain_boundary=gb, interlayer=il,
                                    liquid_conductivity=liquid)


def resolve(case: Case) -> Resolved:
    """The case in SI units (µm→m, mA/cm²→A/m², Ω cm²→Ω m², S/cm→S/m, GPa→Pa, °C→K)."""
    electrolyte = case.materials.electrolyte.values()
    electrode = case.materials.electrode.values()
    protocol = case.protocol
    return Resolved(
        name=case.name,
        geometry=_geometry(case),
        electrolyte=Electrolyte(
            name=case.materials.electrolyte.name,
            ionic_conductivity=electrolyte["ionic_conductivity_S_cm"] * S_CM,
            electronic_conductivity=electrolyte["electronic_conductivity_S_cm"] * S_CM,
            youngs_modulus=electrolyte["youngs_modulus_GPa"] * GPA,
            poisson_ratio=electrolyte["poisson_ratio"],
        ),
        electrode=Electrode(
            name=case.materials.electrode.name,
            molar_volume=electrode["molar_volume_m3_mol"],
            youngs_modulus=electrode["youngs_modulus_GPa"] * GPA,
            poisson_ratio=electrode["poisson_ratio"],
            self_diffusivity=electrode.get("self_diffusivity_m2_s", 1e-15),
            self_diffusion_activation_energy=electrode.get(
                "self_diffusion_activation_energy_kJ_mol", 53.0) * 1e3,
            creep_prefactor=electrode["creep_prefactor_1_s"],
            creep_activation_energy=electrode["creep_activation_energy_kJ_mol"] * 1e3,
            creep_reference_stress=electrode["creep_reference_stress_MPa"] * 1e6,
            creep_stress_exponent=electrode["creep_stress_exponent"],
        ),
        working=_kinetics(case.interface),
        counter=_kinetics(case.counter_electrode),
        protocol=Protocol(
            mode=protocol.mode,
            current_density=(protocol.current_density_mA_cm2 or 0.0) * MA_CM2,
            voltage=protocol.voltage_V or 0.0,
        ),
        temperature=case.temperature_C + ZERO_CELSIUS,
        numerics=Numerics(**case.numerics.model_dump()),
        output=Output(
            directory=case.output.directory,
            fields=case.output.fields,
            plots=case.output.plots,
            figure_formats=tuple(dict.fromkeys(["png", *case.output.figure_formats])),
        ),
        seed=case.seed,
        microstructure=_microstructure_properties(case),
        leakage=Leakage(
            enabled=case.electronic_leakage.enabled,
            nucleation_current_density=case.electronic_leakage.nucleation_current_density_mA_cm2
            * MA_CM2,
        ),
        evolution=_evolution(case, electrode),
        mechanics=_mechanics(case.mechanics),
    )


def _mechanics(spec: MechanicsSpec) -> MechanicsSettings | None:
    if not spec.enabled:
        return None
    return MechanicsSettings(
        stack_pressure=spec.stack_pressure_MPa * 1e6,
        loading=spec.loading,
        li_model=spec.li_model,
        duration=spec.duration_s,
        time_steps=spec.time_steps,
        first_step=spec.first_step_s,
        stress_coupling=spec.stress_coupling,
        element_degree=spec.element_degree,
        contact_penalty=spec.contact_penalty,
    )


def _evolution(case: Case, electrode: dict[str, float]):
    """SI settings of the ``evolution:`` section (``solver.config.evolution``), or None."""
    if case.evolution is None:
        return None
    from lisse.solver.config.evolution import settings

    return settings(case.evolution, electrode, case.mechanics.stack_pressure_MPa)


def resolved_dict(case: Case) -> dict[str, Any]:
    """The complete configuration (JSON types) with every default and the material values
    actually used, for ``config_resolved.yaml``; loading it again gives the same case."""
    data = case.model_dump(mode="json")
    for role in ("electrolyte", "electrode"):
        choice = getattr(case.materials, role)
        data["materials"][role] = {"name": choice.name, **choice.values()}
    return data
