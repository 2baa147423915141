"""The ``evolution:`` section of a case: a galvanostatic protocol, the Li supply routes,
time stepping, failure criteria and the critical-current-density search (units in the
field names; ``settings`` converts to SI)."""

from __future__ import annotations

import math
from typing import Literal, Self

import numpy as np
from pydantic import Field, PrivateAttr, ValidationError, model_validator

from lisse.solver.config.base import Integer, Number, _fail, _Strict
from lisse.solver.config.cavity import cavity_criterion
from lisse.solver.config.protocol import ProtocolError, parse_protocol, staircase_currents
from lisse.solver.physics.creep_closure import CreepClosure
from lisse.solver.physics.evolution_settings import (
    REMESH_QUALITY,
    EvolutionSettings,
    ProtocolStep,
)
from lisse.solver.physics.vacancy import VacancySupply
from lisse.solver.studies.ccd_search import CcdSettings
from lisse.units import (
    A_M2_PER_MA_CM2,
    C_M2_PER_MAH_CM2,
    J_PER_KJ,
    MV_PER_V,
    NM_PER_M,
    PA_PER_MPA,
    SECONDS_PER_HOUR,
    UM_PER_M,
)

MAX_PROTOCOL_STEPS = 10_000  # staircase steps
MAX_TIME_STEPS = 1_000_000  # protocol time / time_step.max_s: a lower bound on the steps


class StepSpec(_Strict):
    """One galvanostatic step: positive current strips the working electrode, 0 rests.
    Give its length as duration_h or, with current, capacity_mAh_cm2; an ``until``
    condition (|cell voltage| reaching until_voltage_V, the contact fraction falling to
    until_contact_fraction) ends it early, and alone bounds it (at most
    ``evolution.until_max_h``)."""

    current_density_mA_cm2: Number = Field(ge=-1000, le=1000)
    duration_h: Number | None = Field(None, gt=0)
    capacity_mAh_cm2: Number | None = Field(None, gt=0)
    until_voltage_V: Number | None = Field(None, gt=0)
    until_contact_fraction: Number | None = Field(None, gt=0, lt=1)
    label: str = ""

    @model_validator(mode="after")
    def _one_length(self) -> Self:
        until = self.until_voltage_V is not None or self.until_contact_fraction is not None
        if self.duration_h is not None and self.capacity_mAh_cm2 is not None:
            _fail("give one of duration_h and capacity_mAh_cm2")
        if self.duration_h is None and self.capacity_mAh_cm2 is None and not until:
            _fail("give duration_h, capacity_mAh_cm2 or an until condition")
        if self.capacity_mAh_cm2 is not None and self.current_density_mA_cm2 == 0:
            _fail("a rest has no capacity: give duration_h", "capacity_mAh_cm2")
        if self.current_density_mA_cm2 == 0 and until:
            _fail("a rest passes no current: its voltage and contact do not change",
                  "until_voltage_V" if self.until_voltage_V is not None
                  else "until_contact_fraction")
        return self

    def seconds(self, until_max_h: float = math.inf) -> float:
        """The step's length [s]; a step bounded only by an until condition runs at most
        ``until_max_h``."""
        if self.duration_h is not None:
            return self.duration_h * SECONDS_PER_HOUR
        if self.capacity_mAh_cm2 is None:
            return until_max_h * SECONDS_PER_HOUR
        charge = self.capacity_mAh_cm2 * C_M2_PER_MAH_CM2
        return charge / abs(self.current_density_mA_cm2 * A_M2_PER_MA_CM2)

    def protocol_step(self, until_max_h: float) -> ProtocolStep:
        return ProtocolStep(self.current_density_mA_cm2 * A_M2_PER_MA_CM2,
                            self.seconds(until_max_h), self.label,
                            until_voltage=self.until_voltage_V,
                            until_contact_fraction=self.until_contact_fraction)


class StaircaseSpec(_Strict):
    """Stripping current raised in steps, as in critical-current-density experiments."""

    start_mA_cm2: Number = Field(gt=0)
    step_mA_cm2: Number = Field(gt=0)
    stop_mA_cm2: Number = Field(gt=0)
    step_capacity_mAh_cm2: Number = Field(gt=0)
    rest_h: Number | None = Field(None, gt=0)  # rest after each step

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.stop_mA_cm2 < self.start_mA_cm2:
            _fail(f"must be >= start_mA_cm2 ({self.start_mA_cm2:g})", "stop_mA_cm2")
        return self


