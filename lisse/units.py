"""Physical constants and every unit conversion of lisse, in one place.

Inside lisse everything is SI (m, s, A, V, Pa, K, mol). Users meet their own units in the
config field names (``width_um``, ``current_density_mA_cm2``), the output columns and the
plot axes; conversions happen here and nowhere else. Factors are named by direction:
``UM_PER_M`` is the number of micrometres in a metre, so ``x_m * UM_PER_M`` is in µm and
``x_um / UM_PER_M`` is in m (dividing keeps 100 µm → exactly 1e-4 m).
"""

# constants
FARADAY = 96485.33212  # C/mol
GAS_CONSTANT = 8.314462618  # J/(mol K)
ZERO_CELSIUS = 273.15  # K at 0 °C

# time
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_MINUTE = 60.0

# length
UM_PER_M = 1e6  # µm per m
NM_PER_M = 1e9  # nm per m
NM_PER_UM = 1e3  # nm per µm
CM3_PER_M3 = 1e6  # cm³ per m³ (mol/cm³ → mol/m³)

# current density, charge per area, area-specific resistance, conductivity
A_M2_PER_MA_CM2 = 10.0  # A/m² per mA/cm²
UA_PER_MA = 1e3  # µA per mA (and µAh per mAh)
C_M2_PER_MAH_CM2 = 3.6e4  # C/m² per mAh/cm²
OHM_CM2_PER_OHM_M2 = 1e4  # Ω cm² per Ω m²
S_M_PER_S_CM = 100.0  # S/m per S/cm
F_M2_PER_UF_CM2 = 1e-2  # F/m² per µF/cm²

# storage
BYTES_PER_MB = 1e6

# stress, energy, voltage
PA_PER_MPA = 1e6
PA_PER_GPA = 1e9
J_PER_KJ = 1e3  # J/mol per kJ/mol
MV_PER_V = 1e3


def kelvin(celsius: float) -> float:
    """Temperature [K] from °C."""
    return celsius + ZERO_CELSIUS



# the unit suffixes of config keys and output columns (``cell_voltage_V``,
# ``geometry.width_um``, ``ccd.0_mA_cm2``): suffix → (unit for people, plain-ASCII unit)
UNIT_SUFFIXES = {
    "mAh_cm2": ("mAh/cm²", "mAh/cm^2"),
    "mA_cm2": ("mA/cm²", "mA/cm^2"),
    "A_m2": ("A/m²", "A/m^2"),
    "J_m2": ("J/m²", "J/m^2"),
    "ohm_cm2": ("Ω cm²", "ohm*cm^2"),
    "kJ_mol": ("kJ/mol", "kJ/mol"),
    "m3_mol": ("m³/mol", "m^3/mol"),
    "m2_s": ("m²/s", "m^2/s"),
    "nm2_s": ("nm²/s", "nm^2/s"),
    "g_cm3": ("g/cm³", "g/cm^3"),
    "g_mol": ("g/mol", "g/mol"),
    "S_cm": ("S/cm", "S/cm"),
    "S_m": ("S/m", "S/m"),
    "1_s": ("1/s", "1/s"),
    "per_s": ("1/s", "1/s"),  # closure_rate_per_s, creep_strain_rate_per_s (was read as s)
    "1_mm2": ("1/mm²", "1/mm^2"),
    "mm2": ("mm²", "mm^2"),
    "MPa_m05": ("MPa √m", "MPa*m^0.5"),
    "MPa": ("MPa", "MPa"),
    "GPa": ("GPa", "GPa"),
    "Pa": ("Pa", "Pa"),
    "mV_s": ("mV/s", "mV/s"),
    "mV": ("mV", "mV"),
    "V": ("V", "V"),
    "um": ("µm", "um"),
    "nm": ("nm", "nm"),
    "m": ("m", "m"),
    "deg": ("°", "deg"),
    "C": ("°C", "degC"),
    "K": ("K", "K"),
    "s": ("s", "s"),
    "h": ("h", "h"),
}


def _split_unit(name: str) -> tuple[str, tuple[str, str] | None]:
    """The quantity and the (people, ASCII) unit of a key or column name; a list index
    (``.0``) after it and the config path before its last key are ignored."""
    base = name
    while "." in base and base.rsplit(".", 1)[1].isdigit():
        base = base.rsplit(".", 1)[0]
    base = base.rsplit(".", 1)[-1]
    parts = base.split("_")
    for n in (2, 1):  # the longer suffix wins
        suffix = "_".join(parts[-n:])
        if len(parts) > n and suffix in UNIT_SUFFIXES:
            return "_".join(parts[:-n]), UNIT_SUFFIXES[suffix]
    return base, None


def column_unit(name: str) -> str:
    """The unit of a column named ``<quantity>_<unit>`` as a plain-ASCII string
    (``mA/cm^2``, ``ohm*cm^2``, ``degC``); "" for a dimensionless quantity."""
    _, unit = _split_unit(name)
    return "" if unit is None else unit[1]


def split_key(key: str) -> tuple[str, str]:
    """Physical name and unit of a config key or column name: ``"geometry.width_um"`` →
    ``("width", "µm")``; a key without a unit suffix is dimensionless (unit ``"–"``)."""
    quantity, unit = _split_unit(key)
    return quantity.replace("_", " "), "–" if unit is None else unit[0]
