"""Error types with the exit codes the command line returns.

A ``UserError`` is a problem with the input (config, geometry, paths): exit code 2.
A ``SolverError`` is a numerical failure (a Newton solve that diverges): exit code 1.
Both carry a one-line message naming the cause and, where there is one, the config field.
The base classes live in ``lisse.meshes.errors`` (the mesh builders raise them too).
"""

from lisse.meshes.errors import GeometryError, LisseError, UserError

__all__ = ["ConfigError", "GeometryError", "LisseError", "SolverError", "UserError"]


class ConfigError(UserError):
    """A config value is invalid; the message names the field path."""


class SolverError(LisseError):
    """A numerical solve failed (Newton divergence, linear solver breakdown)."""

    exit_code = 1