class SupplySpec(_Strict):
    """Li supply routes to the interface: creep under stack pressure, vacancy diffusion.
    Their defaults depend on ``evolution.interface_model`` (``EvolutionSpec._model_defaults``):
    coupled: creep on, vacancy route only with the cavity criterion
    (``vacancy.nucleation: cavity``); reduced: creep off, vacancy on."""

    creep: bool | None = Field(None, description="default: true with interface_model "
                               "coupled (false: the rigid-Li limit), false with reduced")
    vacancy: bool | None = Field(None, description="default: true with interface_model "
                                 "reduced or vacancy.nucleation cavity, else false")
    # how interfacial voids and pores close by creep: isolated_void (the M2 rate of a
    # cylindrical void under the remote pressure, solver.physics.creep_closure) or creep_field (the
    # rate measured on the cell's own creep field, solver.studies.gap_closure)
    creep_closure: Literal["isolated_void", "creep_field"] = "isolated_void"


class VacancySpec(_Strict):
    """Vacancy route parameters (``solver.physics.vacancy``); D* and its activation energy come
    from the electrode's library entry."""

    diffusion_length_um: Number = Field(10.0, gt=0)
    critical_supersaturation: Number = Field(1.0, gt=0)
    grain_size_um: Number | None = Field(None, gt=0)
    grain_boundary_width_nm: Number = Field(1.0, gt=0)
    grain_boundary_diffusion_ratio: Number = Field(1e4, ge=1)
    # supersaturation: the fixed critical_supersaturation (the reduced model's route);
    # cavity: s from the contact pressure and 2γ/r_p, sub-grid pores of the coupled model
    # (solver.physics.cavitation, coupled_cavities; pore_height_um is then (2/3) r_p)
    nucleation: Literal["supersaturation", "cavity"] = "supersaturation"
    # r_p and γ of the cavity criterion (solver.config.cavity)
    pore_radius_um: Number | None = Field(None, gt=0, description="default: the electrode's "
                                          "library pore_radius_um")
    surface_energy_J_m2: Number | None = Field(None, gt=0, description="default: the "
                                               "electrode's library surface_energy_J_m2")
    # the stress the sinks see under pores: nominal (the node's contact pressure λ) or real
    # (the pore-free contact carries the load: min(λ/u, σ_y(2 r_p)); solver.physics.cavitation)
    contact_stress: Literal["nominal", "real"] = "nominal"
    # the measured contact fraction after assembly at the stack pressure: sub-grid pores
    # cover 1 − it of every node's contact at the start (real contact stress only)
    initial_contact_fraction: Number = Field(1.0, gt=0, le=1)


class TimeStepSpec(_Strict):
    initial_s: Number = Field(1.0, gt=0)
    max_s: Number = Field(600.0, gt=0)
    max_gap_increment_um: Number = Field(0.05, gt=0)
    max_cutbacks: Integer = Field(6, ge=0, le=30)  # halvings before a failing solve is an error


class FailureSpec(_Strict):
    """When the interface has failed (``solver.physics.failure``)."""

    min_contact_fraction: Number = Field(0.1, ge=0, lt=1)
    max_voltage_V: Number = Field(1.0, gt=0)
    max_void_volume_um: Number = Field(20.0, gt=0)  # void volume per interface area
    # |dV/dt| within a galvanostatic step; none: off
    max_voltage_rate_mV_s: Number | None = Field(None, gt=0)
    # |V| / |V at the step's start| at constant current (divergence); none: off
    max_voltage_rise: Number | None = Field(None, gt=1)


