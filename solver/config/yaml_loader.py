"""The one YAML reader of every input file (case, sweep and study files, ``--set`` values).

``load_mapping(path, kind)`` reads a file and returns its top-level mapping, refusing with a
one-line ``UserError``/``ConfigError`` that names the file and, where there is one, the line:

* a missing, unreadable, binary (NUL bytes) or non-UTF-8 file, or one above ``MAX_BYTES``;
* invalid YAML; more than one document (``---``); a top level that is not a mapping;
* a duplicate key (``line 7: duplicate key 'width_um' in geometry``): YAML would keep the
  last value silently;
* anchors and aliases (``&name``, ``*name``, ``<<: *name``): refused before any expansion, so
  an alias bomb costs nothing.

Implemented as a ``yaml.SafeLoader`` subclass: the composer refuses anchor and alias events,
``construct_mapping`` refuses duplicate keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lisse.solver.errors import ConfigError, UserError
from lisse.units import BYTES_PER_MB

MAX_BYTES = int(BYTES_PER_MB)  # input files are hand-written: 1 MB is generous
MAX_DEPTH = 50  # nesting of lists and mappings; a config needs about 6


class _Refused(yaml.YAMLError):
    """A construct the loader refuses; ``line`` is 1-based."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` without anchors, aliases, merge keys or duplicate keys."""

    _paths: dict[int, str] = {}  # id of each mapping node -> its dotted path (per document)

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                event.start_mark.line + 1,
                f"YAML alias '*{event.anchor}' is not supported: write the value out",
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Refused(
                event.start_mark.line + 1,
                f"YAML anchor '&{anchor}' is not supported: write the values out",
            )
        depth = getattr(self, "_depth", 0)
        if depth >= MAX_DEPTH:
            raise _Refused(event.start_mark.line + 1,
                           f"lists and mappings nested more than {MAX_DEPTH} deep")
        self._depth = depth + 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth = depth

    def construct_mapping(self, node: Any, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            seen: set = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _Refused(key_node.start_mark.line + 1, "YAML merge keys (<<) are not "
                                   "supported: write the values out")
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:
                    continue  # unhashable: the base class reports it
                if duplicate:
                    where = self._paths.get(id(node), "")
                    where = f"in {where}" if where else "at the top level"
                    raise _Refused(key_node.start_mark.line + 1, f"duplicate key {key!r} {where}")
        return super().construct_mapping(node, deep=deep)

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        self._paths = {}
        self._name_paths(node, "")
        return self.construct_document(node)

    def _name_paths(self, node: Any, path: str) -> None:
        """Dotted path of every mapping node (for the duplicate-key message)."""
        if isinstance(node, yaml.MappingNode):
            self._paths[id(node)] = path
            for key_node, value in node.value:
                name = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                self._name_paths(value, f"{path}.{name}" if path else str(name))
        elif isinstance(node, yaml.SequenceNode):
            for i, value in enumerate(node.value):
                self._name_paths(value, f"{path}.{i}" if path else str(i))


def parse(text: str, source: str) -> Any:
    """The YAML document in ``text`` (None if empty); errors name ``source`` and the line."""
    loader = StrictLoader(text)
    try:
        return loader.get_single_data()
    except _Refused as exc:
        raise ConfigError(f"{source}: line {exc.line}: {exc.message}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        problem = getattr(exc, "problem", None) or type(exc).__name__
        if problem == "but found another document":
            raise ConfigError(
                f"{source}: line {line}: a second YAML document ('---'): the file must hold one"
            ) from None
        raise ConfigError(f"{source}: invalid YAML at line {line}: {problem}") from None
    finally:
        loader.dispose()


def parse_value(raw: str, item: str) -> Any:
    """A ``--set`` value (``50``, ``1e-3``, ``[2, 6]``, ``null``), without anchors/aliases."""
    loader = StrictLoader(raw)
    try:
        return loader.get_single_data()
    except _Refused as exc:
        raise ConfigError(f"--set {item!r}: {exc.message}") from None
    except yaml.YAMLError:
        raise ConfigError(f"--set {item!r}: cannot parse the value {raw!r}") from None
    finally:
        loader.dispose()


def read_text(path: str | Path, kind: str = "case", max_bytes: int = MAX_BYTES) -> str:
    """The UTF-8 text of the ``kind`` file ``path`` (case, sweep, study); one-line UserErrors."""
    path = Path(path)
    try:
        with path.open("rb") as stream:
            data = stream.read(max_bytes + 1)
    except FileNotFoundError:
        raise UserError(f"{path}: no such {kind} file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not a {kind} file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read the {kind} file ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise UserError(
            f"{path}: larger than {max_bytes / BYTES_PER_MB:g} MB: not a {kind} file "
            "(too big to read)"
        )
    if b"\0" in data:
        raise UserError(f"{path}: binary content (a NUL byte): not a YAML {kind} file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserError(
            f"{path}: line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}): save the "
            f"{kind} file as UTF-8"
        ) from None


def load_mapping(path: str | Path, kind: str = "case", what: str | None = None) -> dict:
    """The top-level mapping of the YAML ``kind`` file ``path``; ``what`` describes the
    expected content for the not-a-mapping message (default: ``a mapping of sections``)."""
    data = parse(read_text(path, kind), str(path))
    if data is None:
        raise ConfigError(f"{path}: the {kind} file is empty")
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: the top level must be {what or 'a mapping of sections'} "
            f"(got {type(data).__name__})"
        )
    return data
