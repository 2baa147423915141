"""The coupled interface model's part of an evolution checkpoint (``evolution.interface_model:
coupled``; ``evolution_checkpoint`` writes and reads the rest: the interface nodes' state,
the engine's scalars, among them the Li ``speed`` and ``throughput``, the step controller,
the records and the profiles).

A coupled run goes on from a checkpoint exactly as the uninterrupted run when, besides that,
its Li body (``solver.physics.lithium_body``) and the engine around it
(``solver.physics.coupled_interface.CoupledEvolution``) are put back as they were after the
checkpointed step. Per rank (its part of the Li mesh, ghost nodes and dofs included):

* ``geometry``: the Li mesh's node coordinates x [m] (the mesh moved by the creep flow, the
  stripping, the pocket closures and the smoothing);
* ``flow``: the mixed flow (v, q) of the last step, scaled (the next Newton's initial guess;
  all zero before the first step and after a smoothing: the next solve continues in n
  from 1 then);
* ``active``: the contact active set of the obstacle dofs;
* ``stress_excess``: Δp = p_h − p [Pa] at this rank's interface nodes for the next step's
  stress-coupled kinetics, taken before the last step's smoothing reset the flow
  (``li_interface_pressure``; 0 without ``stress_coupling``);
* ``strength``: S/S0 per cell (the Anand deformation resistance; 1 with the power law);
* ``contact_reaction`` [N per weight], ``contact_pressure`` [Pa]: the last step's, at the
  obstacle dofs (the Li contact pressure field of a snapshot written before the next step);
* ``initial_geometry``: the Li mesh as built, which the resumed run's must equal: the same
  mesh with the same partition (the mesh cache gives it on the same number of ranks; a
  checkpoint with these arrays resumes only on the number of ranks that wrote it);
* ``previous_geometry``, ``previous_flow``, ``previous_active``, ``previous_strength``: the
  same before the last step, for a step cut-back in the first step after the resume
  (``StepControl.previous``; its scalars, the Li body time among them, are the engine's).

After a Li remeshing (``li_remesh``) the Li body is on a mesh of its own: rank 0 holds it
too, gathered (``li_gather``, rank-independent), as ``li_remesh_transfer.body_on`` built it
(``mesh_nodes``: the node positions as built [m]; ``mesh_cells``: the cells in their input
order; ``mesh_facets``: the tagged facets), and the resume builds the body on it through
``body_on`` (the same mesh with the same partition on the same number of ranks; the
``initial_geometry`` check holds for it), then puts the state above back. When the last
step remeshed, the state before it is on the previous mesh: the Li as built, or the
previous remeshed mesh (``previous_mesh_*``, ``previous_initial_geometry``), rebuilt with
its own engine pieces for a cut-back (``CoupledEvolution._save``'s "pieces").

Scalars (JSON, exact): the Li body time [s], the transfer scale c of the last step with
current, the Li moved by pocket closures [m² or m³/(2π)], the smoothing count and last mesh
quality (also those of the mesh before the last step when that step remeshed), the last Li
step's report (``StepReport``; contact force, active dofs) and the remeshing count. The
initial coordinates used for ``li_displacement_m``, the initial Li volume and the collector
height are those of the Li as built, which the resumed engine starts from
(``Model.reset``). 3D cells (``coupled_3d``) need nothing more: their own state (the
interface graph, the collector-face nodes) is rebuilt from the mesh, and the last step's
volume correction is only reported.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from mpi4py import MPI

from lisse.solver.errors import UserError
from lisse.solver.io import checkpoint
from lisse.solver.physics.coupled_interface import CoupledEvolution
from lisse.solver.physics.li_gather import GatheredMesh
from lisse.solver.physics.li_remesh_transfer import body_on
from lisse.solver.physics.lithium_step import StepReport

# the Li arrays of CoupledEvolution._save (li_output's ε_eq, x_mid, S̄ before stress_excess)
BODY = ("geometry", "flow", "active", "strength", "li_strain", "li_middle", "li_strength",
        "stress_excess")
CONTACT = ("contact_reaction", "contact_pressure")


def save(evo: CoupledEvolution, previous: dict | None) -> tuple[dict, dict]:
    """(per-rank arrays, scalars) of the coupled engine ``evo`` after a step; ``previous``:
    the state before that step (``StepControl.previous[0]``) or None."""
    body, state = evo.body, evo._save()
    arrays = {k: state[k] for k in BODY}
    arrays |= {k: np.asarray(getattr(body, k), dtype=float) for k in CONTACT}
    arrays["initial_geometry"] = body._initial[0]
    if previous is not None:
        arrays |= {f"previous_{k}": previous[k] for k in BODY}
    scalars = {
        "body_time": float(body.time), "transfer_scale": float(evo.transfer_scale),
        **_counters(evo.pockets, evo.smoother),
        "last": None if evo.last is None else dataclasses.asdict(evo.last),
        "remeshes": int(evo.remeshes),
    }
    if evo.remeshes:  # the Li body is on a mesh of its own (li_remesh)
        arrays |= _mesh(body)
    if previous is not None and previous["remeshes"] != evo.remeshes:  # the last step's
        pieces = dict(zip(evo._PIECES, previous["pieces"][0], strict=True))  # remeshing
        scalars["previous"] = _counters(pieces["pockets"], pieces["smoother"])
        if previous["remeshes"]:  # before it, the Li was on a remeshed mesh too
            arrays |= {f"previous_{k}": v for k, v in _mesh(pieces["body"]).items()}
            arrays["previous_initial_geometry"] = pieces["body"]._initial[0]
    return arrays, scalars


def _counters(pockets, smoother) -> dict:
    """The scalars of the Li pocket closures and the smoothing (JSON)."""
    return {"pockets_closed": None if pockets is None else float(pockets.closed),
            "smoothing": None if smoother is None else [smoother.smoothings,
                                                        float(smoother.last_quality)]}


def _mesh(body) -> dict:
    """The Li body's mesh as ``li_remesh_transfer.body_on`` built it (collective; rank-independent,
    ``li_gather``): the node positions as built [m], the cells in their input order and the
    tagged facets (vertex, vertex, mid node, tag), on rank 0 (empty on the others)."""
    gathered = GatheredMesh(body.msh, body.comm)
    arrays = {"mesh_nodes": gathered.nodes(body._initial[0]),
              "mesh_cells": gathered.input_cells(),
              "mesh_facets": gathered.facets(body.tags)}
    if body.comm.rank != 0:
        arrays = {k: v[:0] for k, v in arrays.items()}
    return arrays


def _body(evo: CoupledEvolution, initial, ranked: dict, prefix: str):
    """A Li body on the checkpointed mesh (``_mesh``, names with ``prefix``), built from
    the Li as built (``initial``) as a remeshing builds it (``li_remesh_transfer.body_on``)."""
    nodes, cells, facets = (ranked[f"{prefix}mesh_{k}"] for k in ("nodes", "cells", "facets"))
    x, facets = evo.comm.bcast((nodes, facets) if evo.comm.rank == 0 else None, root=0)
    return body_on(initial, nodes, cells, x, facets, {})


def body_state(ranked: dict, prefix: str = "") -> dict:
    """The Li arrays of ``CoupledEvolution._restore`` from this rank's checkpoint arrays
    (``prefix`` "previous_": the state before the last step)."""
    return {k: np.array(ranked[f"{prefix}{k}"]) for k in BODY}


def restore(evo: CoupledEvolution, ranked: dict, scalars: dict | None, where: str,
            previous: dict | None = None) -> tuple[float, dict]:
    """Put the checkpointed Li mesh into ``evo`` (the Li as built, or after a remeshing
    the checkpointed mesh rebuilt: ``li_remesh_transfer.body_on``), check that it is the
    checkpointed one and put back the state that ``CoupledEvolution._restore`` does not
    (module docstring). Returns the Li body time [s] (for ``_restore``) and, for the state
    before the last step (``previous``: its scalars, or None), its Li mesh pieces
    (``CoupledEvolution._save``'s "pieces"; {} if on the present mesh). ``where`` names the
    checkpoint in errors."""
    if scalars is None or "stress_excess" not in ranked:  # by an earlier lisse
        raise UserError(f"{where}: the checkpoint holds no Li body state (written by an "
                        "earlier lisse); run the case again without --resume")
    initial, before = evo.body, {}
    if previous is not None and previous["remeshes"] != scalars["remeshes"]:
        if previous["remeshes"]:  # the last step remeshed a remeshed Li; else: as built
            evo._attach(_body(evo, initial, ranked, "previous_"))
            _check(evo, ranked["previous_initial_geometry"], where)
        _set_counters(evo, scalars["previous"])
        before = {"pieces": np.empty(1, dtype=object)}  # as CoupledEvolution._save's
        before["pieces"][0] = tuple(getattr(evo, k) for k in evo._PIECES)
    if scalars["remeshes"]:
        evo._attach(_body(evo, initial, ranked, ""))
    _check(evo, ranked["initial_geometry"], where)
    body = evo.body
    body.contact_reaction, body.contact_pressure = (np.array(ranked[k]) for k in CONTACT)
    evo.transfer_scale = scalars["transfer_scale"]
    _set_counters(evo, scalars)
    evo.last = None if scalars["last"] is None else StepReport(**scalars["last"])
    return scalars["body_time"], before


def _check(evo: CoupledEvolution, saved: np.ndarray, where: str) -> None:
    """UserError unless the Li body's node positions as built equal ``saved`` on every
    rank (the same mesh with the same partition)."""
    built = evo.body._initial[0]
    same = saved.shape == built.shape and np.array_equal(saved, built)
    if not evo.comm.allreduce(int(same), op=MPI.MIN):
        raise UserError(f"{where}: the Li mesh or its partition over the ranks differs from "
                        "the checkpoint's")


def _set_counters(evo: CoupledEvolution, scalars: dict) -> None:
    """Put back the pocket closures' and the smoothing's scalars (``_counters``)."""
    if evo.pockets is not None:
        evo.pockets.closed = scalars["pockets_closed"]
    if evo.smoother is not None:
        evo.smoother.smoothings, evo.smoother.last_quality = scalars["smoothing"]


def resumable(params, path, comm) -> bool:
    """Whether the sweep engine should resume a case from its checkpoint ``path`` on
    ``comm`` (collective): always with the reduced model (a bad checkpoint is then reported
    by the resume); with the coupled model if the checkpoint holds the Li body state written
    on ``comm.size`` ranks (2D or 3D cells), else the case starts over."""
    if params.evolution.interface_model != "coupled":
        return True
    ok = False
    if comm.rank == 0:
        meta = checkpoint.read_meta(path)
        ok = bool(meta and meta.get("coupled") and meta.get("ranks") == comm.size)
    return comm.bcast(ok, root=0)
