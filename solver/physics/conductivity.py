"""Region-wise conductivities of a microstructured electrolyte and its observables.

Grain boundaries are resolved as bands of width w (``meshes.microstructure``), much wider
than the physical boundary δ (~1 nm). Each band cell carries the exact laminate
homogenisation of a boundary of width δ and conductivity κ_gb inside grain material κ_g:

    across (normal n):  w/κ_n = δ/κ_gb + (w − δ)/κ_g      (series)
    along:              κ_t w = κ_gb δ + κ_g (w − δ)       (parallel)
    κ = κ_t I + (κ_n − κ_t) n⊗n,

so both the across-boundary resistance δ/κ_gb and the along-boundary conductance κ_gb δ of
the physical boundary are kept. Cells where two bands cross (junctions) take κ_n in every
direction; in 3D, κ_n acts in the span of the normals of the boundaries within w/2 (the
plane of two normals where two bands cross: a junction line keeps κ_t along it). The same
construction gives the electronic conductivity σ_e. Other regions are isotropic:
interlayer (its own κ, σ_e), ionic liquid (κ_liquid; σ_e = 1e-6 of the electrolyte's,
effectively insulating).
"""

from __future__ import annotations

import numpy as np
import ufl
from dolfinx import fem
from mpi4py import MPI

from lisse.meshes.geometry import CELL_TAGS
from lisse.solver.config.params import Kinetics, Resolved
from lisse.solver.fem.domain import Domain
from lisse.solver.physics.current import CurrentDistribution, CurrentSolution
from lisse.units import UM_PER_M

LIQUID_ELECTRONIC_FACTOR = 1e-6  # σ_e(liquid) / σ_e(electrolyte)


def laminate(bulk: float, boundary: float, delta: float, band: float) -> tuple[float, float]:
    """(across, along) conductivities of a band of width ``band`` holding a boundary of
    width ``delta`` and conductivity ``boundary`` in material of conductivity ``bulk``."""
    across = band / (delta / boundary + (band - delta) / bulk)
    along = (boundary * delta + bulk * (band - delta)) / band
    return across, along


def ionic_conductivity(domain: Domain, params: Resolved):
    """κ [S/m]: the electrolyte's value, or a DG0 field (scalar or tensor) by region."""
    return _field(domain, params, "ionic_conductivity")


def electronic_conductivity(domain: Domain, params: Resolved):
    """σ_e [S/m]: the electrolyte's value, or a DG0 field (scalar or tensor) by region."""
    return _field(domain, params, "electronic_conductivity")


def region_values(params: Resolved, prop: str) -> dict[str, float]:
    bulk = getattr(params.electrolyte, prop)
    ms = params.microstructure
    values = {"electrolyte": bulk}
    if ms is None:
        return values
    if ms.interlayer is not None:
        values["interlayer"] = getattr(ms.interlayer, prop)
    if ms.liquid_conductivity > 0:
        values["liquid"] = (
            ms.liquid_conductivity
            if prop == "ionic_conductivity"
            else LIQUID_ELECTRONIC_FACTOR * bulk
        )
    return values


def _field(domain: Domain, params: Resolved, prop: str):
    ms = params.microstructure
    boundary = getattr(ms.grain_boundary, prop) if ms and ms.grain_boundary else None
    return as_function(domain, region_field(domain, params, region_values(params, prop),
                                            boundary), prop)


