"""The workspace's own secret key: what makes template stamps and clerks' web links
impossible for a sender to forge or guess.

It lives in ``state/secret.key`` (never in a file that leaves the office), is made once
with the OS's random source, and is only ever read after that. Two processes that make
it at the same moment agree: the file is created exclusively, and the loser reads the
winner's key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_BYTES = 32
KEY_NAME = "secret.key"


def install_key(state_dir: Path, key: bytes) -> None:
    """Put a given key in place when the workspace has none (the demo's fixed one);
    an existing key is never replaced."""
    if len(key) != KEY_BYTES:
        raise ValueError(f"a workspace key must be {KEY_BYTES} bytes")
    _create(Path(state_dir) / KEY_NAME, key)


def _create(path: Path, key: bytes) -> None:
    """Write ``key`` to ``path`` (0600) unless it exists: exclusive, so racers agree."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{KEY_NAME}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process made it first: keep theirs
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def workspace_secret(state_dir: Path) -> bytes:
    """The workspace's key, made on first use (mode 0600)."""
    path = Path(state_dir) / KEY_NAME
    try:
        key = path.read_bytes()
        if len(key) == KEY_BYTES:
            return key
    except FileNotFoundError:
        pass
    _create(path, secrets.token_bytes(KEY_BYTES))
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise RuntimeError(f"{path}: a workspace key must be {KEY_BYTES} bytes")
    return key


def keyed_digest(key: bytes, purpose: str, message: str | bytes) -> str:
    """HMAC-SHA256 of ``message`` for one ``purpose`` (so one key serves several uses
    without one use's digest being valid for another), as lowercase hex."""
    data = message.encode("utf-8") if isinstance(message, str) else message
    return hmac.new(key, purpose.encode("ascii") + b"\0" + data, hashlib.sha256).hexdigest()
