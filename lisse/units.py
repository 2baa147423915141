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

# length
UM_PER_M = 1e6  # µm per m
NM_PER_M = 1e9  # nm per m
NM_PER_UM = 1e3  # nm per µm

# current density, charge per area, area-specific resistance, conductivity
A_M2_PER_MA_CM2 = 10.0  # A/m² per mA/cm²
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


def celsius(kelvin_: float) -> float:
    """Temperature [°C] from K."""
    return kelvin_ - ZERO_CELSIUS


# units named by a column or field suffix (``cell_voltage_V``, ``asr_total_ohm_cm2``,
# ``ccd.0_mA_cm2``): the longest matching suffix wins; "" for a dimensionless quantity
COLUMN_UNITS = {
    "mA_cm2": "mA/cm^2",
    "A_m2": "A/m^2",
    "mAh_cm2": "mAh/cm^2",
    "ohm_cm2": "ohm*cm^2",
    "S_cm": "S/cm",
    "kJ_mol": "kJ/mol",
    "MPa": "MPa",
    "GPa": "GPa",
    "Pa": "Pa",
    "mV": "mV",
    "V": "V",
    "um": "um",
    "nm": "nm",
    "m": "m",
    "s": "s",
    "h": "h",
    "C": "degC",
    "K": "K",
}


def column_unit(name: str) -> str:
    """The unit of a column named ``<quantity>_<unit>`` (a list index ``.0`` after it is
    ignored), as a plain-ASCII string (``mA/cm^2``, ``ohm*cm^2``, ``degC``); "" if the name
    carries no unit (a dimensionless quantity such as ``hotspot_factor``)."""
    base = name
    while "." in base and base.rsplit(".", 1)[1].isdigit():
        base = base.rsplit(".", 1)[0]
    base = base.rsplit(".", 1)[-1]  # a config path: its last key
    parts = base.split("_")
    for n in (2, 1):
        if len(parts) > n and "_".join(parts[-n:]) in COLUMN_UNITS:
            return COLUMN_UNITS["_".join(parts[-n:])]
    return ""


# the unit suffixes of config keys and output columns, longest first: key → (name, unit)
KEY_SUFFIXES = (
    ("_mAh_cm2", "mAh/cm²"),
    ("_mA_cm2", "mA/cm²"),
    ("_ohm_cm2", "Ω cm²"),
    ("_kJ_mol", "kJ/mol"),
    ("_S_cm", "S/cm"),
    ("_MPa", "MPa"),
    ("_GPa", "GPa"),
    ("_deg", "°"),
    ("_um", "µm"),
    ("_nm", "nm"),
    ("_C", "°C"),
    ("_V", "V"),
    ("_s", "s"),
    ("_h", "h"),
)


def split_key(key: str) -> tuple[str, str]:
    """Physical name and unit of a config key or column name: ``"geometry.width_um"`` →
    ``("width", "µm")``; a key without a unit suffix is dimensionless (unit ``"–"``)."""
    last = key.rsplit(".", 1)[-1]
    for suffix, unit in KEY_SUFFIXES:
        if last.endswith(suffix) and len(last) > len(suffix):
            return last[: -len(suffix)].replace("_", " "), unit
    return last.replace("_", " "), "–"
