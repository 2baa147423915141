"""Building blocks of the config schema: the strict base model, the validation-error helper
and the numeric field types shared by every section.

``Number`` is a finite float: a boolean is not a number (``true`` is refused, not read as 1),
NaN and ±inf are refused, and a numeric string is read as a number (YAML 1.1 reads ``5e1``
as a string). ``Integer`` is an integer the same way (``2.0`` is 2; ``2.5`` and ``true`` are
refused). ``Numbers`` is a number or a list of numbers.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, NoReturn

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from lisse.solver.config.messages import _got


def _fail(message: str, subpath: str = "") -> NoReturn:
    """Raise a validation error; ``subpath`` (dotted) is appended to the model's location."""
    raise PydanticCustomError("lisse", "{message}", {"message": message, "subpath": subpath})


def _section() -> Any:
    """A sub-section that may be omitted: validated from ``{}`` so its own checks run."""
    return Field(default_factory=dict, validate_default=True)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def as_number(value: Any) -> float | None:
    """``value`` as a float if it is a plain number or numeric string (not a bool), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | str):
        try:
            return float(value)
        except (TypeError, ValueError, OverflowError):
            return None
    return None


def _finite(number: float, value: Any) -> float:
    if not math.isfinite(number):
        _fail(f"must be finite (got {_got(value)})")
    return number


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        _fail(f"must be a number (got {_got(value)})")
    number = as_number(value)
    if number is None:
        return value  # pydantic's own message
    _finite(number, value)
    return number if isinstance(value, str) else value  # keep -5 as -5 in messages


def _integer(value: Any) -> Any:
    if isinstance(value, bool):
        _fail(f"must be an integer (got {_got(value)})")
    if isinstance(value, int):
        return value
    number = as_number(value)
    if number is None:
        return value  # pydantic's own message
    if not math.isfinite(number) or not number.is_integer():
        _fail(f"must be an integer (got {_got(value)})")
    return int(number)


def _numbers(value: Any) -> Any:
    """A number or a non-empty list of numbers (a list stays a list)."""
    if isinstance(value, list | tuple):
        return [_number_or_fail(v, value) for v in value]
    return _number_or_fail(value, value)


def _number_or_fail(v: Any, whole: Any) -> float:
    number = as_number(v)
    if number is None:
        _fail(f"must be a number or a list of numbers (got {_got(whole)})")
    return _finite(number, whole)


Number = Annotated[float, BeforeValidator(_number)]
Integer = Annotated[int, BeforeValidator(_integer)]
Degree = Annotated[Literal[1, 2], BeforeValidator(_integer)]  # true is not 1
Numbers = Annotated[float | list[float], BeforeValidator(_numbers)]


def point(value: Any, lengths: tuple[int, ...], form: str) -> float | tuple[float, ...]:
    """``value`` as a number (if 1 is in ``lengths``) or a tuple of ``lengths`` finite
    numbers; otherwise a validation error ``must be <form> (got ...)``."""
    number = as_number(value)
    if 1 in lengths and number is not None:
        return _finite(number, value)
    if isinstance(value, list | tuple) and len(value) in lengths:
        coordinates = tuple(map(as_number, value))
        if None not in coordinates:
            return tuple(_finite(c, value) for c in coordinates)
    _fail(f"must be {form} (got {_got(value)})")


def plain_name(value: str) -> str:
    """A case or study name: a plain folder name (results/<name> stays inside results/)."""
    if not value.strip() or value.strip() in (".", "..") or "/" in value or "\\" in value \
            or "\0" in value:
        _fail(f"must be a plain name without '/' and not '.' or '..' (got {value!r})")
    return value


def not_empty(value: str | None) -> str | None:
    """An output directory: omitted (the default) or a non-empty path."""
    if value is not None and not value.strip():
        _fail("must not be empty (omit it for results/<name>)")
    return value
