"""Outbox files are replaced whole, and unchanged content is not rewritten."""

import os

import pytest

from pipeline.atomic import atomic_path, write_bytes_atomic


def test_unchanged_bytes_leave_the_file_untouched(tmp_path):
    target = tmp_path / "out" / "a.txt"
    assert write_bytes_atomic(target, b"one") is True
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    assert write_bytes_atomic(target, b"one") is False
    assert target.stat().st_mtime_ns == 1_000_000_000
    assert write_bytes_atomic(target, b"two") is True
    assert target.read_bytes() == b"two"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "b.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("crash")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["b.xlsx"]


def test_written_files_are_readable_by_colleagues(tmp_path):
    target = tmp_path / "status.html"
    write_bytes_atomic(target, b"<html></html>")
    from pipeline import atomic

    # not mkstemp's private 0600: the same mode any other new file would get
    assert target.stat().st_mode & 0o777 == 0o666 & ~atomic._UMASK
