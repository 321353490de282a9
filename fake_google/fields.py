"""Partial responses: the `fields` system parameter (``nextPageToken,files(id,name/x)``).

Syntax (Google's "partial response" guide): comma-separated paths; ``a/b`` selects b inside a;
``a(b,c)`` selects b and c inside a (or inside each element when a is a list); ``*`` selects
everything at that level.
"""

from __future__ import annotations

from typing import Any

from .errors import DriveError

# A selection maps a key to its sub-selection; None means "the whole value".
Selection = dict[str, "Selection | None"]


def parse_fields(text: str) -> Selection:
    """Parse a fields expression; raises DriveError(400) when it is malformed."""
    parser = _FieldsParser(text)
    selection = parser.parse_list(closing=None)
    if not selection:
        raise _invalid(text)
    return selection


def apply_fields(resource: dict[str, Any], selection: Selection) -> dict[str, Any]:
    """Keep only the selected parts of `resource`."""
    if "*" in selection:
        result = dict(resource)
        for key, sub in selection.items():
            if key != "*" and sub is not None and key in resource:
                result[key] = _apply_value(resource[key], sub)
        return result
    result = {}
    for key, sub in selection.items():
        if key not in resource:
            continue
        result[key] = resource[key] if sub is None else _apply_value(resource[key], sub)
    return result


def check_known(selection: Selection, known: set[str], nested: dict[str, set[str]]) -> None:
    """Reject selections naming fields the resource type does not have (Google answers 400).

    `nested` lists the known fields inside list/object members (e.g. "files" -> file fields);
    members that are free-form maps (appProperties) are not checked below their top level.
    """
    for key, sub in selection.items():
        if key != "*" and key not in known:
            raise _invalid(key)
        if sub is not None and key in nested:
            check_known(sub, nested[key], {})


def _apply_value(value: Any, selection: Selection) -> Any:
    if isinstance(value, list):
        return [apply_fields(v, selection) if isinstance(v, dict) else v for v in value]
    if isinstance(value, dict):
        return apply_fields(value, selection)
    return value


def _invalid(what: str) -> DriveError:
    return DriveError(
        400,
        "invalidParameter",
        f"Invalid field selection {what}",
        location="fields",
        location_type="parameter",
    )


class _FieldsParser:
    def __init__(self, text: str) -> None:
        self.text = text.replace(" ", "")
        self.pos = 0

    def parse_list(self, closing: str | None) -> Selection:
        selection: Selection = {}
        while self.pos < len(self.text):
            if closing and self.text[self.pos] == closing:
                return selection
            self._parse_path(selection)
            if self.pos < len(self.text) and self.text[self.pos] == ",":
                self.pos += 1
                continue
            if self.pos < len(self.text) and self.text[self.pos] != closing:
                raise _invalid(self.text)
        if closing:
            raise _invalid(self.text)
        return selection

    def _parse_path(self, into: Selection) -> None:
        name = self._name()
        if self.pos < len(self.text) and self.text[self.pos] == "/":
            self.pos += 1
            sub = _merge_target(into, name)
            self._parse_path(sub)
        elif self.pos < len(self.text) and self.text[self.pos] == "(":
            self.pos += 1
            inner = self.parse_list(closing=")")
            self.pos += 1
            if not inner:
                raise _invalid(self.text)
            _merge_target(into, name).update(inner)
        else:
            into[name] = None

    def _name(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ",/()":
            self.pos += 1
        name = self.text[start : self.pos]
        if not name or not (name == "*" or name.replace("_", "").replace("-", "").isalnum()):
            raise _invalid(self.text)
        return name


def _merge_target(into: Selection, name: str) -> Selection:
    existing = into.get(name, {})
    if existing is None:
        # "files,files/id" - the whole value is already selected.
        return {}
    into[name] = existing
    return existing
