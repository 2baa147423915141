"""The coupled moving-interface model of an evolution run (``evolution.interface_model:
coupled``; issue 12, docs/moving_interface.md).

The Li is the creeping finite-element body of ``solver.physics.lithium_body`` on its own
mesh (the Li cells of the cell mesh), pressed by the stack pressure p on its collector face
onto the rigid, flat electrolyte (interface plane y = 0); the electrolyte mesh stays fixed and
its contact set changes. Each time step of length Δt, at the applied current density i:

1. gap: at every interface node x_k of the electrolyte mesh, g_k = height of the Li's bottom
   surface (contact and void-roof facets, piecewise linear) above the plane; the node is in
   contact when g_k ≤ ``contact_tolerance`` t, with the reacting share s_k = 1 − g_k/t (the
   contact band, ``li_contact_band``; 2D and 3D), else 0;
2. current: the current distribution on that contact gives the local current density j_k
   [A/m²] at the contact nodes (galvanostatic, ∫ j dA = i·A, A the interface plane); with
   ``stress_coupling`` the Li's hydrostatic pressure at the contact shifts the kinetics
   (Monroe–Newman, ``li_interface_pressure.couple_stress``);
3. transfer: the Li nodes on the plane get ĵ(x) = c·J(x)·s(y) (the band's share at the Li
   node's height y), J the piecewise-linear interpolant
   of the contact nodes' j_k along the interface, and c fixed so that the Li removed,
   (Ω/F) Δt Σ_i W_i ĵ(x_i) (W_i = ∫ φ_i r^k dx over the horizontal projection of the Li
   bottom; this is the exact volume change of a P1 boundary moved vertically), equals
   (Ω/F) i A Δt: the transfer conserves Li exactly, c − 1 is the interpolation error between
   the two meshes (0 while the Li nodes sit on the electrolyte nodes);
4. Li step: ``LithiumBody.step(Δt, ĵ)``: the touching Li nodes move by δ = Ω ĵ Δt/F (up:
   stripping, j > 0; down: plating, j < 0, Li added at the contact), then the implicit
   midpoint creep flow with unilateral frictionless contact moves the Li mesh;

with Δt ≤ the protocol's step and Δt ≤ ``max_gap_increment`` / max(Ω|j|/F, |v|_last), |v|_last
the largest Li speed of the previous step, and with the cavity criterion Δt ≤ the pore
step bound of ``coupled_cavities`` (a node's pores change by ≤ PORE_STEP h_cover). A Li step
that fails (the midpoint fixed point converges only for Δt ε̇ ≲ 1, and the creep rate at
the sharp tip of a void is large) is retried from its start with Δt halved (after the
flow's own restart from rest, ``LithiumBody._newton``); one whose largest node displacement exceeds
2·``max_gap_increment`` is retried with Δt scaled to 0.9·max_gap_increment/displacement;
up to MAX_RETRIES times; one where the Li does not follow its consumption is retried with
the consumption per step bounded by t from then on (``li_follow``). Creep off
(``supply.creep: false``) is the rigid-Li limit: n = 1 and a strength
``studies.model.RIGID_STRENGTH_RATIO``·p (the creep rates are ~1e-10 of those of the Li's
own law at p: the Li translates as a rigid body resting on its lowest points).

Li bookkeeping (validation E5): the Li volume V (∫ dA, or ∫ r dA axisymmetric, 2π dropped)
must fall by (Ω/F) ∫ i A dt, plus the Li a growing interphase binds (``coupled_interphase``:
also ``mass_balance_error``). The other columns: ``collector_recession`` = the descent of the
collector face (area mean), the void volume per area = the interface mean of g, contact
pressure statistics from the Li's nodal contact pressures λ_i (mean = contact force / contact
area, so p/contact fraction at equilibrium; max over the contact dofs) and the number of voids
(runs of interface nodes out of contact along the interface).

The reported contact fraction is the sub-element contact area of the Li bottom; pockets
under it that the Li would close within a step are closed (``li_pockets``). The Li body is
built by ``studies.model.build_model`` (``lithium_body``); the model runs 2D plane strain,
axisymmetric and (with ``coupled_3d``) 3D cells; ``studies.model.COUPLED_REFUSED`` lists what
it refuses.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from dolfinx import mesh as dmesh
from mpi4py import MPI

from lisse.meshes.geometry import FACET_TAGS
from lisse.solver.errors import SolverError
from lisse.solver.physics.coupled_cavities import SubgridPores
from lisse.solver.physics.coupled_interphase import FilmConsumption, bookkeeping_error
from lisse.solver.physics.evolution_settings import Record
from lisse.solver.physics.gap_evolution import InterfaceEvolution
from lisse.solver.physics.li_contact_band import band_share
from lisse.solver.physics.li_exhaustion import collapsed, exhausted
from lisse.solver.physics.li_follow import RETRY_SHARE, bottom_heights, not_followed
from lisse.solver.physics.li_interface_pressure import (
    couple_stress,
    line_interpolant,
    stress_excess,
)
from lisse.solver.physics.li_output import LiOutput
from lisse.solver.physics.li_pockets import LiPockets
from lisse.solver.physics.li_remesh import remesh
from lisse.solver.physics.li_remesh_transfer import min_quality
from lisse.solver.physics.li_smoothing import LiSmoother
from lisse.solver.physics.li_strip_limit import step_limit
from lisse.solver.physics.li_surface import OBSTACLE, Surface, surface_height
from lisse.solver.physics.lithium_body import LithiumBody
from lisse.solver.physics.lithium_step import set_flow
from lisse.units import FARADAY, PA_PER_MPA, UM_PER_M

MAX_RETRIES = 20  # of a step whose Li flow fails or moves too far, before the cut-backs

COLUMNS = [  # timeseries columns of the coupled model: (header, attribute, factor from SI)
    ("li_void_volume_um", "li_void_volume", UM_PER_M),
    ("mean_contact_pressure_MPa", "mean_contact_pressure", 1 / PA_PER_MPA),
    ("max_contact_pressure_MPa", "max_contact_pressure", 1 / PA_PER_MPA),
    ("void_count", "void_count", 1.0),
]


@dataclass
class CoupledRecord(Record):
    """A timeseries row of the coupled model: the reduced model's columns plus the contact
    pressure statistics [Pa] and the number of voids."""

    mean_contact_pressure: float = 0.0
    max_contact_pressure: float = 0.0
    void_count: int = 0
    li_void_volume: float = 0.0  # ∫ y r^k dx (3D: ∫ z dA) under the Li's bottom / A: exact [m]
    max_principal_stress_sse: float = 0.0  # the elastic electrolyte's largest σ_1 [Pa]
    interface_deflection_range: float = 0.0  # its max w − min w over the contact [m]


class CoupledEvolution(InterfaceEvolution):
    """The evolution engine (``InterfaceEvolution.run``: protocol, time-step control,
    cut-backs, failure criteria) with the interface state from the moving Li body (module
    docstring). Sub-grid pores grow and heal only with the cavity criterion
    (``coupled_cavities``; else they stay zero)."""

    _STATE = (*InterfaceEvolution._STATE, "throughput", "speed", "follow", "remeshes")
    surface = Surface  # the Li's bottom and top faces (3D: coupled_3d.Surface3D)
    pocket_model = LiPockets  # contact measure and pocket closure along a 2D interface
    smoother_model = LiSmoother  # ALE smoothing of a 2D Li mesh
    electrolyte = None  # the elastic electrolyte (electrolyte_elastic.ElectrolyteCoupling)
    # piecewise linear along x (3D: over (x, y)): J of step 3, p_h of li_interface_pressure
    interface_interpolant = staticmethod(line_interpolant)

    def __init__(self, params, settings, current, body: LithiumBody, comm=MPI.COMM_WORLD):
        super().__init__(params, settings, current, comm)
        self.size = comm.allreduce(float(np.max(np.abs(body.msh.geometry.x), initial=0.0)),
                                   op=MPI.MAX)
        self.throughput = 0.0  # (Ω/F) ∫ |i| dt [m]
        self.cavities = None if settings.cavity is None else SubgridPores(settings.cavity)
        if self.cavities is not None:  # the measured contact after assembly (cavitation)
            self.pores[:] = settings.cavity.initial_pores
        self.speed = 0.0  # largest Li speed of the last step [m/s]
        self.follow = 0.0  # 1: the Li did not follow, consumption per step ≤ t (li_follow)
        self.remeshes = 0.0  # Li remeshings so far (li_remesh)
        self._attach(body)
        self.volume0, self.top0 = body.volume(), self.top.mean_height()
        self.quality0 = min_quality(body) if settings.remesh_quality > 0 else None
        self.gap = self._gap()
        self.gap0 = self.gap.copy()
        self.void0 = self._mean(self.gap0)
        self.last = None  # the Li body's last StepReport
        self.transfer_scale = 1.0
        self.stress_excess = np.zeros(len(self.x))  # Δp [Pa] (li_interface_pressure)

    def _attach(self, body: LithiumBody) -> None:
        """The engine's pieces that hold the Li mesh, built for ``body`` (at the start, and
        on the new mesh after a remeshing, ``li_remesh``)."""
        self.body = body
        self.bottom, self.top = self.surface(body, OBSTACLE), self.surface(
            body, (FACET_TAGS["collector"],))
        self.pockets = None if self.pocket_model is None else self.pocket_model(
            body, self.bottom, self.top, self.settings.contact_tolerance,
            FACET_TAGS["collector"])
        # ALE smoothing of the Li mesh (li_smoothing); not with Anand's per-cell state S
        self.smoother = (self.smoother_model(body) if self.smoother_model is not None
                         and self.params.hardening is None else None)
        body.msh.topology.create_connectivity(0, body.msh.topology.dim)
        owned = np.arange(body.msh.topology.index_map(0).size_local, dtype=np.int32)
        self._vertices = dmesh.entities_to_geometry(body.msh, 0, owned).ravel()
        space, dofs = body.space.sub(1).collapse()
        self._pressure_space = space, np.asarray(dofs).ravel()  # q: space, its dofs in w
        # stress and strain fields (li_output; no step hook: see its docstring)
        self.li_output = LiOutput(body, hardening=self.params.hardening is not None)

    def _gap(self) -> np.ndarray:
        height = surface_height(self.bottom.segments(), self.x[:, 0], self.size)
        return np.maximum(height, 0.0)

    def contact_share(self) -> np.ndarray:
        """The node's reacting share: ``InterfaceEvolution``'s, times s(g) of the contact
        band (``li_contact_band``)."""
        return super().contact_share() * band_share(self.gap, self.settings.contact_tolerance)

    def contact_area(self) -> float:
        """Sub-element contact area of the Li bottom [m²] (``li_pockets``; 3D: its own)."""
        return self.pockets.contact_area()

    def contact_fraction(self) -> float:
        """Contact area of the Li bottom (``contact_area``) / A, less the share of the
        touching nodes that sub-grid pores cover (``coupled_cavities``)."""
        touching = self.gap <= self.settings.contact_tolerance
        covered = self._mean(np.where(touching, np.minimum(
            self.pores / self.settings.pore_height, 1.0), 0.0))
        return max(self.contact_area() / self.area - covered, 0.0)

    def _solve_current(self, applied: float):
        """The current distribution on the present contact (``InterfaceEvolution``), with the
        stress coupling of the Li pressure if ``settings.stress_coupling``."""
        if self.settings.stress_coupling:
            couple_stress(self)
        return super()._solve_current(applied)

    def _transfer(self, j: np.ndarray, density: float):
        """(ĵ, c): ĵ [A/m²] for the Li nodes on the plane, the contact nodes' j interpolated
        over the interface (``interface_interpolant``: along x in 2D, over (x, y) in 3D)
        times the band's s of the Li node's height, times c to carry ``density`` [A/m²]
        exactly (step 3)."""
        on, up = self.contact_share() > 0, self.body.up
        f = self.interface_interpolant(np.concatenate(self.comm.allgather(self.x[on, :up])),
                                       np.concatenate(self.comm.allgather(j[on])), self.size)
        x = self.body.msh.geometry.x
        touching = np.zeros(x.shape[0], dtype=bool)
        touching[np.unique(self.bottom.nodes)] = True
        touching &= x[:, up] <= self.body.touching_height(self.size)
        tol = self.settings.contact_tolerance
        w = self.bottom.weights() * band_share(x[:, up], tol)  # s of the Li node's height
        carried = self.comm.allreduce(float(np.sum(w[touching] * f(x[touching, :up]))),
                                      op=MPI.SUM)
        if carried == 0.0:
            raise SolverError("no Li node on the contact to carry the current")
        scale = density * self.area / carried
        return (lambda points: scale * f(np.asarray(points)[:up].T) * band_share(
            np.asarray(points)[up], tol)), scale

    def advance(self, applied: float, dt: float):
        """One step (module docstring); returns the step length, the current solution at the
        start of the step (None at rest) and the local current densities [A/m²]."""
        self._remesh()
        sol, j = self._solve_current(applied)
        omega, limit = self.params.electrode.molar_volume, self.settings.max_gap_increment
        fastest = max(omega / FARADAY * self._max(np.abs(j)), self.speed)
        if fastest > 0:
            dt = min(dt, limit / fastest)
        pores = None
        if self.cavities is not None:  # the pore step, exact in h (coupled_cavities)
            pores, bound = self.cavities.step(self, j)
            dt = min(dt, bound)
        current, self.transfer_scale = (None, self.transfer_scale) if sol is None else (
            self._transfer(j, applied))  # c of step 3: the last step with current's
        rate, tol = 0.0, self.settings.contact_tolerance
        if current is not None:
            rate = omega / FARADAY * abs(self.transfer_scale) * self._max(np.abs(j))
        saved, consumed = self._save(), FilmConsumption(self, current)  # with the film's Li
        dt = step_limit(self, consumed, applied, rate, dt)  # no fold; li_follow's bound
        start = bottom_heights(self)
        for retry in range(MAX_RETRIES + 1):
            try:
                stripped = consumed(dt)  # ĵ of the step (None at rest)
                self.last = self.body.step(dt, stripped)
            except SolverError:  # mostly the midpoint fixed point: Δt ε̇ too large
                if retry == MAX_RETRIES:
                    raise
                self._restore(saved)
                dt /= 2
                continue
            moved = self.comm.allreduce(float(np.max(np.abs(
                self.body.msh.geometry.x - saved["geometry"]), initial=0.0)), op=MPI.MAX)
            follow = moved <= 2 * limit and not_followed(self, start,
                                                         rate * dt + consumed.depth(dt))
            if (moved <= 2 * limit and not follow) or retry == MAX_RETRIES:
                break
            self._restore(saved)  # too fast for the last step's speed, or not followed
            dt = consumed.bounded(dt, rate, RETRY_SHARE * tol) if follow else (
                dt * 0.9 * limit / moved)
            self.follow = max(self.follow, float(follow))
        self.li_output.commit(dt, saved["strength"])  # on the step's end configuration
        consumed.commit(dt)
        if pores is not None:
            self.pores = pores(dt)
        velocity = self.body.velocity()
        self.speed = self.comm.allreduce(
            float(np.max(np.linalg.norm(velocity, axis=1), initial=0.0)), op=MPI.MAX)
        if self.pockets is not None:
            self.pockets.close(dt, stripped)
        if self.settings.stress_coupling:  # before the smoothing resets the flow
            self.stress_excess = stress_excess(self)
        if self.smoother is not None:
            self.smoother()
        removed = omega / FARADAY * applied * dt
        self.stripped += removed
        self.throughput += abs(removed)
        self.gap = self._gap()
        self.time += dt
        return dt, sol, j

    def stop_reason(self, records: list, first: int):
        """``li_exhaustion``: the Li used up, or the time step collapsed (not interface)."""
        return exhausted(self) or collapsed(records, first)

    def _remesh(self) -> None:
        """A new Li mesh (``li_remesh``; 3D: ``li_remesh_3d``) if the smallest cell quality is below
        ``settings.remesh_quality`` × the initial mesh's (the trigger; the boundary edges
        of the cells below it with all vertices on the boundary are split first,
        ``li_boundary_split``); the ε_eq of ``li_output`` remapped."""
        if self.quality0 is None:
            return
        trigger = self.settings.remesh_quality * self.quality0
        if min_quality(self.body) >= trigger:
            return
        new = self._new_body(trigger)
        if new is not None:
            self._attach(new[0])
            self.li_output.strain.x.array[:] = new[1]
            self.remeshes += 1

    def _new_body(self, trigger: float):
        """``li_remesh.remesh`` of the Li body (the boundary edges of the cells below
        ``trigger`` split first): (new body, ε_eq per new cell) or None."""
        return remesh(self.body, self.li_output.strain, trigger)

    def li_values(self) -> dict[str, np.ndarray]:
        """{name: values at the owned Li vertices ``_vertices``}: the displacement since the
        Li mesh was built (the start, or its remeshing) [m], the velocity of the last step
        [m/s], the nodal contact pressure [Pa] (0 off contact) and the stress and strain
        fields of ``li_output`` (``solver.io.li_dataset`` writes them on the Li mesh)."""
        body = self.body
        x0 = body._initial[0][self._vertices, :body.up + 1]
        node_block = body._node_to_dof[self._vertices]
        return {"li_displacement_m": body.msh.geometry.x[self._vertices, :body.up + 1] - x0,
                "li_velocity_m_s": body.velocity()[node_block],
                "li_contact_pressure_Pa": self.vertex_contact_pressure()} | (
                    self.li_output.fields(self._vertices))

    def li_fields(self) -> dict | None:
        """``li_values`` as point data of the cell mesh, {name: (initial coordinates,
        values)}, while the Li nodes are points of it (None after a remeshing: the Li
        fields are then in the Li's own files only, ``solver.io.li_dataset``)."""
        if self.remeshes:
            return None
        x0 = self.body._initial[0][self._vertices, :self.body.up + 1]
        return {name: (x0, v) for name, v in self.li_values().items()}

    def vertex_contact_pressure(self) -> np.ndarray:
        """The last step's nodal contact pressure [Pa] at the owned vertices (0 off contact)."""
        body = self.body
        mixed = np.asarray(body._velocity_dofs).ravel()[body.up::body.up + 1]  # y (3D: z) dofs
        block_of = np.full(body.w.x.array.size, -1, dtype=np.int64)
        block_of[mixed] = np.arange(len(mixed))
        pressure = np.zeros(len(mixed))
        if self.last is not None:
            lam = np.where(body.active, np.nan_to_num(body.contact_pressure), 0.0)
            pressure[block_of[body._obstacle[0]]] = lam
        return pressure[body._node_to_dof[self._vertices]]

    def _contact_pressure(self) -> tuple[float, float]:
        """(mean, max) contact pressure [Pa] of the Li's last step."""
        if self.last is None:
            return 0.0, 0.0
        body = self.body
        owned = body._obstacle[1] < body.vy_space.dofmap.index_map.size_local
        lam = body.contact_pressure[owned & body.active]
        top = self.comm.allreduce(float(np.max(lam[np.isfinite(lam)], initial=0.0)), op=MPI.MAX)
        area = self.contact_fraction() * self.area
        return (self.last.contact_force / area if area > 0 else 0.0), top

    def void_count(self) -> int:
        """Runs of interface nodes out of contact along the interface."""
        xs = np.concatenate(self.comm.allgather(self.x[:, 0]))
        out = np.concatenate(self.comm.allgather(self.contact_share() <= 0))
        out = out[np.argsort(xs, kind="stable")]
        return int(np.sum(out[1:] & ~out[:-1]) + (out[0] if out.size else 0))

    def record(self, applied: float, sol, j: np.ndarray, label: str) -> CoupledRecord:
        base = asdict(super().record(applied, sol, j, label))
        lost = (self.volume0 - self.body.volume()) / self.area
        error = bookkeeping_error(lost, self.stripped, self.throughput, self.li_interphase())
        mean, top = self._contact_pressure()
        base |= {"collector_recession": self.top0 - self.top.mean_height(),
                 "mass_balance_error": error}
        return CoupledRecord(**base, mean_contact_pressure=mean, max_contact_pressure=top,
                             void_count=self.void_count(),
                             li_void_volume=self.comm.allreduce(float(self.bottom.weights(
                                 ) @ self.body.msh.geometry.x[:, self.body.up])) / self.area,
                             **({} if self.electrolyte is None
                                else self.electrolyte.record(self)))

    # -- the state for step cut-backs: the Li mesh and flow besides the scalars ----------
    _PIECES = ("body", "bottom", "top", "pockets", "smoother", "_vertices",
               "_pressure_space", "li_output")  # the engine's Li mesh (``_attach``)

    def _save(self) -> dict:
        body, pieces = self.body, np.empty(1, dtype=object)  # 1-d: not a checkpoint scalar
        pieces[0] = tuple(getattr(self, k) for k in self._PIECES)
        return super()._save() | {"pieces": pieces, "geometry": body.msh.geometry.x.copy(),
                                  "flow": body.w.x.array.copy(), "active": body.active.copy(),
                                  "stress_excess": self.stress_excess.copy(),
                                  "strength": body.strength.x.array.copy(),
                                  "body_time": body.time} | self.li_output.state()

    def _restore(self, state: dict) -> None:
        rest = dict(state)
        pieces = rest.pop("pieces", None)  # the Li mesh of the state (a remeshing since)
        for k, piece in zip(self._PIECES, () if pieces is None else pieces[0], strict=False):
            setattr(self, k, piece)
        body = self.body
        body.msh.geometry.x[:] = rest.pop("geometry")
        set_flow(body, rest.pop("flow"))
        self.stress_excess = rest.pop("stress_excess").copy()
        body.active = rest.pop("active").copy()
        body.strength.x.array[:] = rest.pop("strength")
        body.time = rest.pop("body_time")
        self.li_output.restore(rest)
        super()._restore(rest)
