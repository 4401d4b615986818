"""Every original, stored once by content hash before anything else touches it.

``state/archive/<sha[:2]>/<sha><suffix>``: the same bytes arriving twice are stored once;
where and when each copy arrived is in the ledger's arrivals table. Writes are atomic,
so a crash never leaves half a file under a name that claims a hash.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .atomic import write_bytes_atomic
from .workspace import Workspace

_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")


def archive_path(ws: Workspace, sha256: str, suffix: str = "") -> Path:
    """Where the original with this hash lives (the suffix is sanitised, never a path)."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    suffix = suffix.lower()
    if not _SUFFIX.match(suffix):
        suffix = ""
    return ws.archive / sha256[:2] / f"{sha256}{suffix}"


def store(ws: Workspace, sha256: str, data: bytes, suffix: str) -> Path:
    """Archive ``data`` under its hash; an existing copy is left untouched. Returns the path."""
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"data does not match its hash {sha256[:12]}")
    existing = find(ws, sha256)
    if existing is not None and existing.stat().st_size == len(data):
        return existing  # same bytes, perhaps under another extension: kept once
    target = archive_path(ws, sha256, suffix)
    write_bytes_atomic(target, data)
    return target


def find(ws: Workspace, sha256: str) -> Path | None:
    """The archived original with this hash, whatever its suffix, or None."""
    folder = ws.archive / sha256[:2]
    if not folder.is_dir():
        return None
    return next((p for p in sorted(folder.glob(f"{sha256}*"))
                 if p.name == sha256 or p.name.startswith(sha256 + ".")), None)
