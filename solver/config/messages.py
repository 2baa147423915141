"""One-line messages for invalid configs: ``validation_message`` turns a pydantic
``ValidationError`` into ``geometry.voids.1.radius_um: must be > 0 (got 0)``, with a
``did you mean`` suggestion for unknown keys and literal values (``difflib``)."""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError


def _got(value: Any) -> str:
    if isinstance(value, tuple):
        value = list(value)
    text = repr(value) if isinstance(value, str) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def did_you_mean(word: object, choices: typing.Iterable[object]) -> str:
    """``did you mean 'x'?`` for the closest of ``choices`` to ``word``, else ``""``."""
    names = {str(c).lower(): c for c in choices}  # 3D matches 3d
    close = difflib.get_close_matches(str(word).lower(), list(names), n=1, cutoff=0.6)
    return f"did you mean {names[close[0]]!r}?" if close else ""


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models reachable from a field annotation without indexing
    (through Optional, unions and Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _models(arg)]
    return []


def _children(annotation: Any, part: object) -> list[Any]:
    """Annotations one step below ``annotation`` at location part ``part``."""
    found = []
    for model in _models(annotation):
        field = model.model_fields.get(str(part))
        if field is not None:
            found.append(field.annotation)
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _children(typing.get_args(annotation)[0], part)
    if origin in (typing.Union, types.UnionType):
        return [c for arg in typing.get_args(annotation) for c in _children(arg, part)]
    if origin in (list, tuple) and isinstance(part, int):
        found.extend(arg for arg in typing.get_args(annotation) if arg is not Ellipsis)
    if origin is dict:
        found.append(typing.get_args(annotation)[1])
    return found


def known_keys(root: type[BaseModel], location: tuple) -> list[str]:
    """The keys of the section at ``location`` (a pydantic error's ``loc``) under ``root``."""
    annotations: list[Any] = [root]
    for part in location:
        annotations = [c for a in annotations for c in _children(a, part)] or annotations
    return sorted({key for a in annotations for m in _models(a) for key in m.model_fields})


def _describe(error: dict[str, Any], root: type[BaseModel] | None = None) -> str:
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    bounds = {
        "greater_than": (">", "gt"),
        "greater_than_equal": (">=", "ge"),
        "less_than": ("<", "lt"),
        "less_than_equal": ("<=", "le"),
    }
    if kind == "lisse":
        return ctx["message"]
    if kind == "extra_forbidden":
        hint = ""
        if root is not None and error["loc"]:
            hint = did_you_mean(error["loc"][-1], known_keys(root, error["loc"][:-1]))
        return f"unknown key ({hint})" if hint else "unknown key"
    if kind == "missing":
        return "required"
    if kind in bounds:
        op, key = bounds[kind]
        return f"must be {op} {ctx[key]:g} (got {_got(value)})"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx["expected"]))
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        return f"must be one of {ctx['expected']} (got {_got(value)}{'; ' + hint if hint else ''})"
    if kind == "finite_number":
        return f"must be finite (got {_got(value)})"
    if kind.startswith(("float_", "int_")):
        whole = "an integer" if kind.startswith("int_") else "a number"
        return f"must be {whole} (got {_got(value)})"
    if kind.startswith("bool_"):
        return f"must be true or false (got {_got(value)})"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a mapping (got {_got(value)})"
    return f"{error['msg']} (got {_got(value)})"


def _first(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The error to report first: an unknown key that misspells a missing required key of the
    same section (``widht_um`` for ``width_um``) comes before the "required" it causes."""
    missing = [tuple(e["loc"]) for e in errors if e["type"] == "missing" and e["loc"]]
    for error in errors:
        if error["type"] == "extra_forbidden" and error["loc"]:
            parent, key = tuple(error["loc"][:-1]), error["loc"][-1]
            keys = [str(loc[-1]) for loc in missing if loc[:-1] == parent]
            if difflib.get_close_matches(str(key), keys, n=1, cutoff=0.6):
                return error
    return errors[0]


def validation_message(exc: ValidationError, root: type[BaseModel] | None = None) -> str:
    """One line: the first error's dotted field path and cause, ``(and N more)`` if several.
    ``root`` (the validated model) lets an unknown key be matched against its section's keys."""
    errors = exc.errors()
    first = _first(errors)
    parts = [str(p) for p in first["loc"]]
    subpath = first.get("ctx", {}).get("subpath") if first["type"] == "lisse" else ""
    if subpath:
        parts.append(subpath)
    text = _describe(first, root)
    if parts:
        text = f"{'.'.join(parts)}: {text}"
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more)"
    return " ".join(text.split())
