"""Error types shared by the mesh builders and the solver (``lisse.solver.errors`` adds the
solver's own); each carries the exit code the command line returns.

A ``UserError`` is a problem with the input (exit code 2); a ``GeometryError`` is a geometry
that cannot be built (overlapping voids, a void outside the cell).
"""


class LisseError(Exception):
    exit_code = 1


class UserError(LisseError):
    """Invalid input: bad YAML, unknown keys, out-of-range values, impossible geometry."""

    exit_code = 2


class GeometryError(UserError):
    """The requested geometry cannot be built (overlapping voids, void outside the cell)."""
