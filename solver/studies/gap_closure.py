"""Closure rate of interfacial voids from the creep field of the Li (``solver.physics.mechanics``).

The reduced law of ``solver.physics.creep_closure`` closes every gap like an isolated cylindrical
void under the remote pressure p, (dV/dt)/V = −√3 ε̇₀ (√3 p / (n S))ⁿ. An interfacial void
under a Li layer pressed by the collector is not isolated: the load it does not carry goes
through the contacts around it, and the Li flows into it under deviatoric stresses of order
p rather than p/n. This module measures the rate on the cell itself:

1. the full cell (electrolyte elastic, Li power-law creep, rigid collector under the stack
   pressure p) is loaded at t = 0 (elastic response);
2. the Li creeps with time steps growing geometrically from dt₀ = 10⁻³/ε̇(p),
   ε̇(p) = ε̇₀ (p/S)ⁿ the uniaxial creep rate at the stack pressure;
3. after each step the void volume V = ∫ max(g, 0) |n_z| dA over the void roofs (g the
   roof's height above the electrolyte) gives the interval rate k_i = ln(V_{i−1}/V_i)/Δt_i;
   the rate is taken once the stress redistribution after the elastic start has settled,
   |k_i/k_{i−1} − 1| < RATE_RTOL, before the voids have lost MAX_CLOSURE of their volume.

The evolution then closes the resolved gaps and the sub-grid pores at ġ = −k g, ċ = −k c
(``evolution.supply.creep_closure: creep_field``): in a power-law solid the relative rate
has no length scale, so the pores, flat interfacial voids like the resolved ones, are given
the same rate. With a power-law Li at fixed geometry k ∝ pⁿ exp(−Q/RT) exactly once the
elastic transient is over (the creep problem is homogeneous in p), as for the reduced law:
the field changes the prefactor, not the pressure exponent (tested).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ufl
from dolfinx import fem

from lisse.meshes.cache import load_mesh
from lisse.meshes.geometry import FACET_TAGS
from lisse.solver.config.params import Resolved
from lisse.solver.errors import SolverError
from lisse.solver.studies.hold import cell_mechanics, lithium_creep

RATE_RTOL = 0.01  # settled interval rates
MAX_CLOSURE = 0.2  # the voids may lose at most this fraction of their volume
GROWTH = 1.5  # time-step growth factor
MAX_STEPS = 60


@dataclass(frozen=True)
class GapClosure:
    """The measured closure: rate k [1/s], initial void volume (per radian in
    axisymmetry, per metre in plane strain) [m³], time measured [s] and creep steps."""

    rate: float
    volume: float
    time: float
    steps: int


def measure_gap_closure(params: Resolved, pressure: float, comm, data=None) -> GapClosure:
    """The relative closure rate of the cell's interfacial voids under the stack pressure
    ``pressure`` [Pa] (see the module docstring); ``data``: the cell's mesh, if built."""
    if pressure <= 0:
        raise SolverError("gap closure: needs a stack pressure > 0")
    data = data or load_mesh(params.geometry, comm)
    lithium = lithium_creep(params)
    mech = cell_mechanics(params, data, pressure, lithium, "collector", degree=2, penalty=10.0)
    normal = ufl.FacetNormal(data.mesh)
    roof = mech.ds(FACET_TAGS["void_lithium"])
    volume_form = fem.form(
        ufl.max_value(mech.gap, 0.0) * abs(normal[mech.vertical]) * mech.r * roof
    )

    def volume() -> float:
        return comm.allreduce(fem.assemble_scalar(volume_form))

    mech.step(0.0)
    v0 = previous = volume()
    if v0 <= 0:
        raise SolverError("gap closure: the cell has no open interfacial void")
    dt = 1e-3 / float(lithium.equivalent_rate(pressure))
    last = None
    for step in range(1, MAX_STEPS + 1):
        mech.step(dt)
        current = volume()
        if current <= 0 or current < (1 - MAX_CLOSURE) * v0:
            break
        rate = math.log(previous / current) / dt
        if last is not None and step >= 3 and abs(rate / last - 1) < RATE_RTOL:
            return GapClosure(rate, v0, mech.time, step)
        last, previous, dt = rate, current, dt * GROWTH
    raise SolverError(
        f"gap closure: the void closure rate did not settle within {MAX_CLOSURE:.0%} of "
        f"closure ({step} creep steps, t = {mech.time:.3g} s)"
    )
