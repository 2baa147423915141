"""Facet helpers of the cell mechanics (``solver.physics.mechanics``): the Li faces over an
empty crack mouth taken out of the void roof, and the axis a planar side facet is normal to."""

from __future__ import annotations

import numpy as np
from dolfinx import mesh as dmesh

from lisse.meshes.geometry import FACET_TAGS
from lisse.solver.physics.mechanics_state import CLOSED_GAP

OPEN_MOUTH = 0  # tag of the Li faces over an empty crack mouth (``without_open_mouths``)


def without_open_mouths(msh: dmesh.Mesh, facet_tags: dmesh.MeshTags) -> dmesh.MeshTags:
    """The facet tags with the Li faces lying in the interface plane z = 0 removed from
    "void_lithium": they span the mouth of an empty crack, where there is no electrolyte for
    the Li to touch. A void roof rises above the plane (only its rim touches it), so these
    facets are no roof: left in, the penalty would hold the Li up on a phantom plane and the
    closed area would count the mouth, which the interface area does not contain (contact
    fraction above 1). They stay traction-free (tag ``OPEN_MOUTH``)."""
    roof = FACET_TAGS["void_lithium"]
    fdim = msh.topology.dim - 1
    facets = facet_tags.find(roof)
    z = dmesh.compute_midpoints(msh, fdim, facets)[:, msh.geometry.dim - 1]
    flat = facets[np.abs(z) <= CLOSED_GAP * 1e-3]
    if msh.comm.allreduce(flat.size) == 0:
        return facet_tags
    values = facet_tags.values.copy()
    values[np.isin(facet_tags.indices, flat)] = OPEN_MOUTH
    return dmesh.meshtags(msh, fdim, facet_tags.indices, values)


def normal_axis(msh: dmesh.Mesh, facets: np.ndarray) -> np.ndarray:
    """Index of the coordinate axis each (planar, axis-aligned) facet is normal to."""
    if facets.size == 0:
        return np.zeros(0, dtype=np.int32)
    fdim = msh.topology.dim - 1
    x = msh.geometry.x[dmesh.entities_to_geometry(msh, fdim, facets)]
    if msh.geometry.dim == 2:
        d = x[:, 1, :2] - x[:, 0, :2]
        normal = np.column_stack([-d[:, 1], d[:, 0]])
    else:
        normal = np.cross(x[:, 1] - x[:, 0], x[:, 2] - x[:, 0])
    return np.argmax(np.abs(normal), axis=1)
