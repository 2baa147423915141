"""The cache entry's arrays: a mesh file that every MPI rank reads its own part of.

Loading a Gmsh ``.msh`` into DOLFINx (``dolfinx.io.gmsh.model_to_mesh``) reads the whole
model on one rank, distributes the cells from there and then sends every tagged cell and
facet to its owner (``distribute_entity_data``): at 10⁵–10⁶ unknowns that costs many times
one linear solve. Beside each ``.msh`` the cache therefore keeps a ``.lmesh`` file, written
once from the Gmsh model (``write_arrays``), with the arrays of a first-order simplex mesh:

    x            (nodes, 3) float64     node coordinates [m]
    cells        (cells, d + 1) int64   cell → node, DOLFINx vertex order
    cell_values  (cells,) int32         physical tag of each cell
    facet_cell   (k,) int64             a cell next to a tagged facet (every such cell:
    facet_local  (k,) int32             both cells of an interior facet), the facet's local
    facet_values (k,) int32             index in it (the facet opposite vertex i is facet i
                                        of a DOLFINx simplex) and its physical tag

Rank r reads rows [r N/p, (r + 1) N/p) of ``x`` and ``cells`` through a memory map and
builds the mesh with ``create_mesh`` and the given partitioner. The tags need no
communication: each rank looks up the values of its own cells (owned and ghost) by their
original index, and its tagged facets through the cells next to them. With ``regions``
only the cells of those regions are read (a steady run leaves the Li out); the rest of the
file is read back for the whole-cell output by ``left_out_part``.

File layout: the magic line ``LISSE-MESH-ARRAYS 1``, an 8-byte little-endian header length,
a JSON header (for each array its dtype, shape and byte offset; the cell type, the
geometric dimension and the physical groups), then the arrays, each 64-byte aligned.
``read_header`` checks the magic line, the header and the file size: a damaged file raises
``ValueError`` and is rebuilt by the cache.
"""

from __future__ import annotations

import functools
import json
import os
import pathlib

import numpy as np

MAGIC = b"LISSE-MESH-ARRAYS 1\n"
ALIGN = 64  # bytes: each array starts at a multiple of this offset
CELL_TYPES = {2: "triangle", 4: "tetrahedron"}  # Gmsh element type -> DOLFINx cell, P1
REQUIRED = {"x", "cells", "cell_values"}  # arrays every file holds (facet ones if tagged)


def facets_next_to_cells(cells: np.ndarray, facets: np.ndarray) -> tuple[np.ndarray, ...]:
    """For each facet (rows of node indices) every cell holding all its nodes: returns
    (facet row, cell, local facet index = position of the cell's one node not on the
    facet). A facet no cell holds raises ``ValueError`` (a non-conforming mesh)."""
    nodes = cells.ravel()
    order = np.argsort(nodes, kind="stable")
    start = np.searchsorted(nodes[order], np.arange(max(nodes.max(), facets.max()) + 2))
    first = facets[:, 0]
    counts = start[first + 1] - start[first]
    row = np.repeat(np.arange(len(facets)), counts)
    offset = np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)
    cell = order[start[first][row] + offset] // cells.shape[1]
    members = cells[cell]
    holds = np.ones(len(row), dtype=bool)
    for column in range(1, facets.shape[1]):
        holds &= (members == facets[row, column][:, None]).any(axis=1)
    row, cell, members = row[holds], cell[holds], members[holds]
    if len(np.unique(row)) != len(facets):
        raise ValueError("a tagged facet is not a facet of any cell (non-conforming mesh)")
    off_facet = np.all(members[:, :, None] != facets[row][:, None, :], axis=2)
    return row, cell, np.argmax(off_facet, axis=1).astype(np.int32)


