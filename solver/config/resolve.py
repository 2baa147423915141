"""Resolution of a validated case to the SI dataclasses of ``solver.config.params``
(µm→m, mA/cm²→A/m², Ω cm²→Ω m², S/cm→S/m, GPa→Pa, °C→K), and ``resolved_dict``: the
complete configuration that was run, for ``config_resolved.yaml``.

Temperature enters here and only here (``at_temperature``): the ionic conductivities
(bulk electrolyte, grain boundaries, interlayer), the exchange current densities and the
linear charge-transfer conductances are given at the reference temperature
``materials.electrolyte.reference_temperature_C`` (library, default 25 °C) and follow

    X(T) = X_ref · exp(−E_a/R · (1/T − 1/T_ref))

with the activation energy E_a of each quantity (docs/theory.md, "Temperature").
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from lisse.meshes.geometry import CellGeometry, MeshSizes, Void
from lisse.solver.config.impedance_schema import settings as impedance_settings
from lisse.solver.config.interphase_schema import settings as interphase_settings
from lisse.solver.config.lithium_schema import hardening, strength_factor
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
from lisse.solver.config.picture_schema import picture_seconds

if TYPE_CHECKING:
    from lisse.solver.config.physics_schema import MechanicsSpec, _KineticsSpec
    from lisse.solver.config.schema import Case

from lisse.units import (
    A_M2_PER_MA_CM2,
    GAS_CONSTANT,
    J_PER_KJ,
    NM_PER_M,
    OHM_CM2_PER_OHM_M2,
    PA_PER_GPA,
    PA_PER_MPA,
    S_M_PER_S_CM,
    UM_PER_M,
    kelvin,
)


def _kinetics(spec: _KineticsSpec) -> Kinetics:
    return Kinetics(
        model=spec.kinetics,
        exchange_current_density=(spec.exchange_current_density_mA_cm2 or 0.0) * A_M2_PER_MA_CM2,
        alpha_a=spec.alpha_a,
        alpha_c=spec.alpha_c,
        resistance=(spec.resistance_ohm_cm2 or 0.0) / OHM_CM2_PER_OHM_M2,
        film_resistance=spec.film_resistance_ohm_cm2 / OHM_CM2_PER_OHM_M2,
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
            refinements=g.mesh.refinements,
        ),
        depth=depth,
        voids=tuple(voids),
        contact_spot_radius=None if spot is None else spot / UM_PER_M,
        gap_height=0.0 if spot is None else g.gap_height_um / UM_PER_M,
        microstructure=_microstructure_geometry(case),
        lithium_shape=g.lithium_shape,
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
        gb = GrainBoundary(ionic_conductivity=g.ionic_conductivity_S_cm * S_M_PER_S_CM,
                           electronic_conductivity=g.electronic_conductivity_S_cm * S_M_PER_S_CM,
                           youngs_modulus=g.youngs_modulus_GPa * PA_PER_GPA,
                           width=g.boundary_width_nm / NM_PER_M)
    if ms.interlayer is not None:
        i = ms.interlayer
        il = Region(ionic_conductivity=i.ionic_conductivity_S_cm * S_M_PER_S_CM,
                    electronic_conductivity=i.electronic_conductivity_S_cm * S_M_PER_S_CM,
                    youngs_modulus=i.youngs_modulus_GPa * PA_PER_GPA)
    liquid = ms.void_filling.ionic_conductivity_S_cm * S_M_PER_S_CM if ms.void_filling else 0.0
    return MicrostructureProperties(grain_boundary=gb, interlayer=il,
                                    liquid_conductivity=liquid)


REFERENCE_TEMPERATURE_C = 25.0  # °C, unless the electrolyte entry gives reference_temperature_C


def arrhenius(activation_energy_kJ_mol: float, temperature_C: float,
              reference_C: float) -> float:
    """The Arrhenius factor exp(−E_a/R · (1/T − 1/T_ref)) [-] for E_a [kJ/mol] and the
    temperatures T, T_ref [°C]; exactly 1 when T = T_ref (the difference is exactly 0)."""
    inverse = 1 / kelvin(temperature_C) - 1 / kelvin(reference_C)
    return math.exp(-activation_energy_kJ_mol * J_PER_KJ / GAS_CONSTANT * inverse)


def at_temperature(case: Case) -> Case:
    """A copy of ``case`` with every temperature-dependent input at the case temperature
    and the reference temperature set to it (so applying it again changes nothing).

    Scaled by exp(−E_a/R (1/T − 1/T_ref)): the electrolyte's ionic conductivity and library
    i0; each interface's i0 (butler_volmer) and conductance 1/Z (linear) with its
    ``exchange_current_density_activation_energy_kJ_mol``; the grain-boundary and interlayer
    ionic conductivities with theirs. Temperature independent: electronic conductivities,
    film resistances, elastic constants, the liquid void filling (no activation energies in
    the project sources). Li creep and self-diffusion carry their own Arrhenius laws
    (absolute prefactors, ``params.Electrode``).
    """
    case = case.model_copy(deep=True)
    temperature = case.temperature_C
    choice = case.materials.electrolyte
    values = choice.values()
    reference = values.get("reference_temperature_C", REFERENCE_TEMPERATURE_C)

    def factor(activation_energy: float) -> float:
        return arrhenius(activation_energy, temperature, reference)

    choice.overrides.update(
        ionic_conductivity_S_cm=values["ionic_conductivity_S_cm"]
        * factor(values["ionic_conductivity_activation_energy_kJ_mol"]),
        li_exchange_current_density_mA_cm2=values["li_exchange_current_density_mA_cm2"]
        * factor(values["li_exchange_current_density_activation_energy_kJ_mol"]),
        reference_temperature_C=temperature,
    )
    for spec in (case.interface, case.counter_electrode):
        energy = spec.exchange_current_density_activation_energy_kJ_mol
        if energy is None:
            continue
        if spec.exchange_current_density_mA_cm2 is not None:
            spec.exchange_current_density_mA_cm2 *= factor(energy)
        if spec.resistance_ohm_cm2 is not None:
            spec.resistance_ohm_cm2 /= factor(energy)
    ms = case.microstructure
    for region in () if ms is None else (ms.grains, ms.interlayer):
        if region is not None:
            region.ionic_conductivity_S_cm *= factor(
                region.ionic_conductivity_activation_energy_kJ_mol)
    return case


def resolve(case: Case) -> Resolved:
    """The case in SI units (µm→m, mA/cm²→A/m², Ω cm²→Ω m², S/cm→S/m, GPa→Pa, °C→K), with
    the temperature-dependent properties at the case temperature (``at_temperature``)."""
    interphase = _interphase(case)
    case = at_temperature(case)
    electrolyte = case.materials.electrolyte.values()
    electrode = case.materials.electrode.values()
    protocol = case.protocol
    return Resolved(
        name=case.name,
        geometry=_geometry(case),
        electrolyte=Electrolyte(
            name=case.materials.electrolyte.name,
            ionic_conductivity=electrolyte["ionic_conductivity_S_cm"] * S_M_PER_S_CM,
            electronic_conductivity=electrolyte["electronic_conductivity_S_cm"] * S_M_PER_S_CM,
            youngs_modulus=electrolyte["youngs_modulus_GPa"] * PA_PER_GPA,
            poisson_ratio=electrolyte["poisson_ratio"],
        ),
        electrode=Electrode(
            name=case.materials.electrode.name,
            molar_volume=electrode["molar_volume_m3_mol"],
            youngs_modulus=electrode["youngs_modulus_GPa"] * PA_PER_GPA,
            poisson_ratio=electrode["poisson_ratio"],
            self_diffusivity=electrode.get("self_diffusivity_m2_s", 1e-15),
            self_diffusion_activation_energy=electrode.get(
                "self_diffusion_activation_energy_kJ_mol", 53.0) * J_PER_KJ,
            creep_prefactor=electrode["creep_prefactor_1_s"],
            creep_activation_energy=electrode["creep_activation_energy_kJ_mol"] * J_PER_KJ,
            creep_reference_stress=electrode["creep_reference_stress_MPa"] * PA_PER_MPA,
            creep_stress_exponent=electrode["creep_stress_exponent"],
        ),
        working=_kinetics(case.interface),
        counter=_kinetics(case.counter_electrode),
        protocol=Protocol(
            mode=protocol.mode,
            current_density=(protocol.current_density_mA_cm2 or 0.0) * A_M2_PER_MA_CM2,
            voltage=protocol.voltage_V or 0.0,
        ),
        temperature=kelvin(case.temperature_C),
        numerics=Numerics(**case.numerics.model_dump()),
        output=Output(
            directory=case.output.directory,
            fields=case.output.fields,
            plots=case.output.plots,
            figure_formats=tuple(dict.fromkeys(["png", *case.output.figure_formats])),
            interface_picture_times=picture_seconds(case.output.interface_picture_times_h),
        ),
        seed=case.seed,
        microstructure=_microstructure_properties(case),
        leakage=Leakage(
            enabled=case.electronic_leakage.enabled,
            interface_energy=case.electronic_leakage.nucleus_interface_energy_J_m2,
            plating_time=case.electronic_leakage.plating_time_s,
        ),
        evolution=_evolution(case, electrode),
        mechanics=_mechanics(case.mechanics),
        impedance=None if case.impedance is None else impedance_settings(case.impedance),
        interphase=interphase,
        hardening=hardening(case.lithium, electrode),
        lithium_strength_factor=strength_factor(case.lithium, electrode),
    )


def _interphase(case: Case):
    """SI parameters of the ``interphase:`` section (before ``at_temperature``: its rate
    constant holds at the library's reference temperature), or None."""
    if case.interphase is None:
        return None
    values = case.materials.electrolyte.values()
    return interphase_settings(case.interphase, values,
                               values.get("reference_temperature_C", REFERENCE_TEMPERATURE_C))


def _mechanics(spec: MechanicsSpec) -> MechanicsSettings | None:
    if not spec.enabled:
        return None
    return MechanicsSettings(
        stack_pressure=spec.stack_pressure_MPa * PA_PER_MPA,
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
    actually used, at the case temperature (``at_temperature``: the reference temperature
    becomes the case temperature), for ``config_resolved.yaml``; loading it again gives the
    same case."""
    case = at_temperature(case)
    data = case.model_dump(mode="json")
    for role in ("electrolyte", "electrode"):
        choice = getattr(case.materials, role)
        data["materials"][role] = {"name": choice.name, **choice.values()}
    return data
