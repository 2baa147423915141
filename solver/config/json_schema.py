"""JSON Schemas of the lisse input files (``lisse schema``) and the generated key tables of
docs/config.md.

Case and study schemas come from the pydantic models (``Case``, ``StudySpec``); the sweep
file is read by hand (``solver.studies.sweep.load_sweep``) and its schema is written here.
Every property whose name ends in a unit suffix (``_um``, ``_mA_cm2``, … ``lisse.units.
UNIT_SUFFIXES``) gets the unit in its description, so editors show it on hover.
"""

from __future__ import annotations

import json

from lisse.units import split_key

KINDS = ("case", "sweep", "study")
SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
# pydantic writes the bounds of an optional number with its own keyword names
BOUNDS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}
_VALUES = {"type": "array", "minItems": 1, "description": "values of one config path"}
SWEEP_SCHEMA = {
    "title": "Sweep",
    "description": "A parameter sweep over a base case (docs/sweeps.md): dotted config paths "
    "and their values, in the field's unit.",
    "type": "object",
    "additionalProperties": False,
    "required": ["base"],
    "properties": {
        "base": {"type": "string", "description": "case file to vary, relative to this file"},
        "name": {"type": "string", "description": "sweep name (default: the file stem)"},
        "output": {"type": "string", "description": "results folder "
                   "(default: results/sweeps/<name>)"},
        "set": {"type": "object", "description": "fixed overrides of the base case: "
                "path → value"},
        "grid": {"type": "object", "additionalProperties": _VALUES,
                 "description": "the product of the value lists; the first path varies slowest"},
        "zip": {"type": "object", "additionalProperties": _VALUES,
                "description": "value lists of equal length, varied together"},
        "random": {
            "type": "object",
            "additionalProperties": False,
            "required": ["samples", "seed", "values"],
            "description": "random samples",
            "properties": {
                "samples": {"type": "integer", "minimum": 1},
                "seed": {"type": "integer", "minimum": 0},
                "values": {"type": "object", "description": "path → {uniform: [a, b]}, "
                           "{loguniform: [a, b]} or {choice: [...]}"},
            },
        },
    },
}


def json_schema(kind: str = "case") -> dict:
    """The JSON Schema of a ``kind`` file (case, sweep or study), units in descriptions."""
    if kind == "case":
        from lisse.solver.config.schema import Case

        schema = Case.model_json_schema()
    elif kind == "study":
        from lisse.solver.studies.patch import StudySpec

        schema = StudySpec.model_json_schema()
    elif kind == "sweep":
        schema = json.loads(json.dumps(SWEEP_SCHEMA))
    else:
        raise ValueError(f"kind {kind!r}: expected one of {KINDS}")
    _annotate(schema)
    return {"$schema": SCHEMA_URI, **schema}


def _annotate(node) -> None:
    """Units into the descriptions of properties with a unit suffix; pydantic's gt/ge/lt/le
    into JSON Schema bounds (in place, recursively)."""
    if isinstance(node, list):
        for item in node:
            _annotate(item)
        return
    if not isinstance(node, dict):
        return
    for key, name in BOUNDS.items():
        if key in node and isinstance(node[key], int | float):
            node[name] = node.pop(key)
    for key, prop in node.get("properties", {}).items():
        _, unit = split_key(key)
        if unit != "–" and isinstance(prop, dict):
            text = prop.get("description", "")
            prop["description"] = f"{text} [{unit}]" if text else f"unit: {unit}"
    for value in node.values():
        _annotate(value)


def key_rows(kind: str = "case") -> list[tuple[str, ...]]:
    """(dotted key, unit, default, type / values, meaning) of every field of a ``kind`` file,
    in schema order; list items appear as ``key.N.field``."""
    schema = json_schema(kind)
    defs = schema.get("$defs", {})
    rows: list[tuple[str, ...]] = []

    def resolve(node: dict) -> dict:
        while "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        return node

    def walk(node: dict, prefix: str) -> None:
        required = set(node.get("required", ()))
        for key, prop in node.get("properties", {}).items():
            path = f"{prefix}{key}"
            _, unit = split_key(key)
            options = [resolve(o) for o in prop.get("anyOf", [prop]) if o.get("type") != "null"]
            default = "required" if key in required else _text(prop.get(
                "default", "section" if options[0].get("type") == "object" else "none"))
            meaning = prop.get("description", "")
            meaning = "" if meaning.startswith("unit: ") else meaning.removesuffix(f" [{unit}]")
            rows.append((path, "" if unit == "–" else unit, default,
                         " or ".join(_type(o) for o in options), meaning))
            for option in options:
                if option.get("type") == "object" and "properties" in option:
                    walk(option, f"{path}.")
                items = option.get("items")
                if option.get("type") == "array" and isinstance(items, dict):
                    item = resolve(items)
                    if "properties" in item:
                        walk(item, f"{path}.N.")

    walk(schema, "")
    return rows


def _type(node: dict) -> str:
    if "enum" in node:
        return ", ".join(str(v) for v in node["enum"])
    if "const" in node:
        return str(node["const"])
    bounds = [f"{op} {_text(node[k])}" for k, op in (("exclusiveMinimum", ">"), ("minimum", "≥"),
                                                   ("exclusiveMaximum", "<"), ("maximum", "≤"))
              if k in node]
    kind = node.get("type", node.get("title", "value"))
    items = node.get("items")
    if kind == "array" and isinstance(items, dict) and "$ref" not in items:
        kind = f"list of {_type(items)}"
    elif kind == "array":
        kind = "list"
    return f"{kind} ({', '.join(bounds)})" if bounds else str(kind)


def _text(value) -> str:
    """A default or bound as YAML shows it: true, none, [1, 2]."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value)


def markdown_table(kind: str = "case") -> str:
    """The key table of a ``kind`` file as Markdown (docs/config.md, generated section)."""
    lines = ["| key | unit | default | type / values | meaning |", "|---|---|---|---|---|"]
    for key, unit, default, kind_, meaning in key_rows(kind):
        cells = (f"`{key}`", unit, default, kind_, meaning)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)
