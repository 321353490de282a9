"""Our files as Drive describes them, and how to find them by their appProperties."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StoredFile:
    """What Drive says about one of our files."""

    id: str
    md5: str | None = None
    size: int | None = None
    name: str = ""
    trashed: bool = False
    parents: tuple[str, ...] = ()
    app_properties: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_api(cls, data: dict) -> StoredFile:
        size = data.get("size")
        return cls(
            id=data["id"],
            md5=data.get("md5Checksum"),
            size=int(size) if size is not None else None,
            name=data.get("name", ""),
            trashed=bool(data.get("trashed", False)),
            parents=tuple(data.get("parents") or ()),
            app_properties=dict(data.get("appProperties") or {}),
        )


def app_properties_query(properties: dict[str, str]) -> str:
    return " and ".join(
        f"appProperties has {{ key='{quote(k)}' and value='{quote(v)}' }}"
        for k, v in properties.items()
    )


def quote(value: str) -> str:
    """A value inside a Drive query's single quotes."""
    return value.replace("\\", "\\\\").replace("'", "\\'")
