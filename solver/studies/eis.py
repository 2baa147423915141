"""``lisse eis``: the impedance spectrum of a case about its steady state (the bias current
of the ``impedance`` section, 0 for open circuit), from the one model builder.

Writes ``impedance.csv`` (frequency, Z′, Z″, |Z|, phase; units in the headers), Nyquist
and Bode plots, ``summary.json`` (the limits: Z at the lowest and highest frequency, the
steady ASR at the bias) and the provenance of every run folder.
"""

from __future__ import annotations

import time

import numpy as np
import yaml

from lisse.solver.config.params import Resolved
from lisse.solver.errors import UserError
from lisse.solver.io import impedance_plots
from lisse.solver.io.progress import Progress
from lisse.solver.io.runfolder import RunFolder, run_record
from lisse.solver.physics.conductivity import as_function, region_field, region_values
from lisse.solver.physics.impedance import Impedance
from lisse.solver.studies.model import build_model
from lisse.units import OHM_CM2_PER_OHM_M2

COLUMNS = ["frequency_Hz", "z_real_ohm_cm2", "z_imag_ohm_cm2", "z_abs_ohm_cm2", "phase_deg"]


def spectrum(params: Resolved, comm) -> tuple[np.ndarray, np.ndarray, dict]:
    """Frequencies [Hz], Z [Ω m²] and summary numbers of a case's spectrum."""
    settings = params.impedance
    if settings is None:
        raise UserError("impedance: lisse eis needs an impedance section in the case "
                        "(at least impedance.double_layer_capacitance_uF_cm2)")
    model = build_model(params, comm, "eis")
    steady = None
    if settings.bias_current_density != 0:
        steady = model.current.solve("galvanostatic", settings.bias_current_density)
    eis = impedance_about(model, steady)
    frequencies = np.array(settings.frequencies)
    with Progress("eis frequencies", total=len(frequencies), comm=comm) as progress:
        z = []
        for f in frequencies:
            z.append(eis.solve(f))
            progress.advance()
    z = np.array(z)
    info = {"frequencies": len(frequencies), "unknowns": 2 * model.current.ndofs,
            "inner_linear_iterations": eis.iterations,
            "contact_fraction": model.current.contact_area / model.current.interface_area}
    return frequencies, z, info


def impedance_about(model, steady) -> Impedance:
    """The small-signal operator of a model's current operator (its present interface
    state) about ``steady`` (None: open circuit), with the case's impedance settings."""
    settings = model.params.impedance
    return Impedance(model.current, steady, settings.double_layer_capacitance,
                     settings.permittivity, _admittivity(model, settings))


def _admittivity(model, settings):
    """κ + iωε per region with laminated grain-boundary bands (the bands' across and along
    admittivities are not those of κ and ε separately), or None when ε is one number."""
    params = model.params
    ms = params.microstructure
    if not (ms and ms.grain_boundary):
        return None
    kappa = region_values(params, "ionic_conductivity")
    gb_kappa = ms.grain_boundary.ionic_conductivity

    def admittivity(omega: float):
        values = {name: k + 1j * omega * settings.permittivity for name, k in kappa.items()}
        boundary = gb_kappa + 1j * omega * settings.grain_boundary_permittivity
        data = region_field(model.domain, params, values, boundary)
        return (as_function(model.domain, np.real(data), "admittivity_re"),
                as_function(model.domain, np.imag(data), "admittivity_im"))

    return admittivity


def run_eis(params: Resolved, outdir, comm, resolved_config: dict,
            argv: list[str] | None = None) -> dict:
    """Compute the spectrum and write its folder; returns the summary."""
    start = time.perf_counter()
    frequencies, z, info = spectrum(params, comm)
    z_cm2 = z * OHM_CM2_PER_OHM_M2
    summary = {
        "z_low_frequency_ohm_cm2": [float(z_cm2[0].real), float(z_cm2[0].imag)],
        "z_high_frequency_ohm_cm2": [float(z_cm2[-1].real), float(z_cm2[-1].imag)],
        "min_frequency_Hz": float(frequencies[0]),
        "max_frequency_Hz": float(frequencies[-1]),
        **info,
        "wall_time_s": time.perf_counter() - start,
    }
    folder = RunFolder(outdir, comm)
    try:
        folder.write_text("config_resolved.yaml", yaml.safe_dump(resolved_config,
                                                                 sort_keys=False))
        folder.write_json("run.json", run_record(params, argv, comm))
        rows = np.column_stack([frequencies, z_cm2.real, z_cm2.imag, np.abs(z_cm2),
                                np.degrees(np.angle(z_cm2))])
        folder.write_csv("impedance.csv", COLUMNS, rows)
        if params.output.plots and comm.rank == 0:
            formats = params.output.figure_formats
            impedance_plots.nyquist(folder.path("nyquist.png"), frequencies, z_cm2, formats)
            impedance_plots.bode(folder.path("bode.png"), frequencies, z_cm2, formats)
        folder.write_json("summary.json", summary)
    except BaseException:
        folder.discard()
        raise
    folder.commit()
    return summary