class CcdSpec(_Strict):
    """Critical-current-density search: the largest stripping current density the interface
    survives for ``capacity_mAh_cm2``, bracketed from ``start_mA_cm2`` and bisected to the
    relative precision ``rtol``."""

    capacity_mAh_cm2: Number = Field(1.0, gt=0)
    start_mA_cm2: Number = Field(0.1, gt=0)
    max_mA_cm2: Number = Field(100.0, gt=0)
    rtol: Number = Field(0.05, gt=0, lt=1)
    # bisection: trials from the fresh interface (above); staircase: read the CCD off one run
    # of the case's protocol, as an experiment does (solver.studies.ccd_protocol)
    method: Literal["bisection", "staircase"] = "bisection"

    @model_validator(mode="after")
    def _bracket(self) -> Self:
        if self.start_mA_cm2 >= self.max_mA_cm2:
            _fail(f"must be < max_mA_cm2 {self.max_mA_cm2:g} (got {self.start_mA_cm2:g})",
                  "start_mA_cm2")
        return self


class EvolutionSpec(_Strict):
    # coupled (the default): the Li as a creeping finite-element body on its own moving
    # mesh, pressed on the electrolyte (solver.physics.coupled_interface,
    # docs/moving_interface.md); reduced: the fast fixed-mesh gap model
    # (solver.physics.gap_evolution); docs/interface_models.md compares them
    interface_model: Literal["reduced", "coupled"] = "coupled"
    # coupled model: Monroe–Newman stress-coupled kinetics from the Li pressure at the contact
    stress_coupling: bool = False
    # coupled model: the Li's contact with the electrolyte; sticking = no slip while in
    # contact (solver.physics.li_sticking; plane strain, axisymmetric and 3D)
    contact: Literal["frictionless", "sticking"] = "frictionless"
    # coupled model: the electrolyte under the Li; rigid = the flat obstacle y = 0 only;
    # elastic = also its linear-elastic response to the Li's contact pressure, one-way (the
    # Li still meets the plane), solved at every record: fields.xdmf gets its stresses [Pa],
    # timeseries.csv its largest max principal stress [MPa] and the interface deflection
    # range max w − min w over the contact [nm] (solver.physics.electrolyte_elastic;
    # plane strain and axisymmetric)
    electrolyte_mechanics: Literal["rigid", "elastic"] = "rigid"
    # the supply models' stack pressure; default: mechanics.stack_pressure_MPa (0 allowed)
    stack_pressure_MPa: Number | None = Field(None, ge=0, le=1000)
    pore_height_um: Number = Field(0.5, gt=0)  # pore content at which a node loses contact
    steps: list[StepSpec] = Field(default_factory=list)
    # human-readable protocol lines (solver.config.protocol), instead of steps or staircase
    protocol: list[str | dict[str, list]] = Field(default_factory=list)
    until_max_h: Number = Field(100.0, gt=0)  # longest run of a step bounded only by "until"
    cycles: Integer = Field(1, ge=1, le=10000)
    staircase: StaircaseSpec | None = None
    supply: SupplySpec = Field(default_factory=SupplySpec)
    vacancy: VacancySpec = Field(default_factory=VacancySpec)
    time_step: TimeStepSpec = Field(default_factory=TimeStepSpec)
    contact_tolerance_nm: Number = Field(1.0, gt=0)
    # coupled model: Gmsh remeshes the Li when its smallest cell quality falls below
    # this × the initial mesh's (li_remesh; 3D: li_remesh_3d); 0: never; dimensionless
    remesh_quality: Number = Field(REMESH_QUALITY, ge=0, lt=1)
    field_snapshots: Integer = Field(10, ge=0, le=10000)  # ParaView snapshots (+ start and end)
    # interface profiles (interface.csv, interface_evolution.png) at these times, besides the
    # start and the end; default: 3 evenly spaced over the protocol
    interface_times_h: list[Number] | None = None
    failure: FailureSpec = Field(default_factory=FailureSpec)
    # checkpoints of a run (docs/reliability.md): after the step ending this much wall time
    # since the last one, and every this many steps; 0 turns either off
    checkpoint_interval_s: Number = Field(300.0, ge=0)
    checkpoint_every_steps: Integer = Field(0, ge=0)
    ccd: CcdSpec = Field(default_factory=CcdSpec)
    _parsed: list[StepSpec] = PrivateAttr(default_factory=list)
    # False when interface_model was left at its default (refusals then name the field)
    _model_named: bool = PrivateAttr(True)

    @model_validator(mode="after")
    def _model_defaults(self) -> Self:
        """The supply defaults of the interface model (``SupplySpec``)."""
        self._model_named = "interface_model" in self.model_fields_set
        coupled = self.interface_model == "coupled"
        if self.supply.creep is None:
            self.supply.creep = coupled
        cavity = self.vacancy.nucleation == "cavity"
        if cavity and not coupled:
            _fail("the cavity criterion is the coupled interface model's (set "
                  "interface_model: coupled)", "vacancy.nucleation")
        if self.supply.vacancy is None:
            self.supply.vacancy = not coupled or cavity
        if self.vacancy.contact_stress == "real" and not cavity:
            _fail("the stress on the real contact is the sub-grid pores' (set "
                  "vacancy.nucleation: cavity)", "vacancy.contact_stress")
        start = self.vacancy.initial_contact_fraction
        if start < 1 and (not cavity or self.vacancy.contact_stress != "real"):
            _fail("a contact below 1 at the start needs the sub-grid pores with the stress on "
                  "the real contact (set vacancy.nucleation: cavity and vacancy.contact_stress: "
                  "real)", "vacancy.initial_contact_fraction")
        if start <= self.failure.min_contact_fraction:
            _fail(f"must be above failure.min_contact_fraction "
                  f"{self.failure.min_contact_fraction:g} (got {start:g})",
                  "vacancy.initial_contact_fraction")
        return self

    @model_validator(mode="after")
    def _protocol(self) -> Self:
        if self.steps and self.staircase is not None:
            _fail("give steps or staircase, not both", "staircase")
        if self.protocol:
            if self.steps or self.staircase is not None:
                _fail("give protocol lines or steps/staircase, not both", "protocol")
            try:
                parsed = parse_protocol(self.protocol)
            except ProtocolError as exc:
                _fail(exc.message, f"protocol.{exc.where}")
            for step in parsed:
                where = step.pop("where")
                try:
                    self._parsed.append(StepSpec(**step))
                except ValidationError as exc:
                    error = exc.errors()[0]
                    field = ".".join(str(k) for k in error["loc"])
                    _fail(f"{step['label']!r}: {field} {error['msg']}".replace("  ", " "),
                          f"protocol.{where}")
        for k, t in enumerate(self.interface_times_h or ()):
            if t < 0:
                _fail(f"must be >= 0 (got {t:g})", f"interface_times_h.{k}")
        if self.staircase is not None:
            s = self.staircase
            count = (s.stop_mA_cm2 - s.start_mA_cm2) / s.step_mA_cm2 + 1
            if count > MAX_PROTOCOL_STEPS:
                _fail(f"{count:.1e} steps from start to stop (limit {MAX_PROTOCOL_STEPS}): "
                      "raise step_mA_cm2", "staircase.step_mA_cm2")
        total = sum(step.duration for step in protocol_steps(self))
        if total / self.time_step.max_s > MAX_TIME_STEPS:
            _fail(f"the protocol ({total / SECONDS_PER_HOUR:.3g} h) needs more than "
                  f"{total / self.time_step.max_s:.1e} time steps of max_s "
                  f"{self.time_step.max_s:g} s (limit {MAX_TIME_STEPS:.0e}): raise max_s or "
                  "shorten the protocol", "time_step.max_s")
        return self


