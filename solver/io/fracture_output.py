"""ParaView output of a crack solve (``solver.physics.fracture``): ``crack_mesh.xdmf`` (cells
with ``region`` 1, facets with ``facet_tag`` = ``meshes.crack.CRACK_FACET_TAGS``: 1 crack
face, 2 ligament, 3 left, 4 right, 5 top) and ``crack_fields.xdmf`` with the mode I
displacement ``displacement_m`` (point data, metres; warp by it to see the opened crack).
Written by ``solver.io.dataset`` (rank 0, identical under mpirun)."""

from __future__ import annotations

from pathlib import Path

from lisse.solver.io.dataset import CellDataset, FieldWriter


def write_crack(folder, solution) -> list[Path]:
    """Write the two XDMF files of a ``CrackSolution`` into ``folder`` (collective)."""
    folder = Path(folder)
    if solution.mesh_data.mesh.comm.rank == 0:
        folder.mkdir(parents=True, exist_ok=True)
    solution.mesh_data.mesh.comm.barrier()
    dataset = CellDataset(solution.mesh_data)
    mesh_path, fields_path = folder / "crack_mesh.xdmf", folder / "crack_fields.xdmf"
    dataset.write_mesh(mesh_path)
    writer = FieldWriter(dataset, fields_path)
    writer.write(0.0, {"displacement_m": solution.displacement})
    writer.close()
    return [mesh_path, fields_path]
