"""ParaView output on the full cell mesh: ``mesh.xdmf`` and ``fields.xdmf`` (each with its
``.h5``), written with meshio's XDMF writer on rank 0 from data gathered over the ranks.

``mesh.xdmf``: the cells of the full cell mesh (Li and electrolyte) and the tagged facets,
with cell data ``region`` (``meshes.geometry.CELL_TAGS``: 1 electrolyte, 2 lithium, 3 grain
boundary, 4 interlayer, 5 liquid; 0 on facets) and ``facet_tag``
(``meshes.geometry.FACET_TAGS``; 0 on cells).

``fields.xdmf``: one dataset — the cells of the full mesh with ``region``, and every field
of the run by name, at one time (steady and mechanics runs, t = 0 or the end of the hold)
or at every snapshot (evolution runs, one temporal collection). A field that lives on the
electrolyte only (potential, current density) is 0 in the Li. Continuous fields are point
data (P1: a higher-degree field is interpolated to P1); cell-wise constant fields (DG0) are
cell data.

Units: SI throughout — lengths (point coordinates, displacement) in metres, as DOLFINx
computes; each field's name ends in its unit (``electrolyte_potential_V``,
``current_density_A_m2``, ``von_mises_Pa``). The ``.h5`` file carries the attribute
``length_unit = "m"``. Points and cells are ordered by the mesh file's node numbers, so the
files of a run under ``mpirun -n 2`` equal the serial ones.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lisse.meshes.mesh_arrays import left_out_part

MESHIO_CELLS = {"interval": "line", "triangle": "triangle", "tetrahedron": "tetra",
                "quadrilateral": "quad", "hexahedron": "hexahedron"}
# DOLFINx (tensor-product) vertex order -> VTK order
VTK_ORDER = {"quad": [0, 1, 3, 2], "hexahedron": [0, 1, 3, 2, 4, 5, 7, 6]}
FACET_OF = {"triangle": "interval", "tetrahedron": "triangle",
            "quadrilateral": "interval", "hexahedron": "quadrilateral"}
# deflate level of mesh.h5: 1 writes 1.7x faster than meshio's default 4 for a 4 % larger
# file (1.1 M tetrahedra: 0.37 s, 12.7 MB against 0.65 s, 12.3 MB; none: 0.08 s, 44 MB)
GZIP_LEVEL = 1


def _cell_nodes(msh, dim: int, entities: np.ndarray) -> np.ndarray:
    """Input (mesh-file) node numbers of the vertices of ``entities`` of dimension ``dim``."""
    from dolfinx.mesh import entities_to_geometry

    geometry = entities_to_geometry(msh, dim, entities)
    return np.asarray(msh.geometry.input_global_indices)[geometry]


def _gather(comm, *arrays):
    """The arrays of every rank, concatenated along their first axis on rank 0 (None
    elsewhere): MPI Gatherv of the raw buffers (no pickling; 1.7 s for the 10 M cells of
    the refined benchmark mesh)."""
    if comm.size == 1:
        return [np.asarray(a) for a in arrays]
    out = []
    for array in arrays:
        array = np.ascontiguousarray(array)
        counts = comm.gather(array.size, root=0)
        if comm.rank != 0:
            comm.Gatherv(array.ravel(), None, root=0)
            continue
        buffer = np.empty(sum(counts), dtype=array.dtype)
        comm.Gatherv(array.ravel(), (buffer, counts), root=0)
        out.append(buffer.reshape(-1, *array.shape[1:]))
    return out if comm.rank == 0 else None


def _key(nodes: np.ndarray, count: int) -> np.ndarray:
    """One key per row of (at most 4) node numbers in [0, count), independent of their
    order: the sorted row (a, b, c, d) as the complex number (a count + b) + i (c count + d)
    (shorter rows likewise), whose parts are exact in float64 while count² < 2⁵³; numpy
    sorts and searches complex numbers by (real, imaginary), i.e. the rows
    lexicographically, at native speed."""
    if count**2 >= 2**53 or nodes.shape[1] > 4:
        raise ValueError(f"{count} nodes or {nodes.shape[1]} per cell: too many for the keys")
    rows = np.sort(nodes, axis=1).astype(np.float64)
    half = (rows.shape[1] + 1) // 2
    real, imag = np.zeros(len(rows)), np.zeros(len(rows))
    for column in range(rows.shape[1]):
        part = real if column < half else imag
        part *= count
        part += rows[:, column]
    return real + 1j * imag


class CellDataset:
    """The full-cell mesh gathered on rank 0, and fields written on it (XDMF, meshio)."""

    def __init__(self, data):
        """``data``: the full cell's mesh data (``.mesh``, ``.cell_tags``, ``.facet_tags``);
        of a mesh read without some regions (``mesh_arrays.partial_mesh_data``), their cells,
        nodes and tagged facets are read from its file."""
        msh = self.mesh = data.mesh
        self.comm = msh.comm
        tdim = msh.topology.dim
        self.cell_type = msh.topology.cell_name()
        owned = np.arange(msh.topology.index_map(tdim).size_local, dtype=np.int32)
        region = np.zeros(owned.size, dtype=np.int32)
        inside = data.cell_tags.indices < owned.size
        region[data.cell_tags.indices[inside]] = data.cell_tags.values[inside]
        ids = np.asarray(msh.geometry.input_global_indices)
        x = msh.geometry.x
        cells = _cell_nodes(msh, tdim, owned)
        ft = data.facet_tags
        msh.topology.create_connectivity(tdim - 1, tdim)
        facets = _cell_nodes(msh, tdim - 1, ft.indices)
        gathered = _gather(self.comm, ids, x, cells, region, facets, ft.values)
        if self.comm.rank != 0:
            return
        mesh_cells = len(gathered[2])  # the mesh's own, ahead of any read from its file
        rest = left_out_part(data)
        if rest is not None:  # a mesh read without some regions (the Li): the rest from its file
            points, *others = rest
            gathered = [np.concatenate(pair) for pair in zip(
                gathered, [np.arange(len(points)), points, *others], strict=True)]
        ids, x, cells, region, facets, facet_values = gathered
        self.node_ids, first = np.unique(ids, return_index=True)
        self.count = int(self.node_ids[-1]) + 1 if len(self.node_ids) else 0
        self.points = x[first]
        keys = _key(cells, self.count)  # their order: the rows' lexicographic one
        order = np.argsort(keys, kind="stable")
        # the row of each cell of the mesh (gathered first, rank by rank, owned cells in
        # local order), for cell data gathered the same way (_gather_field)
        rows = np.empty(len(order), dtype=np.int64)
        rows[order] = np.arange(len(order))
        self.mesh_cell_rows = rows[:mesh_cells]
        self.cells = self.rows(cells[order])
        self.region = region[order]
        self.cell_keys = keys[order]  # sorted: a cell's row by search
        # a facet tagged on two ranks once (its first copy), its nodes in the mesh's order
        _, first = np.unique(_key(facets, self.count), return_index=True)
        self.facets = self.rows(facets[first].astype(np.int64))
        self.facet_tags = np.asarray(facet_values[first], dtype=np.int32)

    def rows(self, nodes: np.ndarray) -> np.ndarray:
        """The rows of ``points`` of mesh-file node numbers (rank 0): the numbers themselves
        when the mesh holds every node 0 … count − 1 (a whole mesh file), else their
        positions among ``node_ids``."""
        if len(self.node_ids) == self.count:
            return nodes
        return np.searchsorted(self.node_ids, nodes)

    def _blocks(self, cells: np.ndarray, cell_type: str) -> tuple[str, np.ndarray]:
        name = MESHIO_CELLS[cell_type]
        return name, cells[:, VTK_ORDER[name]] if name in VTK_ORDER else cells

    def values(self, fields: dict) -> tuple[dict, dict]:
        """Point data and cell data (rank 0; collective) of ``fields`` {name: Function}."""
        point, cell = {}, {}
        for name, func in fields.items():
            data, is_cell = self._gather_field(func)
            if self.comm.rank == 0:
                (cell if is_cell else point)[name] = data
        return point, cell

    def _gather_field(self, func):
        from dolfinx import fem

        space = func.function_space
        msh = space.mesh
        tdim = msh.topology.dim
        element = space.ufl_element()
        bs = space.dofmap.bs
        if element.embedded_superdegree == 0:  # DG0: cell data
            owned = np.arange(msh.topology.index_map(tdim).size_local, dtype=np.int32)
            values = func.x.array.reshape(-1, bs)[space.dofmap.list[owned, 0]]
            own = msh is self.mesh  # the dataset's cells, gathered in the same order
            gathered = _gather(self.comm, values) if own else _gather(
                self.comm, values, _cell_nodes(msh, tdim, owned))
            if gathered is None:
                return None, True
            values = gathered[0]
            rows = self.mesh_cell_rows if own else np.searchsorted(
                self.cell_keys, _key(gathered[1], self.count))
            out = np.zeros((len(self.cells), bs))
            out[rows] = values
            return (out[:, 0] if bs == 1 else self._pad(out)), True
        if element.embedded_superdegree != 1 or element.discontinuous:
            p1 = fem.functionspace(msh, ("Lagrange", 1, func.ufl_shape))
            interpolated = fem.Function(p1)
            interpolated.interpolate(func)
            func, space = interpolated, p1
        geometry = msh.geometry.dofmaps[0]
        values = np.zeros((msh.geometry.x.shape[0], bs))
        values[geometry.ravel()] = func.x.array.reshape(-1, bs)[space.dofmap.list.ravel()]
        gathered = _gather(self.comm, np.asarray(msh.geometry.input_global_indices), values)
        if gathered is None:
            return None, False
        ids, values = gathered
        out = np.zeros((len(self.node_ids), bs))
        out[self.rows(ids)] = values
        return (out[:, 0] if bs == 1 else self._pad(out)), False

    def point_values(self, coordinates: np.ndarray, values: np.ndarray):
        """Point data from ``values`` (rows) at mesh points given by their ``coordinates``
        (rows, gdim) on any rank, each point once (for a field on another mesh of the same
        points, e.g. the Li's own mesh; points not given are 0), on rank 0 (None
        elsewhere)."""
        values = np.asarray(values, dtype=float).reshape(len(coordinates), -1)
        gathered = _gather(self.comm, np.asarray(coordinates, dtype=float), values)
        if gathered is None:
            return None
        coordinates, values = gathered
        gdim = coordinates.shape[1]
        scale = 1e-10 * float(np.max(np.abs(self.points), initial=1.0))  # matching grid
        row = {tuple(k): i for i, k in enumerate(np.rint(self.points[:, :gdim] / scale)
                                                    .astype(np.int64))}
        keys = np.rint(coordinates / scale).astype(np.int64)
        out = np.zeros((len(self.points), values.shape[1]))
        out[[row[tuple(k)] for k in keys]] = values
        return out[:, 0] if values.shape[1] == 1 else self._pad(out)

    @staticmethod
    def _pad(vectors: np.ndarray) -> np.ndarray:
        """2D vectors as 3-component vectors (ParaView's glyphs and warps want 3)."""
        return np.column_stack([vectors, np.zeros((len(vectors), 3 - vectors.shape[1]))])

    def write_mesh(self, path) -> None:
        """``mesh.xdmf`` (+ ``mesh.h5``): cells with ``region``, facets with ``facet_tag``
        (collective; rank 0 writes)."""
        if self.comm.rank != 0:
            return
        import meshio

        blocks = [self._blocks(self.cells, self.cell_type),
                  self._blocks(self.facets, FACET_OF[self.cell_type])]
        meshio.write(path, meshio.Mesh(
            self.points, blocks,
            cell_data={"region": [self.region, np.zeros(len(self.facets), dtype=np.int32)],
                       "facet_tag": [np.zeros(len(self.cells), dtype=np.int32),
                                     self.facet_tags]}),
                     compression="gzip", compression_opts=GZIP_LEVEL)
        _note(path)


class FieldWriter:
    """``fields.xdmf`` (+ ``fields.h5``): the full-cell mesh with ``region`` and the fields
    at one or more times (collective; rank 0 writes)."""

    def __init__(self, dataset: CellDataset, path):
        self.dataset, self.path, self.writer = dataset, path, None
        if dataset.comm.rank == 0:
            self.writer = open_series(path, dataset.points,
                                      [dataset._blocks(dataset.cells, dataset.cell_type)])

    def write(self, time: float, fields: dict, points: dict | None = None) -> None:
        """The fields {name: Function} and the point data {name: (point coordinates,
        values)} (``CellDataset.point_values``) at ``time`` [s]."""
        point, cell = self.dataset.values(fields)
        for name, (coordinates, values) in (points or {}).items():
            point[name] = self.dataset.point_values(coordinates, values)
        if self.writer is not None:
            cell = {"region": self.dataset.region, **cell}
            self.writer.write_data(time, point_data=point,
                                   cell_data={k: [v] for k, v in cell.items()})

    def close(self) -> None:
        if self.writer is not None:
            self.writer.__exit__(None, None, None)
            self.writer = None
            _note(self.path)


def open_series(path, points: np.ndarray, blocks: list):
    """A meshio XDMF time series at ``path`` with its mesh (``points``, cell ``blocks``)
    written (one rank; close with ``__exit__``)."""
    import contextlib

    from meshio.xdmf import TimeSeriesWriter

    writer = TimeSeriesWriter(Path(path).resolve())
    with contextlib.chdir(Path(path).parent):  # meshio opens the .h5 by a relative name
        writer.__enter__()
    writer.write_points_cells(points, blocks)
    return writer


def _note(path) -> None:
    """The length unit as an attribute of the ``.h5`` beside an XDMF file."""
    import h5py

    with h5py.File(Path(path).with_suffix(".h5"), "a") as h5:
        h5.attrs["length_unit"] = "m"
        h5.attrs["units"] = "SI; every field name ends in its unit"