def write_arrays(model, target: pathlib.Path) -> bool:
    """Write the arrays of the current Gmsh ``model`` to ``target`` (atomically: a temporary
    name, then ``os.replace``). Returns False, writing nothing, if the mesh is not a
    first-order triangle or tetrahedron mesh or has a tagged facet that is no cell's facet
    (the caller then loads the ``.msh``)."""
    from dolfinx.io.gmsh import extract_geometry, extract_topology_and_markers

    topologies, groups = extract_topology_and_markers(model)
    dims = {t: model.mesh.getElementProperties(t)[1] for t in topologies}
    tdim = max(dims.values())
    cell_types = [t for t, d in dims.items() if d == tdim]
    facet_types = [t for t, d in dims.items() if d == tdim - 1]
    if len(cell_types) != 1 or cell_types[0] not in CELL_TYPES or len(facet_types) > 1:
        return False
    cells = topologies[cell_types[0]]["topology"].astype(np.int64)
    arrays = {"x": extract_geometry(model), "cells": cells,
              "cell_values": topologies[cell_types[0]]["cell_data"].astype(np.int32)}
    if facet_types:
        facets = topologies[facet_types[0]]
        try:
            row, cell, local = facets_next_to_cells(cells, facets["topology"].astype(np.int64))
        except ValueError:  # a tagged facet of no cell: left to model_to_mesh
            return False
        arrays.update(facet_cell=cell.astype(np.int64), facet_local=local,
                      facet_values=facets["cell_data"].astype(np.int32)[row])
    meta = {"cell_type": CELL_TYPES[cell_types[0]], "tdim": int(tdim),
            "physical_groups": {name: [int(g.dim), int(g.tag)] for name, g in groups.items()}}
    write_file(target, arrays, meta)
    return True


