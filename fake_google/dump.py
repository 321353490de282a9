"""The JSON-able picture of the fake's state, for tests, benchmarks and people."""

from __future__ import annotations

from typing import Any

from .core import Core
from .resources import rfc3339
from .state import DriveFile, Store


def state_dump(core: Core) -> dict[str, Any]:
    store = core.store
    with store.lock:
        files = [file_summary(store, f) for f in sorted(store.files.values(), key=lambda f: f.seq)]
        return {
            "users": [
                {
                    "email": u.email,
                    "name": u.name,
                    "root_id": u.root_id,
                    "files": sum(1 for f in files if f["owner"] == u.email and not f["is_root"]),
                    "usage_bytes": store.usage_bytes(u.email),
                }
                for u in store.users.values()
            ],
            "clients": [
                {"client_id": c.client_id, "redirect_uris": list(c.redirect_uris)}
                for c in store.clients.values()
            ],
            "grants": [
                {
                    "id": g.id,
                    "email": g.email,
                    "client_id": g.client_id,
                    "scopes": sorted(g.scopes),
                    "created": rfc3339(g.created_at),
                    "revoked": not g.active,
                    "revoked_by": g.revoked_by,
                    "refresh_tokens": sum(1 for t in g.refresh_tokens if t in store.refresh_tokens),
                    "access_tokens": sum(
                        1 for t in store.access_tokens.values() if t.grant_id == g.id
                    ),
                }
                for g in store.grants.values()
            ],
            "files": [f for f in files if not f["is_root"]],
            "deletes": [
                {
                    "id": d.file_id,
                    "name": d.name,
                    "path": d.path,
                    "owner": d.owner,
                    "client_id": d.client_id,
                    "at": rfc3339(d.at),
                }
                for d in store.deletes
            ],
            "uploads": {
                "open": sum(1 for s in store.uploads.values() if s.result_file_id is None),
                "completed": sum(1 for s in store.uploads.values() if s.result_file_id),
            },
            "counters": {name: dict(c) for name, c in store.counters.items()},
            "peak_concurrency": core.peak_concurrency,
            "in_flight": core.in_flight,
            "config": core.config.as_dict(),
            "pending_faults": core.faults.pending(),
            "clock_offset_s": core.clock.offset,
        }


def file_summary(store: Store, file: DriveFile) -> dict[str, Any]:
    app_properties = file.app_properties.get(file.created_by_client or "", {})
    return {
        "id": file.id,
        "name": file.name,
        "path": store.path_of(file) if not file.is_root else "/",
        "mimeType": file.mime_type,
        "folder": file.is_folder,
        "owner": file.owner,
        "parents": list(file.parents),
        "size": file.size if not file.is_folder else None,
        "md5Checksum": file.md5 if not file.is_folder else None,
        "appProperties": dict(app_properties),
        "appPropertiesByClient": {k: dict(v) for k, v in file.app_properties.items()},
        "properties": dict(file.properties),
        "trashed": file.trashed,
        "created_by_client": file.created_by_client,
        "createdTime": rfc3339(file.created_time),
        "modifiedTime": rfc3339(file.modified_time),
        "version": file.version,
        "is_root": file.is_root,
    }
