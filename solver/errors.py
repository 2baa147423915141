"""Error types with the exit codes the command line returns.

A ``UserError`` is a problem with the input (config, geometry, paths): exit code 2.
A ``SolverError`` is a numerical failure (a Newton solve that diverges): exit code 1.
Both carry a one-line message naming the cause and, where there is one, the config field.
"""


class LisseError(Exception):
    exit_code = 1


class UserError(LisseError):
    """Invalid input: bad YAML, unknown keys, out-of-range values, impossible geometry."""

    exit_code = 2


class ConfigError(UserError):
    """A config value is invalid; the message names the field path."""


class GeometryError(UserError):
    """The requested geometry cannot be built (overlapping voids, void outside the cell)."""


class SolverError(LisseError):
    """A numerical solve failed (Newton divergence, linear solver breakdown)."""

    exit_code = 1
