"""scripts/bench_impedance.py at a tiny size: it runs serially and under mpirun, its
spectrum (inexact PRESB: one AMG V-cycle per inner solve) equals an LU solve of the same
operator, and mpirun -n 2 gives the serial numbers."""

from __future__ import annotations

import importlib.util
import json
import sys

import numpy as np
import pytest

from tests.helpers import ROOT, run_mpi

ARGS = ["--size", "12", "--frequencies", "3"]


def bench():
    spec = importlib.util.spec_from_file_location(
        "bench_impedance", ROOT / "scripts" / "bench_impedance.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_benchmark_matches_a_direct_solve():
    import dataclasses

    from mpi4py import MPI

    from lisse.solver.physics.current import CurrentDistribution
    from lisse.solver.physics.impedance import Impedance

    module = bench()
    result = module.main(ARGS)
    assert result["ratio"] > 0 and result["unknowns"] == 2 * result["dofs"]
    assert len(result["load_average"]) == 3
    params, domain = module.domain_of(12.0, MPI.COMM_WORLD)
    numerics = dataclasses.replace(params.numerics, linear_solver="direct")
    cd = CurrentDistribution(domain, params.electrolyte.ionic_conductivity, params.working,
                             params.counter, params.temperature, numerics)
    eis = Impedance(cd, None, module.DOUBLE_LAYER_CAPACITANCE)
    direct = np.array([eis.solve(f) for f in np.geomspace(1e-1, 1e7, 3)])
    iterative = np.array([complex(*z) for z in result["z_ohm_m2"]])
    assert np.max(np.abs(iterative - direct) / np.abs(direct)) < 1e-6  # FGMRES rtol 1e-8


@pytest.mark.slow
def test_tiny_benchmark_under_mpirun():
    proc = run_mpi([sys.executable, str(ROOT / "scripts" / "bench_impedance.py"), *ARGS])
    assert proc.returncode == 0, proc.stderr
    parallel = json.loads(proc.stdout.split("RESULT")[1].splitlines()[0])
    serial = bench().main(ARGS)
    assert parallel["ranks"] == 2 and parallel["dofs"] == serial["dofs"]
    z_p = np.array([complex(*z) for z in parallel["z_ohm_m2"]])
    z_s = np.array([complex(*z) for z in serial["z_ohm_m2"]])
    assert np.max(np.abs(z_p - z_s) / np.abs(z_s)) < 1e-6
