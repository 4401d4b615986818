"""The workspace key behind stamps and web links: made once, private, shared by racers."""

from __future__ import annotations

import multiprocessing
import stat

from pipeline.secret import KEY_BYTES, keyed_digest, workspace_secret


def _make(state_dir: str, out: multiprocessing.Queue) -> None:
    from pathlib import Path

    out.put(workspace_secret(Path(state_dir)))


def test_key_is_made_once_and_private(tmp_path):
    state = tmp_path / "state"
    first = workspace_secret(state)
    assert len(first) == KEY_BYTES
    assert workspace_secret(state) == first
    mode = stat.S_IMODE((state / "secret.key").stat().st_mode)
    assert mode == 0o600
    assert sorted(p.name for p in state.iterdir()) == ["secret.key"]


def test_processes_racing_to_make_it_agree(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_make, args=(str(tmp_path / "state"), out)) for _ in range(4)]
    for p in procs:
        p.start()
    keys = {out.get(timeout=60) for _ in procs}
    for p in procs:
        p.join(60)
    assert len(keys) == 1
    assert keys == {(tmp_path / "state" / "secret.key").read_bytes()}


def test_digest_depends_on_key_purpose_and_message(tmp_path):
    key = workspace_secret(tmp_path / "a")
    other = workspace_secret(tmp_path / "b")
    base = keyed_digest(key, "stamp", "2568|Q2|1033530011")
    assert base == keyed_digest(key, "stamp", b"2568|Q2|1033530011")
    assert base != keyed_digest(other, "stamp", "2568|Q2|1033530011")
    assert base != keyed_digest(key, "web-link", "2568|Q2|1033530011")
    assert base != keyed_digest(key, "stamp", "2568|Q2|1033530012")
    assert len(base) == 64
