"""Resolved, validated case parameters in SI units.

The YAML schema (``solver.config.schema``) carries the user's units in its field names; ``resolve``
turns a validated case into these frozen dataclasses, which the physics modules consume.
Physics code never sees YAML or user units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lisse.meshes.geometry import CellGeometry

if TYPE_CHECKING:
    from lisse.solver.config.impedance_schema import ImpedanceSettings
    from lisse.solver.physics.evolution_settings import EvolutionSettings
    from lisse.solver.physics.interphase import Interphase
    from lisse.solver.physics.li_hardening import AnandHardening

from lisse.units import FARADAY, GAS_CONSTANT  # noqa: F401  (re-exported for the physics)

KINETICS_MODELS = ("butler_volmer", "linear", "primary", "ideal")


@dataclass(frozen=True)
class Kinetics:
    """Charge-transfer kinetics of one electrode/electrolyte interface (SI).

    model: "butler_volmer" j = i0 [exp(αa F η/RT) - exp(-αc F η/RT)];
           "linear"        j = η / resistance;
           "primary"       no kinetic resistance, the contact is an equipotential
                           (working electrode only);
           "ideal"         counter electrode held at 0 V (Dirichlet).
    exchange_current_density: i0 [A/m²] (butler_volmer).
    alpha_a, alpha_c: anodic and cathodic transfer coefficients [-].
    resistance: charge-transfer resistance Z [Ω m²] (linear).
    film_resistance: series resistance of a surface film [Ω m²], added to the kinetics.
    """

    model: str
    exchange_current_density: float = 0.0
    alpha_a: float = 0.5
    alpha_c: float = 0.5
    resistance: float = 0.0
    film_resistance: float = 0.0


@dataclass(frozen=True)
class Electrolyte:
    """Electrolyte material properties (SI)."""

    name: str
    ionic_conductivity: float  # S/m
    electronic_conductivity: float  # S/m
    youngs_modulus: float  # Pa
    poisson_ratio: float


@dataclass(frozen=True)
class Electrode:
    """Li metal properties (SI)."""

    name: str
    molar_volume: float  # m³/mol
    youngs_modulus: float  # Pa
    poisson_ratio: float
    self_diffusivity: float = 1e-15  # tracer D* at 25 °C [m²/s]
    self_diffusion_activation_energy: float = 53e3  # J/mol
    # power-law creep ε̇ = A exp(−Q/RT) (σ_eq/S)ⁿ (library defaults, solver.physics.creep)
    creep_prefactor: float = 4.25e4  # A [1/s]
    creep_activation_energy: float = 37e3  # Q [J/mol]
    creep_reference_stress: float = 0.95e6  # S [Pa]
    creep_stress_exponent: float = 6.67  # n


@dataclass(frozen=True)
class Numerics:
    """Solver settings.

    linear_solver: "iterative" (CG + GAMG), "direct" (MUMPS LU) or "auto" (direct below
        ``direct_max_dofs`` global unknowns).
    """

    linear_solver: str = "auto"
    direct_max_dofs: int = 20000
    newton_rtol: float = 1e-10
    newton_atol: float = 1e-12
    newton_max_iterations: int = 30
    krylov_rtol: float = 1e-12


@dataclass(frozen=True)
class Protocol:
    """Applied load: mode "galvanostatic" (current_density [A/m²], positive = stripping Li
    from the working electrode) or "potentiostatic" (voltage [V], working minus counter)."""

    mode: str
    current_density: float = 0.0
    voltage: float = 0.0


@dataclass(frozen=True)
class Output:
    directory: str
    fields: bool = True
    plots: bool = True
    figure_formats: tuple[str, ...] = ("png", "pdf")  # PNG always, plus vector formats
    interface_picture_times: tuple[float, ...] = ()  # [s], increasing (interface_picture)


@dataclass(frozen=True)
class Region:
    """Transport and elastic properties of a resolved region (SI): S/m, S/m, Pa."""

    ionic_conductivity: float
    electronic_conductivity: float
    youngs_modulus: float


@dataclass(frozen=True)
class GrainBoundary(Region):
    """A physical grain boundary of width ``width`` δ [m] (resolved as a wider band, see
    ``solver.physics.conductivity``)."""

    width: float = 1e-9


@dataclass(frozen=True)
class MicrostructureProperties:
    """Material properties of the microstructure regions (geometry: ``CellGeometry``).

    liquid_conductivity: ionic conductivity of the liquid filling the voids [S/m].
    """

    grain_boundary: GrainBoundary | None = None
    interlayer: Region | None = None
    liquid_conductivity: float = 0.0


@dataclass(frozen=True)
class Leakage:
    """Electronic leakage (``solver.physics.leakage``): solved if ``enabled``; a Li nucleus
    forms where U < 0 and the electrons grow a critical nucleus (radius 2γΩ/(F|U|)) within
    ``plating_time`` [s]; ``interface_energy`` γ [J/m²] of the nucleus."""

    enabled: bool = False
    interface_energy: float = 0.5
    plating_time: float = 3600.0


@dataclass(frozen=True)
class MechanicsSettings:
    """Stack-pressure hold before the current distribution (``solver.studies.hold``, SI).

    loading: "collector" (rigid plate, uniform u_z carrying p·A) or "traction";
    li_model: "power_law_creep" or "elastic"; the hold lasts ``duration`` [s] in
    ``time_steps`` steps growing geometrically from ``first_step`` [s]; stress_coupling: the
    Li pressure at the contact shifts the equilibrium potential and i0 (docs/theory.md).
    """

    stack_pressure: float = 1e6  # Pa
    loading: str = "collector"
    li_model: str = "power_law_creep"
    duration: float = 3600.0  # s
    time_steps: int = 20
    first_step: float = 0.01  # s
    stress_coupling: bool = True
    element_degree: int = 2
    contact_penalty: float = 10.0  # × E_Li / h


@dataclass(frozen=True)
class Resolved:
    """Everything a run needs, in SI units."""

    name: str
    geometry: CellGeometry
    electrolyte: Electrolyte
    electrode: Electrode
    working: Kinetics
    counter: Kinetics
    protocol: Protocol
    temperature: float  # K
    numerics: Numerics
    output: Output
    seed: int = 0
    microstructure: MicrostructureProperties | None = None
    leakage: Leakage = Leakage()
    evolution: EvolutionSettings | None = None  # time-dependent interface runs
    mechanics: MechanicsSettings | None = None  # stack-pressure hold (solver.studies.hold)
    impedance: ImpedanceSettings | None = None  # small-signal spectrum (lisse eis)
    interphase: Interphase | None = None  # a growing SEI (solver.physics.interphase)
    hardening: AnandHardening | None = None  # lithium.creep_law: anand (physics.li_hardening)
    lithium_strength_factor: float = 1.0  # lithium.feature_size_um: on the creep law's S
