"""ParaView output of the coupled model's Li on its own mesh (issue 12 item 5;
docs/outputs.md, docs/moving_interface.md "Li fields in fields.xdmf"): ``li.xdmf`` (+ ``.h5``)
on the Li mesh the run starts with and, after the k-th Li remeshing
(``solver.physics.li_remesh``), ``li_remesh<k>.xdmf`` on the new mesh, each one temporal
collection with the Li's point data at the snapshot times written on that mesh.

Mesh of a file: the Li mesh's vertices at their positions when the mesh was built
(``LithiumBody._initial``: the start for ``li.xdmf``, the remeshing for ``li_remesh<k>``) and
its cells as straight triangles (tetrahedra in 3D) through the corner nodes of the P2 cells.
Point data (``CoupledEvolution.li_values``), every name ending in its unit:
``li_displacement_m`` u = x − X [m] (X: the file's points; "Warp By Vector" with it shows the
present, deformed Li; in ``li.xdmf`` the displacement since the start), ``li_velocity_m_s``
[m/s], ``li_contact_pressure_Pa`` [Pa] (0 off contact), ``li_von_mises_stress_Pa``,
``li_mean_stress_Pa`` [Pa], ``li_equivalent_strain_rate_1_s`` [1/s], ``li_equivalent_strain``
[-] and, with Anand, ``li_deformation_resistance_Pa`` [Pa] (``solver.physics.li_output``);
vectors padded to 3 components.

Parallel. Every rank gives the values at its owned vertices with their input global indices
(``geometry.input_global_indices``, independent of the number of ranks); rank 0 writes them
in the order of these indices (points) and the cells sorted by their point rows, so the files
of a run under ``mpirun -n 2`` equal the serial ones (to the run's round-off).

A step cut-back may return to an earlier Li mesh and remesh again: snapshots on a mesh a file
already holds (same vertex numbers and built positions; a remeshing is deterministic) go on
into that file, a different mesh under the same remeshing count gets ``li_remesh<k>_2.xdmf``.
A resumed run opens the file of the mesh it resumes on (its folder has no earlier files).
Design: one file per mesh, not one file whose mesh is rewritten, because an XDMF temporal
collection as meshio writes it (and ParaView reads it simply) has one mesh.
"""

from __future__ import annotations

import numpy as np

from lisse.solver.io.dataset import MESHIO_CELLS, _gather, _note, open_series


def file_name(remeshes: int) -> str:
    """The Li file of the mesh after ``remeshes`` remeshings."""
    return "li.xdmf" if remeshes == 0 else f"li_remesh{remeshes}.xdmf"


class LiSeries:
    """The Li's XDMF files of a run (module docstring); ``write`` and ``close`` are
    collective, rank 0 writes."""

    def __init__(self, folder, comm):
        self.folder, self.comm = folder, comm
        self.body, self.file = None, None  # the Li body written last, and its file
        self.open = []  # rank 0: [path, writer, vertex input indices (sorted), points]
        self.files = []  # the names of the files opened, in order
        self.used = {}  # {file_name: meshes written under it}

    def write(self, evo) -> None:
        """The Li point data of the engine ``evo`` (a ``CoupledEvolution``) at its time."""
        if evo.body is not self.body:
            self._mesh(evo)
        body = evo.body
        keys = np.asarray(body.msh.geometry.input_global_indices)[evo._vertices]
        values = evo.li_values()
        gathered = _gather(self.comm, keys, *values.values())
        if gathered is None:
            return
        _, writer, sorted_keys, _ = self.file
        rows = np.searchsorted(sorted_keys, gathered[0])
        point = {}
        for name, column in zip(values, gathered[1:], strict=True):
            column = column.reshape(len(rows), -1)
            out = np.zeros((len(sorted_keys), 3 if column.shape[1] > 1 else 1))
            out[rows, : column.shape[1]] = column
            point[name] = out[:, 0] if out.shape[1] == 1 else out
        writer.write_data(evo.time, point_data=point)

    def _mesh(self, evo) -> None:
        """The file of the Li mesh of ``evo``: a file already open on the same mesh (the Li
        back on an earlier mesh, or the same mesh rebuilt, after a cut-back), else a new
        one (``file_name``; a second mesh with the same remeshing count, which a cut-back
        could give, gets "_2" etc.)."""
        body, base = evo.body, file_name(int(evo.remeshes))
        geo, tdim = body.msh.geometry, body.msh.topology.dim
        keys = np.asarray(geo.input_global_indices)
        owned = body.msh.topology.index_map(tdim).size_local
        cells = keys[geo.dofmaps[0][:owned, : tdim + 1]]
        gathered = _gather(self.comm, keys[evo._vertices], body._initial[0][evo._vertices],
                           cells)
        self.body = body
        found = None
        if gathered is not None:
            vertex_keys, points, cells = gathered
            order = np.argsort(vertex_keys)
            vertex_keys, points = vertex_keys[order], points[order]
            found = next((k for k, f in enumerate(self.open) if np.array_equal(f[2], vertex_keys)
                          and np.array_equal(f[3], points)), None)
        found = self.comm.bcast(found, root=0)
        if found is not None:
            self.file = self.open[found] if self.open else None
            return
        count = self.used[base] = self.used.get(base, 0) + 1
        name = base if count == 1 else base.replace(".xdmf", f"_{count}.xdmf")
        self.files.append(name)
        if gathered is None:
            return
        path = self.folder.path(name)
        rows = np.searchsorted(vertex_keys, cells)
        rows = rows[np.lexsort(np.sort(rows, axis=1).T[::-1])]
        writer = open_series(path, points, [(MESHIO_CELLS[body.msh.topology.cell_name()], rows)])
        self.file = [path, writer, vertex_keys, points]
        self.open.append(self.file)

    def close(self) -> None:
        """Close the files (collective; rank 0 writes)."""
        for path, writer, _, _ in self.open:
            writer.__exit__(None, None, None)
            _note(path)
        self.open, self.file = [], None
