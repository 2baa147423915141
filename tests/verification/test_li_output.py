"""The Li stress and strain fields of solver/physics/li_output.py on the homogeneous flow of
the block patch test (tests/verification/test_lithium_body.py): a Li block on the frictionless
obstacle under a top pressure p with a free side is in uniaxial plane-strain compression,

    σ_yy = −p, σ_xx = 0, ε̇_zz = 0 ⇒ q = p/2, σ_eq = (√3/2) p, mean stress p/2,
    ε̇_eq = ε̇0 (σ_eq/σ0)ⁿ,

exact for the P2 velocity (linear flow), so the lumped projection returns them at every
vertex; ε_eq after k steps is ε̇_eq Σ Δt (the rate is constant in time)."""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

from tests.verification.test_lithium_body import block_body


def test_li_fields_uniaxial_block(validation):
    from lisse.solver.physics.li_output import LiOutput

    n, p = 3.0, 0.8
    body = block_body("plane", n, p)
    output = LiOutput(body)
    vertices = np.flatnonzero(output._dof >= 0)
    dt = 0.02
    for _ in range(3):
        start = body.strength.x.array.copy()
        body.step(dt)
        output.commit(dt, start)
    fields = output.fields(vertices)
    assert sorted(fields) == ["li_equivalent_strain", "li_equivalent_strain_rate_1_s",
                              "li_mean_stress_Pa", "li_von_mises_stress_Pa"]
    sigma_eq = np.sqrt(3) / 2 * p
    rate = sigma_eq**n  # σ0 = ε̇0 = 1
    errors = {"li_von_mises_stress_Pa": sigma_eq, "li_mean_stress_Pa": p / 2,
              "li_equivalent_strain_rate_1_s": rate, "li_equivalent_strain": rate * 3 * dt}
    worst = max(float(np.max(np.abs(fields[k] / v - 1))) for k, v in errors.items())
    assert worst < 1e-6, {k: (fields[k].min(), fields[k].max(), v) for k, v in errors.items()}
    validation.record("Li output fields, uniaxial block", "σ_eq = (√3/2)p, mean stress p/2, "
                      "ε̇_eq = ε̇0(σ_eq/σ0)ⁿ, ε_eq = ε̇_eq t", "homogeneous flow", "1e-6",
                      f"{worst:.1e}", "8×4 block, n = 3", worst < 1e-6)


def test_li_fields_anand_block():
    """With Anand hardening the block's stress is still (√3/2) p (statically determinate)
    while S grows; the output's S is the one of the step's flow (its start value) and the
    rate obeys ε̇_eq = ε̇0 (σ_eq/S)ⁿ with it; ε_eq sums the steps' rates."""
    from lisse.solver.physics.li_hardening import AnandHardening, Hardening
    from lisse.solver.physics.li_output import LiOutput

    n, p, dt = 3.0, 1.0, 0.1
    body = block_body("plane", n, p)
    Hardening(body, AnandHardening(5.0, 2.0, 0.05, 2.0), 1.0, 1.0)
    output = LiOutput(body, hardening=True)
    vertices = np.flatnonzero(output._dof >= 0)
    total = 0.0
    for _ in range(2):
        strength = body.strength.x.array.copy()  # S/σ0 of this step's flow (uniform)
        start = float(strength[0])
        body.step(dt)
        output.commit(dt, strength)
        fields = output.fields(vertices)
        rate = (np.sqrt(3) / 2 * p / start) ** n
        total += rate * dt
        np.testing.assert_allclose(fields["li_deformation_resistance_Pa"], start, rtol=1e-9)
        np.testing.assert_allclose(fields["li_von_mises_stress_Pa"], np.sqrt(3) / 2 * p,
                                   rtol=1e-6)
        np.testing.assert_allclose(fields["li_equivalent_strain_rate_1_s"], rate, rtol=1e-6)
        np.testing.assert_allclose(fields["li_equivalent_strain"], total, rtol=1e-6)
    assert float(body.strength.x.array[0]) > 1.05  # S hardened: the check is not trivial


def test_li_body_is_freed_without_the_cycle_collector():
    """A Li body with Anand hardening and the output fields, after a step, is freed by
    reference counting when dropped (no reference cycle through ``step_hooks``): a body left
    to the cyclic garbage collector has its PETSc objects destroyed (collectively) at
    rank-dependent times, which deadlocked a 2-rank ``debonded_patch_coupled`` study."""
    import gc
    import weakref

    from lisse.solver.physics.li_hardening import AnandHardening, Hardening
    from lisse.solver.physics.li_output import LiOutput

    gc.collect()
    gc.disable()
    try:
        body = block_body("plane", 3.0, 1.0)
        Hardening(body, AnandHardening(5.0, 2.0, 0.05, 2.0), 1.0, 1.0)
        output = LiOutput(body, hardening=True)
        strength = body.strength.x.array.copy()
        body.step(0.1)
        output.commit(0.1, strength)
        output.fields(np.flatnonzero(output._dof >= 0))
        alive = weakref.ref(body), weakref.ref(body.problem)
        del body, output
        assert [ref() is None for ref in alive] == [True, True]
    finally:
        gc.enable()


def test_coupled_engine_frees_its_li_body_without_the_cycle_collector():
    """The same for the coupled model as a study point builds it (build_model and the
    evolution engine, Anand hardening, one step): dropping the model and the engine frees
    the Li body and its flow problem by reference counting."""
    import gc
    import weakref

    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.studies.evolution import _engine
    from lisse.solver.studies.model import build_model
    from tests.verification.test_coupled_interface import case

    c = case()
    c["lithium"] = {"creep_law": "anand"}
    gc.collect()
    gc.disable()
    try:
        model = build_model(resolve(validate_case(c)), MPI.COMM_WORLD, "evolution")
        engine = _engine(model, model.params.evolution)
        engine.advance(engine.settings.steps[0].current_density, 1e-3)
        engine.li_fields()
        alive = weakref.ref(model.lithium), weakref.ref(model.lithium.problem)
        del model, engine
        assert [ref() is None for ref in alive] == [True, True]
    finally:
        gc.enable()