def protocol_steps(spec: EvolutionSpec) -> tuple[ProtocolStep, ...]:
    """The protocol as SI steps (cycles unrolled, staircase expanded)."""
    if spec.protocol:
        return tuple(st.protocol_step(spec.until_max_h) for st in spec._parsed) * spec.cycles
    if spec.staircase is not None:
        s = spec.staircase
        steps = []
        for j in staircase_currents(s.start_mA_cm2, s.step_mA_cm2, s.stop_mA_cm2):
            duration = s.step_capacity_mAh_cm2 * C_M2_PER_MAH_CM2 / (j * A_M2_PER_MA_CM2)
            steps.append(ProtocolStep(j * A_M2_PER_MA_CM2, duration, f"staircase {j:g} mA/cm²"))
            if s.rest_h is not None:
                steps.append(ProtocolStep(0.0, s.rest_h * SECONDS_PER_HOUR,
                                          f"rest after {j:g} mA/cm²"))
        return tuple(steps)
    one = tuple(st.protocol_step(spec.until_max_h) for st in spec.steps)
    return one * spec.cycles


def interface_times(spec: EvolutionSpec, steps: tuple[ProtocolStep, ...]) -> tuple[float, ...]:
    """Times [s] of the intermediate interface profiles, increasing."""
    if spec.interface_times_h is not None:
        return tuple(sorted(t * SECONDS_PER_HOUR for t in spec.interface_times_h))
    total = sum(step.duration for step in steps)
    return tuple(np.linspace(0, total, 5)[1:-1]) if total > 0 else ()


