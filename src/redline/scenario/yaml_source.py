"""Safe YAML reading that remembers where every value came from.

PyYAML composes the document into a node tree (no object is constructed from
a tag, so nothing in a file can run code); this module turns that tree into
plain Python data and a map from each value's path to its line and column, so
that a validation error deep in a scenario points at its place in the file.

Refused, each with its line: language-specific tags (``!!python/object`` and
any tag outside YAML's core schema), anchors and aliases (alias expansion
bombs), merge keys, duplicate keys, keys that are not strings, nesting deeper
than :data:`MAX_DEPTH`, and files larger than :data:`MAX_BYTES`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import yaml

from redline.scenario.errors import Issue

#: Largest scenario file accepted, in bytes (scenarios are a few kilobytes).
MAX_BYTES = 2_000_000
#: Deepest nesting of mappings and lists accepted.
MAX_DEPTH = 48

Path = tuple[str | int, ...]
_CORE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class SourceMap:
    """Line and column (1-based) of every value, and of every mapping key."""

    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Position of ``path``, or of its nearest ancestor that has one."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))


class _Builder:
    """Convert a composed node tree to plain data, collecting issues."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.issues: list[Issue] = []
        self.source = SourceMap()
        self._constructor = yaml.SafeLoader("")  # used only to convert scalars
        self._seen: set[int] = set()

    def issue(self, node: yaml.Node, message: str, expected: str | None = None) -> None:
        mark = node.start_mark
        self.issues.append(Issue(self.file, mark.line + 1, mark.column + 1, message, expected))

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.source.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if id(node) in self._seen:
            line, column = self.source.keys.get(path, self.source.values[path])
            self.issues.append(Issue(self.file, line, column,
                                     "anchors and aliases are not allowed",
                                     "each value written out"))
            return None
        self._seen.add(id(node))
        if depth > MAX_DEPTH:
            self.issue(node, f"nesting deeper than {MAX_DEPTH} levels", "a flatter document")
            return None
        if node.tag not in _CORE_TAGS:
            self.issue(node, f"tag {node.tag!r} is not allowed", "plain YAML values, no tags")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag not in _CORE_TAGS:
            self.issue(node, f"tag {node.tag!r} is not allowed", "plain YAML values, no tags")
            return None
        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            problem = too_many_digits(exc) or str(exc).splitlines()[0]
            self.issue(node, f"unreadable value {str(node.value)[:80]!r}: {problem}",
                       "a valid YAML scalar")
            return None

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.issue(key_node, "merge keys (<<) are not allowed", "each key written out")
                continue
            key = self._scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                self.issue(key_node, f"key {key_node.value!r} is not a string", "a name as key")
                continue
            if key in result:
                self.issue(key_node, f"duplicate key {key!r}", "each key once per mapping")
                continue
            self.source.keys[(*path, key)] = (key_node.start_mark.line + 1,
                                              key_node.start_mark.column + 1)
            result[key] = self.build(value_node, (*path, key), depth + 1)
        return result


def read_yaml(text: str, file: str) -> tuple[Any, SourceMap, list[Issue]]:
    """Parse one YAML document safely.

    Returns the data (``None`` for an empty document), its source map, and
    the issues found; when the text is not YAML at all, the data is ``None``
    and the syntax error is the one issue.
    """
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        return None, SourceMap(), [
            Issue(file, 1, 1, f"file is larger than {MAX_BYTES} bytes", "a smaller scenario")
        ]
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = _within(text, mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        return None, SourceMap(), [Issue(file, line, column, f"YAML syntax: {problem}",
                                         "well-formed YAML")]
    except yaml.YAMLError as exc:
        return None, SourceMap(), [Issue(file, 1, 1, f"YAML syntax: {exc}", "well-formed YAML")]
    except RecursionError:
        return None, SourceMap(), [Issue(file, 1, 1, "nesting too deep", "a flatter document")]
    if node is None:
        return None, SourceMap(), []
    builder = _Builder(file)
    try:
        data = builder.build(node, (), 0)
    except RecursionError:
        return None, SourceMap(), [Issue(file, 1, 1, "nesting too deep", "a flatter document")]
    return data, builder.source, builder.issues


def _within(text: str, line: int, column: int) -> tuple[int, int]:
    """A position inside ``text``.

    The reader reports an error at the end of input one line past the last;
    it is moved to the end of the last line.
    """
    lines = text.split("\n")
    if line > len(lines):
        return len(lines), len(lines[-1]) + 1
    return line, column


def too_many_digits(error: BaseException) -> str | None:
    """Python's refusal of an integer too long to read, said without its advice to Python users.

    ``int()`` refuses more than ``sys.get_int_max_str_digits()`` digits (4,300)
    with "... use sys.set_int_max_str_digits() to increase the limit", which
    the author of a scenario or a request cannot act on. None for other errors.
    """
    if "integer string conversion" not in str(error):
        return None
    return (f"a number of more than {sys.get_int_max_str_digits():,} digits "
            "(too long to read as an integer)")
