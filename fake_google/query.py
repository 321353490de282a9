"""The Drive v3 search language (`files.list` q), the subset an app like ours needs and a bit more.

Supported terms (Drive's "Search query terms and operators" guide):

- ``name = 'x'``, ``name != 'x'``, ``name contains 'x'`` (prefix match on words, see README)
- ``mimeType = / != / contains 'x'``
- ``trashed = true|false``, ``starred = true|false``
- ``'ID' in parents``, ``'me' in owners`` / ``'email' in owners``
- ``createdTime`` / ``modifiedTime`` with ``< <= = != > >=`` and an RFC 3339 string
- ``appProperties has { key='k' and value='v' }`` and the same for ``properties``
- ``fullText contains 'x'`` (name, description and text content, substring)
- ``and``, ``or``, ``not``, parentheses

Strings are single-quoted; inside them ``\\'`` is a quote and ``\\\\`` a backslash. Anything
else answers 400 "Invalid Value" on location ``q`` like Drive does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from .errors import invalid_value
from .state import DriveFile

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*')
      | (?P<op><=|>=|!=|=|<|>)
      | (?P<punct>[(){}])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # "string", "op", "punct", "word"
    value: str


@dataclass(frozen=True)
class QueryContext:
    """Who asks: needed for 'me' and for appProperties, which are private per client."""

    email: str
    client_id: str


Predicate = Callable[[DriveFile, QueryContext], bool]


class QueryError(Exception):
    pass


def compile_query(q: str, root_id: str = "root") -> tuple[Predicate, str | None]:
    """Compile `q` into a predicate; also return a parent id every match must have, if any.

    `root_id` replaces the alias 'root' in ``'root' in parents``. The parent id lets
    `files.list` scan only that folder's children. Raises DriveError(400).
    """
    try:
        tokens = tokenize(q)
        parser = _Parser(tokens, root_id)
        node = parser.parse()
    except QueryError as exc:
        raise invalid_value("q") from exc
    return node.predicate, node.required_parent


def tokenize(q: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(q):
        if q[pos:].strip() == "":
            break
        match = _TOKEN.match(q, pos)
        if not match:
            raise QueryError(f"unexpected character at {pos}: {q[pos : pos + 10]!r}")
        kind = match.lastgroup or ""
        raw = match.group(kind)
        value = _unescape(raw[1:-1]) if kind == "string" else raw
        tokens.append(Token(kind, value))
        pos = match.end()
    return tokens


def _unescape(body: str) -> str:
    out: list[str] = []
    chars = iter(body)
    for ch in chars:
        if ch != "\\":
            out.append(ch)
            continue
        escaped = next(chars, "")
        if escaped not in ("'", "\\"):
            raise QueryError(f"invalid escape \\{escaped}")
        out.append(escaped)
    return "".join(out)


@dataclass
class _Node:
    predicate: Predicate
    # A parent id that every match must have (only known for plain conjunctions).
    required_parent: str | None = None


class _Parser:
    def __init__(self, tokens: list[Token], root_id: str) -> None:
        self.tokens = tokens
        self.root_id = root_id
        self.pos = 0

    def parse(self) -> _Node:
        if not self.tokens:
            raise QueryError("empty query")
        node = self._or()
        if self.pos != len(self.tokens):
            raise QueryError(f"unexpected {self.tokens[self.pos].value!r}")
        return node

    # --- grammar ------------------------------------------------------------------------

    def _or(self) -> _Node:
        nodes = [self._and()]
        while self._accept_word("or"):
            nodes.append(self._and())
        if len(nodes) == 1:
            return nodes[0]
        preds = [n.predicate for n in nodes]
        return _Node(lambda f, c: any(p(f, c) for p in preds))

    def _and(self) -> _Node:
        nodes = [self._not()]
        while self._accept_word("and"):
            nodes.append(self._not())
        if len(nodes) == 1:
            return nodes[0]
        preds = [n.predicate for n in nodes]
        parent = next((n.required_parent for n in nodes if n.required_parent), None)
        return _Node(lambda f, c: all(p(f, c) for p in preds), parent)

    def _not(self) -> _Node:
        if self._accept_word("not"):
            inner = self._not().predicate
            return _Node(lambda f, c: not inner(f, c))
        return self._primary()

    def _primary(self) -> _Node:
        if self._accept("punct", "("):
            node = self._or()
            self._expect("punct", ")")
            return node
        token = self._next()
        if token.kind == "string":
            return self._membership(token.value)
        if token.kind == "word":
            return self._comparison(token.value)
        raise QueryError(f"unexpected {token.value!r}")

    def _membership(self, value: str) -> _Node:
        """'x' in parents / owners."""
        if not self._accept_word("in"):
            raise QueryError("expected 'in' after a string")
        collection = self._next()
        if collection.kind != "word":
            raise QueryError("expected a collection after 'in'")
        if collection.value == "parents":
            parent = self.root_id if value == "root" else value
            return _Node(lambda f, c: parent in f.parents, parent)
        if collection.value == "owners":
            return _Node(lambda f, c: f.owner == (c.email if value == "me" else value))
        if collection.value in ("writers", "readers"):
            return _Node(lambda f, c: f.owner == (c.email if value == "me" else value))
        raise QueryError(f"unknown collection {collection.value}")

    def _comparison(self, field: str) -> _Node:
        if field in ("appProperties", "properties"):
            return self._has(field)
        op = self._next()
        if op.kind == "word" and op.value == "contains":
            return _Node(_contains(field, self._string()))
        if op.kind != "op":
            raise QueryError(f"expected an operator after {field}")
        if field in ("name", "mimeType", "description"):
            return _Node(_string_compare(field, op.value, self._string()))
        if field in ("trashed", "starred", "sharedWithMe"):
            return _Node(_bool_compare(field, op.value, self._bool()))
        if field in ("createdTime", "modifiedTime", "viewedByMeTime"):
            return _Node(_time_compare(field, op.value, parse_time(self._string())))
        raise QueryError(f"unknown field {field}")

    def _has(self, field: str) -> _Node:
        if not self._accept_word("has"):
            raise QueryError(f"expected 'has' after {field}")
        self._expect("punct", "{")
        self._expect_word("key")
        self._expect("op", "=")
        key = self._string()
        self._expect_word("and")
        self._expect_word("value")
        self._expect("op", "=")
        value = self._string()
        self._expect("punct", "}")
        if field == "appProperties":
            return _Node(lambda f, c: f.app_properties.get(c.client_id, {}).get(key) == value)
        return _Node(lambda f, c: f.properties.get(key) == value)

    # --- token helpers ------------------------------------------------------------------

    def _next(self) -> Token:
        if self.pos >= len(self.tokens):
            raise QueryError("unexpected end of query")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def _accept(self, kind: str, value: str) -> bool:
        if self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            if token.kind == kind and token.value == value:
                self.pos += 1
                return True
        return False

    def _accept_word(self, word: str) -> bool:
        if self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            if token.kind == "word" and token.value.lower() == word:
                self.pos += 1
                return True
        return False

    def _expect(self, kind: str, value: str) -> None:
        if not self._accept(kind, value):
            raise QueryError(f"expected {value!r}")

    def _expect_word(self, word: str) -> None:
        if not self._accept_word(word):
            raise QueryError(f"expected {word!r}")

    def _string(self) -> str:
        token = self._next()
        if token.kind != "string":
            raise QueryError(f"expected a quoted string, got {token.value!r}")
        return token.value

    def _bool(self) -> bool:
        token = self._next()
        if token.kind == "word" and token.value in ("true", "false"):
            return token.value == "true"
        raise QueryError(f"expected true or false, got {token.value!r}")


def _field_value(file: DriveFile, field: str) -> str:
    if field == "name":
        return file.name
    if field == "mimeType":
        return file.mime_type
    return file.description or ""


def _string_compare(field: str, op: str, value: str) -> Predicate:
    if op == "=":
        return lambda f, c: _field_value(f, field) == value
    if op == "!=":
        return lambda f, c: _field_value(f, field) != value
    raise QueryError(f"operator {op} is not supported for {field}")


def _contains(field: str, value: str) -> Predicate:
    needle = value.lower()
    if field == "name":
        return lambda f, c: _name_has_prefix(f.name, needle)
    if field == "mimeType":
        return lambda f, c: needle in f.mime_type.lower()
    if field == "fullText":
        return lambda f, c: _full_text_contains(f, needle)
    if field == "description":
        return lambda f, c: needle in (f.description or "").lower()
    raise QueryError(f"contains is not supported for {field}")


def _name_has_prefix(name: str, needle: str) -> bool:
    """Drive matches `name contains` against the start of the name or of a word in it."""
    lowered = name.lower()
    if lowered.startswith(needle):
        return True
    words = re.split(r"[\s._\-/()\[\]]+", lowered)
    return any(word.startswith(needle) for word in words if word)


def _full_text_contains(file: DriveFile, needle: str) -> bool:
    if needle in file.name.lower() or needle in (file.description or "").lower():
        return True
    if file.content and file.mime_type.startswith("text/"):
        return needle in file.content.decode("utf-8", "replace").lower()
    return False


def _bool_compare(field: str, op: str, value: bool) -> Predicate:
    attribute = {"trashed": "trashed", "starred": "starred"}.get(field)

    def actual(f: DriveFile) -> bool:
        # sharedWithMe is always false: the fake has no sharing.
        return bool(getattr(f, attribute)) if attribute else False

    if op == "=":
        return lambda f, c: actual(f) == value
    if op == "!=":
        return lambda f, c: actual(f) != value
    raise QueryError(f"operator {op} is not supported for {field}")


_TIME_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _time_compare(field: str, op: str, value: float) -> Predicate:
    compare = _TIME_OPS[op]
    if field == "createdTime":
        return lambda f, c: compare(round(f.created_time, 3), value)
    return lambda f, c: compare(round(f.modified_time, 3), value)


def parse_time(text: str) -> float:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise QueryError(f"invalid time {text!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return round(parsed.timestamp(), 3)
