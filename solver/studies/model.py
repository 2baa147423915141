"""The one model builder: a validated case (SI parameters) → everything a run needs.

    params ──► mesh (Gmsh on rank 0, cached, distributed) ──► electrolyte domain
           ──► region-wise conductivity κ (grains, interlayer, liquid) ──► current operator
           ──► [mechanics hold: Li creep under the stack pressure] ──► interface state
           ──► [coupled interface model: the Li as a creeping body on its own mesh]

Every run kind (a steady run, an evolution, each trial of a CCD search, each sweep case)
gets its model here, and nowhere else (the coupled debonded-patch study's points too); the
reduced debonded-patch study builds its cells through ``cell_domains``. A physics option
that a run kind does not support is refused here with one line naming the fields
(``SUPPORT``; the table in docs/run_kinds.md is generated from it by the tests), never
dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lisse.meshes.cache import load_mesh
from lisse.meshes.geometry import FACET_TAGS
from lisse.solver.config.params import Resolved
from lisse.solver.errors import UserError
from lisse.solver.fem.domain import Domain, conducting_tags, electrolyte_domain, lithium_submesh
from lisse.solver.fem.linear import release_unreferenced
from lisse.solver.io.progress import Progress
from lisse.solver.physics.conductivity import ionic_conductivity
from lisse.solver.physics.coupled_3d import lateral_symmetry
from lisse.solver.physics.coupled_interface import OBSTACLE
from lisse.solver.physics.current import CurrentDistribution
from lisse.solver.physics.evolution_settings import REMESH_QUALITY
from lisse.solver.physics.interface_state import InterfaceState
from lisse.solver.physics.li_exhaustion import check_capacity
from lisse.solver.physics.li_hardening import Hardening
from lisse.solver.physics.li_sticking import Sticking
from lisse.solver.physics.li_vertex_contact import VertexContact
from lisse.solver.physics.lithium_body import LithiumBody
from lisse.units import GAS_CONSTANT

RUN_KINDS = ("steady", "evolution", "ccd", "eis")
# relative tolerance of the Li body's implicit-midpoint fixed point in the coupled model
# (LithiumBody default 1e-10): 17 % fewer flow solves on the test cell's strip–rest–plate
# cycle, contact, void and Li bookkeeping unchanged to 7 digits (docs/benchmarks.md); the
# Li volume error of an unconverged fixed point is second order, ~tolerance·|Δu|²/L
COUPLED_MIDPOINT_RTOL = 1e-8
RIGID_STRENGTH_RATIO = 1e10  # σ0/p of the coupled model's rigid-Li limit (creep off), n = 1


def _has_grains(p: Resolved) -> bool:
    return bool(p.microstructure and p.microstructure.grain_boundary)


def _has_cracks(p: Resolved) -> bool:
    return bool(p.geometry.microstructure and p.geometry.microstructure.cracks)


def _has_pores(p: Resolved) -> bool:
    return bool(p.geometry.microstructure and p.geometry.microstructure.pores)


# physics option -> (the config fields that switch it on, predicate)
PHYSICS: dict[str, tuple[str, Callable[[Resolved], bool]]] = {
    "grain boundaries": ("microstructure.grains", _has_grains),
    "interlayer": ("microstructure.interlayer",
                   lambda p: bool(p.microstructure and p.microstructure.interlayer)),
    "surface film": ("interface.film_resistance_ohm_cm2",
                     lambda p: p.working.film_resistance > 0),
    "cracks": ("microstructure.cracks", _has_cracks),
    "electrolyte pores": ("microstructure.pores", _has_pores),
    "liquid-filled voids": ("microstructure.void_filling",
                            lambda p: bool(p.microstructure
                                           and p.microstructure.liquid_conductivity > 0)),
    "electronic leakage": ("electronic_leakage.enabled", lambda p: p.leakage.enabled),
    "mechanics hold and stress coupling": ("mechanics.enabled",
                                           lambda p: p.mechanics is not None),
    "potentiostatic control": ("protocol.mode", lambda p: p.protocol.mode == "potentiostatic"),
    "primary kinetics": ("interface.kinetics", lambda p: p.working.model == "primary"),
    "interphase growth": ("interphase", lambda p: p.interphase is not None),
}

_TIME = "the interface-evolution model"
# (run kind, physics) -> why it is refused; every other combination is supported
REFUSED: dict[tuple[str, str], str] = {}
for _kind in ("evolution", "ccd"):
    REFUSED |= {
        (_kind, "cracks"): f"{_TIME} strips and plates the interface plane only; Li-filled "
                           "crack faces would react without moving",
        (_kind, "liquid-filled voids"): f"{_TIME} tracks dry gaps; the liquid's wetted "
                                        "roofs and floors are not part of it",
        (_kind, "electronic leakage"): "electronic leakage is a steady analysis; run it "
                                       "with lisse run without evolution steps",
        (_kind, "potentiostatic control"): "protocols are galvanostatic (evolution.steps "
                                           "give the current densities)",
        (_kind, "primary kinetics"): f"{_TIME} needs a local current law at the contact "
                                     "(butler_volmer or linear)",
    }
REFUSED |= {
    ("eis", "liquid-filled voids"): "the liquid's interfaces have no double-layer model",
    ("eis", "electronic leakage"): "the small-signal model is ionic only",
    ("eis", "potentiostatic control"): "the spectrum is taken about the bias current of the "
                                       "impedance section",
    ("eis", "primary kinetics"): "an equipotential contact has no charge-transfer arc",
}


def _coupled(p: Resolved) -> bool:
    return p.evolution is not None and p.evolution.interface_model == "coupled"


_COUPLED = "the coupled interface model"
# what the coupled interface model (evolution.interface_model: coupled) refuses besides the
# evolution run kind's REFUSED cells: (config fields, predicate, why)
COUPLED_REFUSED: list[tuple[str, Callable[[Resolved], bool], str]] = [
    ("mechanics.enabled", PHYSICS["mechanics hold and stress coupling"][1],
     f"{_COUPLED} is its own Li mechanics; the elastic hold and its stress coupling are "
     "the reduced model's"),
    ("microstructure.interlayer", PHYSICS["interlayer"][1],
     f"{_COUPLED} presses the Li on the electrolyte plane, not on an interlayer"),
    ("evolution.supply.vacancy", lambda p: p.evolution.vacancy is not None
     and p.evolution.cavity is None, f"{_COUPLED} has no fixed-supersaturation vacancy "
     "route: set evolution.supply.vacancy: false, or evolution.vacancy.nucleation: cavity"),
    ("evolution.supply.creep_closure", lambda p: p.evolution.creep_closure == "creep_field",
     f"{_COUPLED} solves the Li creep field itself: leave creep_closure at isolated_void"),
    ("evolution.stack_pressure_MPa", lambda p: p.evolution.stack_pressure <= 0,
     f"{_COUPLED} needs a stack pressure > 0 on the Li"),
    ("geometry.mesh.refinements", lambda p: p.geometry.sizes.refinements > 0,
     f"{_COUPLED}'s Li mesh is second order, curved by Gmsh from the CAD, and remeshed by "
     "Gmsh; set 0"),
]


def check_supported(params: Resolved, kind: str) -> None:
    """Raise UserError naming the fields if ``params`` switches on a physics option that
    the run kind (or, in an evolution, the coupled interface model) does not support, or
    (coupled model) its protocol or CCD trials strip more Li than the electrode holds
    (``li_exhaustion.check_capacity``)."""
    if kind not in RUN_KINDS:
        raise ValueError(f"unknown run kind {kind!r}")
    for name, (fields, on) in PHYSICS.items():
        reason = REFUSED.get((kind, name))
        if reason and on(params):
            raise UserError(f"{fields}: {name} is not supported by {kind} runs ({reason})")
    if (kind in ("evolution", "ccd") and params.evolution is not None
            and params.evolution.stress_coupling and not _coupled(params)):
        raise UserError("evolution.stress_coupling: the reduced interface model has no Li "
                        "stress field (use interface_model: coupled, or mechanics."
                        "stress_coupling with the mechanics hold)")
    if (kind in ("evolution", "ccd") and params.evolution is not None
            and params.evolution.contact == "sticking" and not _coupled(params)):
        raise UserError("evolution.contact: sticking is the coupled interface model's Li "
                        "contact; the reduced model has no Li body (use interface_model: "
                        "coupled)")
    elastic = params.evolution is not None and params.evolution.electrolyte_mechanics == (
        "elastic")
    if kind in ("evolution", "ccd") and elastic and not _coupled(params):
        raise UserError("evolution.electrolyte_mechanics: elastic loads the electrolyte with "
                        "the coupled model's Li contact pressure; the reduced model has none "
                        "(use interface_model: coupled)")
    if (kind in ("evolution", "ccd") and params.evolution is not None and not _coupled(params)
            and params.evolution.remesh_quality != REMESH_QUALITY):
        raise UserError("evolution.remesh_quality: remeshes the coupled interface model's Li "
                        "mesh; the reduced model has none (use interface_model: coupled)")
    if kind == "ccd" and elastic:
        raise UserError("evolution.electrolyte_mechanics: elastic is an output of evolution "
                        "runs (lisse run); a CCD search does not write it")
    if kind in ("evolution", "ccd") and _coupled(params):
        # the default model not named in the case: point to the reduced one, which has
        # every refused option but the 3D stress coupling (docs/interface_models.md)
        hint = "" if params.evolution.interface_model_named else (
            ", the default interface_model; set evolution.interface_model: reduced")
        for fields, on, reason in COUPLED_REFUSED:
            if on(params):
                raise UserError(f"{fields}: not supported by {_COUPLED}{hint} ({reason})")
        check_capacity(params, kind)  # no more Li stripped than the electrode holds


@dataclass
class Model:
    """A built case: the full-cell mesh data, the electrolyte domain, the conductivity,
    the current operator with its interface state, and the mechanics hold if any.

    ``start`` is the interface state at the start of a run (after the hold); a run that
    changes the interface (an evolution, a CCD trial) starts from it. ``lithium`` (the
    coupled interface model's Li body) is moved by the run; ``reset`` puts it back as built
    (mesh geometry, flow, active set, time), so successive CCD trials are independent."""

    params: Resolved
    comm: Any
    mesh: Any  # dolfinx.io.gmsh MeshData of the full cell (.mesh, .cell_tags, .facet_tags)
    domain: Domain
    conductivity: Any  # κ [S/m]: a float or a DG0 field
    current: CurrentDistribution
    start: InterfaceState
    hold: Any = None  # lisse.solver.studies.hold.Hold
    lithium: Any = None  # the coupled model's Li body (solver.physics.lithium_body)

    def reset(self) -> CurrentDistribution:
        """The current operator with the starting interface state restored (and the Li
        body of the coupled model as built)."""
        self.current.set_interface(self.start)
        if self.lithium is not None:
            self.lithium.reset()
        return self.current


def cell_domains(geometry, comm, regions=None) -> tuple[Any, Domain]:
    """The full-cell mesh of a geometry (built or reused from the cache; only the cells of
    ``regions`` if given and the cache can) and its electrolyte domain."""
    with Progress("meshing", comm=comm):  # a spinner on a terminal, silent in logs
        data = load_mesh(geometry, comm, regions=regions)
    domain = electrolyte_domain(data.mesh, data.cell_tags, data.facet_tags,
                                geometry.dimension == "axisymmetric")
    return data, domain


def build_model(params: Resolved, comm, kind: str, say=None) -> Model:
    """The model of a case for a run kind (``RUN_KINDS``); ``say(text)``
    reports progress of the mechanics hold."""
    check_supported(params, kind)
    release_unreferenced(comm)  # a previous model's PETSc objects, on every rank at once
    # a steady run without mechanics needs no Li cells (its output takes them from the file)
    current_only = kind == "steady" and params.mechanics is None
    data, domain = cell_domains(params.geometry, comm, conducting_tags() if current_only else None)
    kappa = ionic_conductivity(domain, params)
    current = CurrentDistribution(domain, kappa, params.working, params.counter,
                                  params.temperature, params.numerics)
    hold = None
    if params.mechanics is not None:
        from lisse.solver.studies.hold import couple, run_hold

        hold = run_hold(params, data, comm, say)
        couple(current, hold, params)
    if params.interphase is not None:  # the film grown before the run (interphase.age_h)
        from lisse.solver.physics.interphase import initial_film

        current.set_interface(initial_film(current, params.interphase, params.temperature)[0])
    lithium = None
    if kind in ("evolution", "ccd") and _coupled(params):
        lithium = lithium_body(params, comm)
        lithium.midpoint_rtol = COUPLED_MIDPOINT_RTOL
    return Model(params, comm, data, domain, kappa, current, current.interface, hold,
                 lithium)


def lithium_body(params, comm) -> LithiumBody:
    """The Li of the cell mesh as a creeping body under the evolution's stack pressure on the
    collector, lateral faces (and the axis) held in x/r. Its mesh is the cell mesh with a
    second-order geometry (straight edges): the creep flow then conserves the Li area exactly
    (plane strain; axisymmetric to O(Δt³) per step, ``solver.physics.lithium_body``)."""
    s, e = params.evolution, params.electrode
    data = load_mesh(params.geometry, comm, order=2)
    msh, tags = lithium_submesh(data.mesh, data.cell_tags, data.facet_tags)
    p = s.stack_pressure
    if s.creep is None:  # rigid-Li limit
        sigma0, n = RIGID_STRENGTH_RATIO * p, 1.0
    else:
        sigma0 = e.creep_reference_stress * params.lithium_strength_factor  # size effect
        n = e.creep_stress_exponent
    rate0 = e.creep_prefactor * math.exp(-e.creep_activation_energy
                                         / (GAS_CONSTANT * params.temperature))
    dimension = params.geometry.dimension
    symmetry = {FACET_TAGS["side_lithium"]: 0}
    if dimension == "axisymmetric":
        symmetry[FACET_TAGS["axis"]] = 0
    if dimension == "3d":  # lateral faces y = 0, d hold v_y
        tags, symmetry = lateral_symmetry(msh, tags)
    body = LithiumBody(msh, tags, dimension, sigma0, rate0,
                       n, {FACET_TAGS["collector"]: p}, symmetry=symmetry, obstacle=OBSTACLE,
                       molar_volume=e.molar_volume, contact_tolerance=s.contact_tolerance)
    if dimension == "3d":  # P2 vertices in contact with their spokes (body.vertex_hooks)
        VertexContact(body, body.obstacle_facets)
    if s.contact == "sticking":  # no slip while in contact (joins body.contact_hooks)
        Sticking(body)
    if params.hardening is not None:  # lithium.creep_law: anand (S/σ0 = body.strength)
        Hardening(body, params.hardening, sigma0, rate0)  # joins body.step_hooks
    return body
