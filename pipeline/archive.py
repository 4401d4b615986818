"""Every original, stored once by content hash before anything else touches it.

``state/archive/<sha[:2]>/<sha><suffix>``: the same bytes arriving twice are stored once;
where and when each copy arrived is in the ledger's arrivals table. Writes are atomic,
so a crash never leaves half a file under a name that claims a hash.

A night's originals are stored through a :class:`Batch`: written without an fsync each,
then made durable by one :meth:`Batch.sync` (a ``syncfs`` of the archive's filesystem)
before the first ledger record that refers to them. A kill before the sync loses nothing
(the page cache survives a killed process); a power cut before it may leave a short or
empty file under a hash name, which the next run's :func:`store` sees by its size and
writes again, since the inbox item was not marked processed.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from .atomic import sync_filesystem, write_bytes_atomic, write_new_file
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


class Batch:
    """Originals stored without an fsync each, made durable together by :meth:`sync`.

    It also lists each hash folder once (instead of a glob per file) and keeps the
    listing up to date as it writes."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.pending = 0  # files written since the last sync
        self._names: dict[str, set[str]] = {}
        self._by_hash: dict[str, dict[str, str]] = {}  # folder -> hash -> first name

    def archived_name(self, sha256: str) -> str | None:
        """The archived file's name for this hash (the first in sorted order when several
        suffixes exist), without sorting the folder each time: a year's archive holds
        ~500 names per folder at 30,000 agencies."""
        self.names(sha256)
        return self._by_hash[sha256[:2]].get(sha256)

    def added(self, name: str) -> None:
        """A file this batch wrote into its hash folder."""
        self.names(name).add(name)
        index, key = self._by_hash[name[:2]], name.split(".", 1)[0]
        if key not in index or name < index[key]:
            index[key] = name

    def names(self, sha256: str) -> set[str]:
        """The hash folder's file names, listed once (and indexed by hash with them)."""
        folder = sha256[:2]
        names = self._names.get(folder)
        if names is None:
            try:
                with os.scandir(self.ws.archive / folder) as it:
                    names = {e.name for e in it}
            except (FileNotFoundError, NotADirectoryError):
                names = set()
            self._names[folder] = names
            index: dict[str, str] = {}
            for n in sorted(names):
                index.setdefault(n.split(".", 1)[0], n)
            self._by_hash[folder] = index
        return names

    def sync(self) -> None:
        """Make every original written since the last call durable (one syncfs)."""
        if self.pending:
            sync_filesystem(self.ws.archive)
            self.pending = 0


def store(ws: Workspace, sha256: str, data: bytes, suffix: str,
          batch: Batch | None = None) -> Path:
    """Archive ``data`` under its hash; an existing copy is left untouched. Returns the path.

    Without ``batch`` the file is fsynced here; with one, ``batch.sync()`` must run before
    anything durable (the ledger) refers to the file."""
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"data does not match its hash {sha256[:12]}")
    existing = find(ws, sha256, batch)
    if existing is not None and existing.stat().st_size == len(data):
        return existing  # same bytes, perhaps under another extension: kept once
    target = archive_path(ws, sha256, suffix)
    if batch is None:
        write_bytes_atomic(target, data)
    else:
        names = batch.names(sha256)  # the folder as listed once, plus what this batch wrote
        if target.name in names:  # there, but not these bytes (a damaged copy): replaced
            changed = write_bytes_atomic(target, data, durable=False)
        else:
            write_new_file(target, data)
            changed = True
        if changed:
            batch.pending += 1
        batch.added(target.name)
    return target


def find(ws: Workspace, sha256: str, batch: Batch | None = None) -> Path | None:
    """The archived original with this hash, whatever its suffix, or None."""
    folder = ws.archive / sha256[:2]
    if batch is not None:
        name = batch.archived_name(sha256)
        return None if name is None else folder / name
    if folder.is_dir():
        names = {p.name for p in folder.glob(f"{sha256}*")}
    else:
        return None
    return next((folder / n for n in sorted(names)
                 if n == sha256 or n.startswith(sha256 + ".")), None)