def region_field(domain: Domain, params: Resolved, values: dict, boundary=None):
    """Cell values of a transport coefficient from its value per region (``values``,
    real or complex) and at the physical grain boundaries (``boundary``, laminate tensors
    in the bands): the electrolyte's value alone if the domain has one region, else an
    array over the cells (n,) or, with grain boundaries, (n, gdim, gdim)."""
    msh = domain.mesh
    tags = domain.cell_tags
    grains = params.geometry.microstructure.grains if params.geometry.microstructure else None
    present = (
        set()
        if tags is None
        else {
            name
            for name, tag in CELL_TAGS.items()
            if msh.comm.allreduce(int(np.any(tags.values == tag)), op=MPI.MAX)
        }
    )
    if present <= {"electrolyte"}:
        return values["electrolyte"]
    tdim, gdim = msh.topology.dim, msh.geometry.dim
    ncells = msh.topology.index_map(tdim).size_local + msh.topology.index_map(tdim).num_ghosts
    region = np.zeros(ncells, dtype=np.int32)
    region[tags.indices] = tags.values
    scalar = np.zeros(ncells, dtype=np.result_type(*values.values(), float))
    for name, value in values.items():
        scalar[region == CELL_TAGS[name]] = value
    if "grain_boundary" not in present:
        return scalar
    gb = params.microstructure.grain_boundary
    across, along = laminate(values["electrolyte"], boundary, gb.width, grains.band_width)
    tensor = scalar[:, None, None] * np.eye(gdim)[None]
    band = np.flatnonzero(region == CELL_TAGS["grain_boundary"])
    normal, junction = _band_normals(domain, params, band)
    tensor[band] = (
        along * np.eye(gdim)[None] + (across - along) * normal[:, :, None] * normal[:, None, :]
    )
    tensor[band[junction]] = across * np.eye(gdim)
    if gdim == 3:  # κ_n across every boundary within reach, κ_t along junction lines
        projector = _band_projectors(domain, params, band)
        tensor[band] = along * np.eye(3)[None] + (across - along) * projector
    return tensor


def as_function(domain: Domain, data, name: str):
    """A coefficient from ``region_field``: a float stays a float, cell arrays become DG0
    functions (scalar or tensor)."""
    if np.ndim(data) == 0:
        return data
    gdim = domain.mesh.geometry.dim
    shape = () if data.ndim == 1 else (gdim, gdim)
    space = fem.functionspace(domain.mesh, ("DG", 0, shape))
    func = fem.Function(space, name=name)
    func.x.array[:] = np.asarray(data).reshape(-1)
    return func


def _band_normals(domain: Domain, params: Resolved, cells: np.ndarray):
    from lisse.meshes.polycrystal import boundary_normals

    gdim = domain.mesh.geometry.dim
    midpoints = domain.mesh.geometry.x[domain.mesh.geometry.dofmaps[0][cells]].mean(axis=1)
    return boundary_normals(params.geometry, midpoints[:, :gdim])


def _band_projectors(domain: Domain, params: Resolved, cells: np.ndarray):
    from lisse.meshes.polycrystal import band_projectors

    midpoints = domain.mesh.geometry.x[domain.mesh.geometry.dofmaps[0][cells]].mean(axis=1)
    return band_projectors(params.geometry, midpoints)


# ---------------------------------------------------------------------------------------
# Observables
# ---------------------------------------------------------------------------------------


def crack_tip_current(sol: CurrentSolution, comm, tol: float = 1e-12) -> dict:
    """Largest current density on Li-filled crack faces (nodes below the interface plane)
    [A/m²] and its location [µm]; empty if there are none."""
    gdim = sol.nodes_x.shape[1] if sol.nodes_x.ndim == 2 else 2
    up = 1 if sol.potential.function_space.mesh.geometry.dim == 2 else 2
    below = (
        sol.nodes_contact & (sol.nodes_x[:, up] < -tol)
        if len(sol.nodes_x)
        else np.zeros(0, dtype=bool)
    )
    j = np.abs(sol.nodes_j[below]) if below.any() else np.zeros(0)
    local = (
        (float(j.max()), list(sol.nodes_x[below][int(np.argmax(j))][:gdim]))
        if len(j)
        else (-1.0, None)
    )
    best = max(comm.allgather(local), key=lambda item: item[0])
    if best[1] is None:
        return {}
    dim = sol.potential.function_space.mesh.geometry.dim
    return {
        "max_crack_tip_current_density_A_m2": best[0],
        "crack_tip_location_um": [float(c) * UM_PER_M for c in best[1][:dim]],
    }


def effective_conductivity(sol: CurrentSolution, params: Resolved) -> float:
    """κ_eff = j₁ L: the conductivity of a uniform slab of the same thickness with the same
    primary-distribution conductance, from a solve at 1 V with the Li surfaces held at 1 V
    and an ideal counter electrode [S/m]. For a polycrystal in a planar cell this is the
    polycrystal's effective conductivity (validation G1)."""
    unit = CurrentDistribution(
        sol.domain,
        sol.conductivity,
        Kinetics("primary"),
        Kinetics("ideal"),
        params.temperature,
        params.numerics,
    )
    return unit.solve("potentiostatic", 1.0).current_density * params.geometry.electrolyte_thickness