def write_file(target: pathlib.Path, arrays: dict[str, np.ndarray], meta: dict) -> None:
    """The file layout of the module docstring, written under a temporary name; ``meta``:
    the header's ``cell_type``, ``tdim`` and ``physical_groups``."""
    entries, offset = {}, 0
    for name, array in arrays.items():
        entries[name] = [array.dtype.str, list(array.shape), offset]
        offset += -(-array.nbytes // ALIGN) * ALIGN
    header = json.dumps({**meta, "arrays": entries, "data_bytes": offset}).encode()
    start = -(-(len(MAGIC) + 8 + len(header)) // ALIGN) * ALIGN
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(MAGIC + len(header).to_bytes(8, "little") + header)
            for name, array in arrays.items():
                fh.seek(start + entries[name][2])
                fh.write(np.ascontiguousarray(array).tobytes())
            fh.truncate(start + offset)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def read_header(path: pathlib.Path) -> dict:
    """The JSON header of ``path`` with ``start`` (byte offset of the data) added; raises
    ``ValueError`` (or ``OSError``) if the file is damaged or truncated."""
    with open(path, "rb") as fh:
        if fh.read(len(MAGIC)) != MAGIC:
            raise ValueError(f"{path}: not a mesh-arrays file")
        length = int.from_bytes(fh.read(8), "little")
        header = json.loads(fh.read(length).decode())
    start = -(-(len(MAGIC) + 8 + length) // ALIGN) * ALIGN
    if path.stat().st_size != start + header["data_bytes"]:
        raise ValueError(f"{path}: truncated")
    if not REQUIRED <= set(header["arrays"]) or header["cell_type"] not in CELL_TYPES.values():
        raise ValueError(f"{path}: incomplete header")
    return {**header, "start": start}


def _array(path: pathlib.Path, header: dict, name: str) -> np.ndarray:
    """A read-only memory map of one array of the file."""
    dtype, shape, offset = header["arrays"][name]
    if 0 in shape:
        return np.empty(shape, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", offset=header["start"] + offset,
                     shape=tuple(shape))


def read_all(path: pathlib.Path, header: dict) -> dict[str, np.ndarray]:
    """Every array of the file, in memory (one rank)."""
    return {name: np.array(_array(path, header, name)) for name in header["arrays"]}


def _block(n: int, comm) -> slice:
    """This rank's contiguous share of n rows."""
    return slice(n * comm.rank // comm.size, n * (comm.rank + 1) // comm.size)


@functools.cache
def partial_mesh_data() -> type:
    """``PartialMeshData``: a ``dolfinx.io.gmsh.MeshData`` of the cells of some regions
    only (``read_mesh`` with ``regions``) whose attribute ``left_out`` (file, header,
    regions read) lets an output of the whole cell take the other cells from the file
    (``left_out_part``). Made on first use: importing this module loads no DOLFINx."""
    from dolfinx.io.gmsh import MeshData

    class PartialMeshData(MeshData):
        left_out: tuple[pathlib.Path, dict, tuple[int, ...]]

    return PartialMeshData


def read_mesh(path: pathlib.Path, header: dict, comm, gdim: int, partitioner,
              regions: tuple[int, ...] | None = None):
    """The mesh and its tags from ``path`` (``header`` from ``read_header``), every rank
    reading its block of nodes and cells; returns a ``dolfinx.io.gmsh.MeshData``. With
    ``regions`` (cell tag values) only the cells of those regions are read (a
    ``PartialMeshData``): the tagged facets are those of the kept cells."""
    import basix.ufl
    import ufl
    from dolfinx.io.gmsh import MeshData, PhysicalGroup
    from dolfinx.mesh import create_mesh, meshtags

    cells, x = _array(path, header, "cells"), _array(path, header, "x")
    all_values = _array(path, header, "cell_values")
    block = _block(len(cells), comm)
    mine = np.array(cells[block])
    kept = None  # file index of each cell read, in the order create_mesh numbers them
    if regions is not None:
        kept = np.flatnonzero(np.isin(all_values, regions))
        mine = mine[np.isin(all_values[block], regions)]
    element = basix.ufl.element("Lagrange", header["cell_type"], 1, shape=(gdim,))
    mesh = create_mesh(comm, mine, ufl.Mesh(element), np.array(x[_block(len(x), comm), :gdim]),
                       partitioner)
    tdim = mesh.topology.dim
    for dim in (tdim, tdim - 1):  # as model_to_mesh leaves the mesh (callers rely on f -> c)
        mesh.topology.create_connectivity(dim, tdim)
    original = np.asarray(mesh.topology.original_cell_index)
    if kept is not None:
        original = kept[original]
    cell_values = np.asarray(all_values[original], dtype=np.int32)
    cell_tags = meshtags(mesh, tdim, np.arange(len(original), dtype=np.int32), cell_values)
    cell_tags.name = "cell_tags"
    facet_tags = None
    if "facet_cell" in header["arrays"]:
        by_original = np.argsort(original)
        facet_cell = np.asarray(_array(path, header, "facet_cell"))
        position = np.minimum(np.searchsorted(original[by_original], facet_cell),
                              len(original) - 1)
        here = original[by_original[position]] == facet_cell
        local_cell = by_original[position[here]]
        mesh.topology.create_connectivity(tdim, tdim - 1)
        c2f = mesh.topology.connectivity(tdim, tdim - 1)
        local = np.asarray(_array(path, header, "facet_local"))[here]
        facets = c2f.array[c2f.offsets[local_cell] + local]
        values = np.asarray(_array(path, header, "facet_values"))[here]
        facets, first = np.unique(facets, return_index=True)
        facet_tags = meshtags(mesh, tdim - 1, facets.astype(np.int32), values[first])
        facet_tags.name = "facet_tags"
    groups = {name: PhysicalGroup(*dim_tag)
              for name, dim_tag in header["physical_groups"].items()}
    if regions is None:
        return MeshData(mesh, cell_tags, facet_tags, None, None, groups)
    data = partial_mesh_data()(mesh, cell_tags, facet_tags, None, None, groups)
    data.left_out = (path, header, tuple(regions))
    return data


def left_out_part(data) -> tuple[np.ndarray, ...] | None:
    """For a ``PartialMeshData``, the rest of its mesh file (one rank reads it): all node
    coordinates (nodes, 3), the cells of the regions not read (file node numbers) with
    their tags, and the tagged facets of those cells (node rows, tags); None for a whole
    mesh."""
    if getattr(data, "left_out", None) is None:
        return None
    path, header, regions = data.left_out
    values = np.asarray(_array(path, header, "cell_values"))
    rest = ~np.isin(values, regions)
    cells = np.asarray(_array(path, header, "cells"))
    facet_rows = np.empty((0, cells.shape[1] - 1), dtype=np.int64)
    facet_values = np.empty(0, dtype=np.int32)
    if "facet_cell" in header["arrays"]:
        facet_cell = np.asarray(_array(path, header, "facet_cell"))
        outside = rest[facet_cell]
        owner = cells[facet_cell[outside]]
        local = np.asarray(_array(path, header, "facet_local"))[outside]
        keep = np.arange(cells.shape[1]) != local[:, None]  # the nodes but the opposite one
        facet_rows = owner[keep].reshape(len(owner), -1)
        facet_values = np.asarray(_array(path, header, "facet_values"))[outside]
    return (np.asarray(_array(path, header, "x")), cells[rest], values[rest].astype(np.int32),
            facet_rows, facet_values)
