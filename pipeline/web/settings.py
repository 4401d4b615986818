"""The ``[web]`` table of ``edurollup.toml``: public address, office credential, limits,
and which clerks' links are rotated or revoked.

Nothing secret is in it: clerks' links are derived from the workspace key
(``state/secret.key``) and the office password is stored as a salted hash
(``edurollup serve --hash-password``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..safety import Limits
from ..workspace import Workspace

DEFAULT_PORT = 8617


@dataclass(frozen=True)
class WebSettings:
    """Settings of the web page; every field has a safe default (docs/operations.md)."""

    public_url: str | None = None  # "https://rollup.example.go.th": links in templates/e-mails
    office_user: str = "office"
    office_password_hash: str | None = None  # werkzeug hash; no hash = no office page
    max_upload_bytes: int = Limits().max_bytes  # the hostile-file size limit, unchanged
    uploads_per_window: int = 30  # checks + submissions per link in one window
    window_seconds: int = 600
    link_versions: dict[str, int] = field(default_factory=dict)  # agency -> version (rotate)
    revoked: frozenset[str] = frozenset()  # agencies whose link is off
    check_keep_seconds: int = 86_400  # an unsubmitted check's copy is deleted after this

    @classmethod
    def of(cls, ws: Workspace) -> WebSettings:
        raw: dict[str, Any] = dict(ws.config.get("web", {}))
        links = raw.pop("links", {}) or {}
        base = (raw.get("public_url") or "").strip().rstrip("/") or None
        return cls(
            public_url=base,
            office_user=str(raw.get("office_user", cls.office_user)),
            office_password_hash=raw.get("office_password_hash") or None,
            max_upload_bytes=int(raw.get("max_upload_bytes", cls.max_upload_bytes)),
            uploads_per_window=int(raw.get("uploads_per_window", cls.uploads_per_window)),
            window_seconds=int(raw.get("window_seconds", cls.window_seconds)),
            link_versions={str(k): int(v) for k, v in (links.get("version") or {}).items()},
            revoked=frozenset(str(c) for c in links.get("revoked") or ()),
            check_keep_seconds=int(raw.get("check_keep_seconds", cls.check_keep_seconds)),
        )
