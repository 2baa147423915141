"""The debonded-patch study: does a circular debonded patch on a stripping Li/electrolyte
interface open or close? (Roy, Fleck & Deshpande 2021; docs/patch_study.md)

Axisymmetric unit cell (r, y) of radius W: electrolyte below y = 0, Li above, a debonded
patch r < a on the axis (a flat void of small height h), bonded elsewhere.

1. Current. Linear kinetics j = (V − φ)/Z on the bonded interface, no flux on the patch
   (``solver.physics.current``). The profile j(r)/j_far depends only on ā = a/(κZ) and the cell
   proportions; k_J = max j / j_far with j_far = j(W).
2. Li flow. Li is an incompressible power-law creeping solid, ε̇_eq = ε̇0 (σ_eq/σ0)^n, in
   steady flow with velocity v relative to the electrolyte, driven by the bonded-interface
   velocity v_y = −j(r)/j_far; lengths are scaled by a, velocities by v_far = Ω j_far / F,
   stresses by σ_ref = σ0 (v_far / (a ε̇0))^(1/n). The variational problem, its boundary
   conditions (rigid collector under the mean pressure P, or the free Li of Roy, Fleck &
   Deshpande 2021) and the solver are in ``solver.physics.creep_flow`` (``CreepFlow``). In
   these units the solution depends only on ā, n, P/σ_ref, the contact condition and the
   cell proportions.
3. Result: the velocity v_c of the Li surface at the patch centre over the far-field
   interface velocity v_far = −Ω j_far/F, R = v_c / v_far. In the frame of the electrolyte
   the gap over the patch centre changes at dh/dt = v_c = −R |v_far|: R > 0 closes the
   patch (the Li over it moves toward the electrolyte), R < 0 opens it. A rigid Li gives
   R = 1.

Axisymmetric integrals carry the weight r (2π dropped). The Li flow problem is solved on
the Li submesh with coordinates divided by a. This module runs the study: the current
profiles, the continuation in n and δ for each flux profile, and the observables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lisse.meshes.geometry import CellGeometry, MeshSizes, Void
from lisse.solver.config.params import Kinetics, Numerics
from lisse.solver.fem.domain import Domain, electrolyte_domain
from lisse.solver.physics.creep_flow import CreepFlow, lithium_domain
from lisse.solver.physics.current import CurrentDistribution

REGULARISATION_START = 1e-2  # δ of the continuation in n (units of v_far/a)
PATH_RTOL = 1e-4  # Newton tolerance of the intermediate continuation steps


@dataclass(frozen=True)
class PatchCell:
    """Unit-cell proportions (in units of the patch radius a) and its mesh.

    radius: a [m] (sets the units only: the results depend on ratios).
    width, lithium, electrolyte: cell radius W, Li and electrolyte thicknesses over a.
    height: patch (void) height over a (small: the patch is a nearly flat debond).
    size, interface_size, edge_size: element sizes over a (bulk, interface, patch edge) of
        the current mesh; the creep flow uses the same sizes times ``flow_mesh_scale``.
    growth: mesh size growth rate away from the interface and the edge.
    """

    radius: float = 1e-6
    width: float = 10.0
    lithium: float = 10.0
    electrolyte: float = 10.0
    height: float = 0.05
    size: float = 1.0
    interface_size: float = 0.05
    edge_size: float = 0.001
    growth: float = 0.1
    flow_mesh_scale: float = 2.0

    def geometry(self, mesh_scale: float = 1.0) -> CellGeometry:
        """The cell with element sizes multiplied by ``mesh_scale``."""
        a, h = self.radius, self.radius * mesh_scale
        return CellGeometry(
            dimension="axisymmetric",
            width=self.width * a,
            lithium_thickness=self.lithium * a,
            electrolyte_thickness=self.electrolyte * a,
            sizes=MeshSizes(
                self.size * h, self.interface_size * h, self.edge_size * h, self.growth
            ),
            voids=(Void(center=(0.0,), radius=a, height=self.height * a),),
        )


@dataclass(frozen=True)
class InterfaceFlux:
    """The stripping flux on the bonded interface, gathered on every rank.

    r: radii of the bonded interface nodes over a (sorted); j: j(r)/j_far there.
    k_J: flux concentration max j / j_far. mean: j_mean/j_far, j_mean the current over the
    whole interface area (bonded plus patch).
    """

    abar: float
    r: np.ndarray
    j: np.ndarray
    k_J: float
    mean: float

    def velocity(self, x: np.ndarray) -> np.ndarray:
        """v_y = −j(r)/j_far on the bonded interface (x in units of a). The P1 trace of
        the current is linear between interface nodes, so this interpolation is exact."""
        return -np.interp(x[0], self.r, self.j)


@dataclass(frozen=True)
class PatchResult:
    """One case of the study (dimensionless).

    v_ratio: R = v_c / v_far (> 0: the patch closes, < 0: it opens).
    collector_velocity: U / |v_far|, the collector speed toward the electrolyte.
    roof_flux: ∫_roof v·n r ds / ∫_patch r dr, the rate of change of the patch volume over
        its area and |v_far| (mass balance: (U − j_mean/j_far) W²/a²).
    """

    abar: float
    n: float
    contact: str
    k_J: float
    v_ratio: float
    collector_velocity: float
    roof_flux: float
    newton_iterations: int
    dofs: int

    @property
    def opens(self) -> bool:
        return self.v_ratio < 0


def interface_flux(
    domain: Domain, abar: float, radius: float, numerics: Numerics | None = None
) -> InterfaceFlux:
    """Secondary current distribution with Z = a/(ā κ) (κ = 1 S/m, ideal counter electrode,
    unit mean current density: the problem is linear, the scale is irrelevant)."""
    kappa = 1.0
    working = Kinetics("linear", resistance=radius / (abar * kappa))
    cd = CurrentDistribution(
        domain, kappa, working, Kinetics("ideal"), 298.15, numerics or Numerics()
    )
    sol = cd.solve("galvanostatic", 1.0)
    comm = domain.mesh.comm
    r = np.concatenate(comm.allgather(sol.nodes_x[sol.nodes_contact, 0])) / radius
    j = np.concatenate(comm.allgather(sol.nodes_j[sol.nodes_contact]))
    order = np.argsort(r)
    r, j = r[order], j[order]
    far = j[-1]
    return InterfaceFlux(
        abar=abar, r=r, j=j / far, k_J=float(j.max() / far), mean=sol.current_density / far
    )


def continuation(n: float, start: float = 1.0, step: float = 2.0) -> list[float]:
    """Creep exponents after ``start`` up to n, growing geometrically by at most ``step``."""
    path = [start]
    while path[-1] < n:
        path.append(min(n, path[-1] * step))
    return path[1:]


def regularisation_ladder(delta: float, start: float = REGULARISATION_START) -> list[float]:
    """Regularisations from ``start`` down to δ by factors of 10 (δ last)."""
    ladder = []
    while start / 10 > delta * (1 + 1e-9):
        start /= 10
        ladder.append(start)
    return [*ladder, delta]


def exponent_sweep(
    flow: CreepFlow,
    flux: InterfaceFlux,
    exponents,
    cell: PatchCell,
    regularisation: float,
    continuation_factor: float = 2.0,
) -> list[PatchResult]:
    """Solve one flux profile for each creep exponent (increasing). Continuation in n (by
    factors of at most ``continuation_factor``) runs at
    the large regularisation REGULARISATION_START; each recorded solution then follows the
    regularisation ladder down to ``regularisation`` (the power law is nearly rigid where the
    strain rate is small, and Newton needs this path for n ≫ 1)."""
    flow.w.x.array[:] = 0.0
    flow.U.x.array[:] = 0.0
    flow.set_interface(flux.velocity)
    flow.delta.value = REGULARISATION_START
    its = flow.solve([1.0])
    done, results = 1.0, []
    for n in sorted(exponents):
        if n > done:
            its += flow.solve(continuation(n, done, continuation_factor), PATH_RTOL)
            done = n
        saved = (flow.w.x.array.copy(), flow.U.x.array.copy())
        if n != 1:
            ladder = regularisation_ladder(regularisation)
            for delta in ladder:
                flow.delta.value = delta
                its += flow.solve([n], None if delta == ladder[-1] else PATH_RTOL)
        results.append(case_result(flow, flux, n, cell, its))
        flow.w.x.array[:], flow.U.x.array[:] = saved
        flow.delta.value = REGULARISATION_START
        its = 0
    return results


def patch_cases(
    cell: PatchCell,
    abars,
    exponents,
    contacts,
    comm,
    pressure: float = 0.0,
    regularisation: float = 1e-5,
    numerics: Numerics | None = None,
    lithium_boundary: str = "collector",
    continuation_factor: float = 2.0,
    max_newton_iterations: int = 50,
    done: dict | None = None,
    after=None,
) -> list[PatchResult]:
    """Run the study: the current on the fine mesh (one solve per ā), the creep flow on the
    coarser flow mesh (one exponent sweep per contact condition and ā). ``pressure`` is
    P/σ_ref (collector only); ``lithium_boundary`` as in ``CreepFlow``; smaller
    ``continuation_factor`` and more ``max_newton_iterations`` help Newton on large cells.
    Results are ordered by contact, ā, n.

    Restart: ``done`` maps (contact, ā) to the results of exponent sweeps already computed
    (they are taken, not solved again; every exponent sweep starts from rest, so the others
    do not depend on them); ``after(contact, ā, results)`` is called after each exponent
    sweep solved (it may raise to stop the study)."""
    from lisse.meshes.cache import load_mesh

    data = load_mesh(cell.geometry(), comm)
    electrolyte = electrolyte_domain(data.mesh, data.cell_tags, data.facet_tags, True)
    fluxes = [interface_flux(electrolyte, abar, cell.radius, numerics) for abar in abars]
    data = load_mesh(cell.geometry(cell.flow_mesh_scale), comm)
    lithium = lithium_domain(data.mesh, data.cell_tags, data.facet_tags, cell.radius)
    results, done = [], done or {}
    for contact in contacts:
        flow = None
        for flux in fluxes:
            if (contact, flux.abar) in done:
                results += done[contact, flux.abar]
                continue
            if flow is None:
                flow = CreepFlow(lithium, contact, lithium_boundary, max_it=max_newton_iterations)
                flow.pressure.value = pressure
            sweep = exponent_sweep(flow, flux, exponents, cell, regularisation,
                                   continuation_factor)
            results += sweep
            if after is not None:
                after(contact, flux.abar, sweep)
    return results


def case_result(
    flow: CreepFlow, flux: InterfaceFlux, n: float, cell: PatchCell, iterations: int = 0
) -> PatchResult:
    """The dimensionless observables of a solved flow (v_far = −1 in scaled units)."""
    v_c = flow.velocity_at((0.0, cell.height))[1]
    return PatchResult(
        abar=flux.abar,
        n=n,
        contact=flow.contact,
        k_J=flux.k_J,
        v_ratio=float(-v_c),
        collector_velocity=flow.collector_velocity,
        roof_flux=flow.roof_flux() / 0.5,
        newton_iterations=iterations,
        dofs=flow.dofs,
    )
