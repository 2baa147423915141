"""The one model builder: a validated case (SI parameters) → everything a run needs.

    params ──► mesh (Gmsh on rank 0, cached, distributed) ──► electrolyte domain
           ──► region-wise conductivity κ (grains, interlayer, liquid) ──► current operator
           ──► [mechanics hold: Li creep under the stack pressure] ──► interface state

Every run kind (a steady run, an evolution, each trial of a CCD search, each sweep case)
gets its model here, and nowhere else; the debonded-patch study builds its cells through
``cell_domains``. A physics option that a run kind does not support is refused here with
one line naming the fields (``SUPPORT``; the table in docs/run_kinds.md is generated from
it by the tests), never dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lisse.meshes.cache import load_mesh
from lisse.solver.config.params import Resolved
from lisse.solver.errors import UserError
from lisse.solver.fem.domain import Domain, electrolyte_domain
from lisse.solver.physics.conductivity import ionic_conductivity
from lisse.solver.physics.current import CurrentDistribution
from lisse.solver.physics.interface_state import InterfaceState

RUN_KINDS = ("steady", "evolution", "ccd", "eis")


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


def check_supported(params: Resolved, kind: str) -> None:
    """Raise UserError naming the fields if ``params`` switches on a physics option that
    the run kind does not support."""
    if kind not in RUN_KINDS:
        raise ValueError(f"unknown run kind {kind!r}")
    for name, (fields, on) in PHYSICS.items():
        reason = REFUSED.get((kind, name))
        if reason and on(params):
            raise UserError(f"{fields}: {name} is not supported by {kind} runs ({reason})")


@dataclass
class Model:
    """A built case: the full-cell mesh data, the electrolyte domain, the conductivity,
    the current operator with its interface state, and the mechanics hold if any.

    ``start`` is the interface state at the start of a run (after the hold); a run that
    changes the interface (an evolution, a CCD trial) starts from it."""

    params: Resolved
    comm: Any
    mesh: Any  # dolfinx.io.gmsh MeshData of the full cell (.mesh, .cell_tags, .facet_tags)
    domain: Domain
    conductivity: Any  # κ [S/m]: a float or a DG0 field
    current: CurrentDistribution
    start: InterfaceState
    hold: Any = None  # lisse.solver.studies.hold.Hold

    def reset(self) -> CurrentDistribution:
        """The current operator with the starting interface state restored."""
        self.current.set_interface(self.start)
        return self.current


def cell_domains(geometry, comm) -> tuple[Any, Domain]:
    """The full-cell mesh of a geometry (built or reused from the cache) and its
    electrolyte domain."""
    data = load_mesh(geometry, comm)
    domain = electrolyte_domain(data.mesh, data.cell_tags, data.facet_tags,
                                geometry.dimension == "axisymmetric")
    return data, domain


def build_model(params: Resolved, comm, kind: str, say=None) -> Model:
    """The model of a case for a run kind (``RUN_KINDS``); ``say(text)``
    reports progress of the mechanics hold."""
    check_supported(params, kind)
    data, domain = cell_domains(params.geometry, comm)
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
    return Model(params, comm, data, domain, kappa, current, current.interface, hold)