def grain_boundary_share(domain: Domain, sol: CurrentSolution, params: Resolved, kappa) -> float:
    """Share of the current carried along the physical grain boundaries:
    ∫_bands κ_gb (δ/w) |∇_t φ| dV / ∫ |κ∇φ| dV (∇_t: the gradient along the boundary)."""
    grains = params.geometry.microstructure.grains
    gb = params.microstructure.grain_boundary
    msh = domain.mesh
    tdim, gdim = msh.topology.dim, msh.geometry.dim
    dg0 = fem.functionspace(msh, ("DG", 0))
    grad = ufl.grad(sol.potential)
    flux = ufl.dot(kappa, grad) if kappa.ufl_shape else kappa * grad
    total = fem.Function(dg0)
    total.interpolate(
        fem.Expression(ufl.sqrt(ufl.inner(flux, flux)), dg0.element.interpolation_points)
    )
    vgrad = fem.functionspace(msh, ("DG", 0, (gdim,)))
    g = fem.Function(vgrad)
    g.interpolate(fem.Expression(grad, vgrad.element.interpolation_points))
    ncells = msh.topology.index_map(tdim).size_local
    band = domain.cell_tags.find(CELL_TAGS["grain_boundary"])
    band = band[band < ncells]
    normal, junction = _band_normals(domain, params, band)
    gb_grad = g.x.array.reshape(-1, gdim)[band]
    tangential = gb_grad - (gb_grad * normal).sum(axis=1)[:, None] * normal
    along = (
        gb.ionic_conductivity * gb.width / grains.band_width * np.linalg.norm(tangential, axis=1)
    )
    along[junction] = 0.0
    volume = fem.assemble_vector(
        fem.form(ufl.TestFunction(dg0) * domain.radius_weight * domain.dx())
    ).array[:ncells]
    numerator = msh.comm.allreduce(float((along * volume[band]).sum()))
    denominator = msh.comm.allreduce(float((total.x.array[:ncells] * volume).sum()))
    return numerator / denominator


def analyse(sol: CurrentSolution, params: Resolved) -> tuple[dict, list[fem.Function]]:
    """Microstructure and leakage observables for ``summary.json`` and their field maps.

    Keys: ``max_crack_tip_current_density_A_m2`` (Li-filled cracks),
    ``effective_conductivity_S_m`` and ``grain_boundary_current_share`` (grains), and with
    electronic
    leakage ``electronic_current_density_A_m2``, ``li_nucleation_risk_fraction``,
    ``li_nucleation_risk_location_um``, ``li_nucleation_risk_depth_um``,
    ``min_li_potential_V``.
    """
    from lisse.solver.physics.leakage import solve_leakage

    domain, comm = sol.domain, sol.domain.mesh.comm
    out = crack_tip_current(sol, comm)
    fields: list[fem.Function] = []
    grains = params.geometry.microstructure and params.geometry.microstructure.grains
    if grains:
        out["effective_conductivity_S_m"] = effective_conductivity(sol, params)
        out["grain_boundary_current_share"] = grain_boundary_share(
            domain, sol, params, sol.conductivity
        )
    if params.leakage.enabled:
        leak = solve_leakage(
            domain,
            electronic_conductivity(domain, params),
            sol.potential,
            sol.cell_voltage,
            sol.interface_area,
            params.leakage.interface_energy,
            params.leakage.plating_time,
            params.numerics,
        )
        out.update(
            {
                "electronic_current_density_A_m2": leak.current_density,
                "li_nucleation_risk_fraction": leak.risk_fraction,
                "li_nucleation_risk_location_um": (
                    None if leak.risk_location is None
                    else [c * UM_PER_M for c in leak.risk_location]
                ),
                "li_nucleation_risk_depth_um": leak.risk_depth * UM_PER_M,
                "min_li_potential_V": leak.min_li_potential,
            }
        )
        fields += [leak.electron_potential, leak.li_potential, leak.risk]
    return out, fields