def settings(spec: EvolutionSpec, electrode: dict[str, float], stack_pressure_MPa: float,
             steps: tuple[ProtocolStep, ...] | None = None) -> EvolutionSettings:
    """SI settings; ``electrode``: the Li library values (library units);
    ``stack_pressure_MPa``: the cell's pressure, used unless the section sets its own."""
    own = spec.stack_pressure_MPa
    pressure = (stack_pressure_MPa if own is None else own) * PA_PER_MPA
    vacancy = creep = None
    if spec.supply.creep:
        creep = CreepClosure(
            prefactor=electrode["creep_prefactor_1_s"],
            activation_energy=electrode["creep_activation_energy_kJ_mol"] * J_PER_KJ,
            reference_stress=electrode["creep_reference_stress_MPa"] * PA_PER_MPA,
            exponent=electrode["creep_stress_exponent"], pressure=pressure)
    if spec.supply.vacancy:
        v = spec.vacancy
        vacancy = VacancySupply(
            self_diffusivity=electrode.get("self_diffusivity_m2_s", 1e-15),
            activation_energy=electrode.get("self_diffusion_activation_energy_kJ_mol", 53.0)
            * J_PER_KJ,
            diffusion_length=v.diffusion_length_um / UM_PER_M,
            critical_supersaturation=v.critical_supersaturation,
            grain_size=(v.grain_size_um or 0.0) / UM_PER_M,
            grain_boundary_width=v.grain_boundary_width_nm / NM_PER_M,
            grain_boundary_ratio=v.grain_boundary_diffusion_ratio)
    cavity = None if vacancy is None or spec.vacancy.nucleation != "cavity" else (
        cavity_criterion(spec.vacancy, vacancy, electrode))
    ts, fail = spec.time_step, spec.failure
    return EvolutionSettings(
        steps=protocol_steps(spec) if steps is None else steps, vacancy=vacancy,
        cavity=cavity, creep=creep, creep_closure=spec.supply.creep_closure,
        stack_pressure=pressure, pore_height=(spec.pore_height_um / UM_PER_M if cavity is None
                                              else cavity.cover_height),
        max_gap_increment=ts.max_gap_increment_um / UM_PER_M,
        initial_time_step=ts.initial_s, max_time_step=ts.max_s, max_cutbacks=ts.max_cutbacks,
        field_snapshots=spec.field_snapshots,
        interface_times=interface_times(spec, protocol_steps(spec) if steps is None else steps),
        contact_tolerance=spec.contact_tolerance_nm / NM_PER_M,
        min_contact_fraction=fail.min_contact_fraction, max_voltage=fail.max_voltage_V,
        max_void_volume=fail.max_void_volume_um / UM_PER_M,
        max_voltage_rate=(None if fail.max_voltage_rate_mV_s is None
                          else fail.max_voltage_rate_mV_s / MV_PER_V),
        max_voltage_rise=fail.max_voltage_rise,
        checkpoint_interval=spec.checkpoint_interval_s,
        checkpoint_steps=spec.checkpoint_every_steps, interface_model=spec.interface_model,
        interface_model_named=spec._model_named,
        stress_coupling=spec.stress_coupling, contact=spec.contact,
        electrolyte_mechanics=spec.electrolyte_mechanics, remesh_quality=spec.remesh_quality,
        protocol_field="evolution." + ("protocol" if spec.protocol else "staircase"
                                       if spec.staircase is not None else "steps"),
        ccd=CcdSettings(capacity=spec.ccd.capacity_mAh_cm2 * C_M2_PER_MAH_CM2,
                        start=spec.ccd.start_mA_cm2 * A_M2_PER_MA_CM2,
                        maximum=spec.ccd.max_mA_cm2 * A_M2_PER_MA_CM2, rtol=spec.ccd.rtol,
                        method=spec.ccd.method))
