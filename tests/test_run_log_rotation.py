"""The run's log (state/logs/run.log) rotates by size and loses no line: the handler counts
the bytes it writes instead of seeking before each line (a 30,000-file night logs a line
per file), so rotation must still happen where the stdlib handler would do it."""

from __future__ import annotations

import logging

from pipeline.run import RunLogHandler


def test_the_run_log_rotates_at_its_size_and_keeps_every_line(tmp_path):
    path = tmp_path / "run.log"
    path.write_text("บรรทัดจากคืนก่อน (a line from an earlier night)\n", "utf-8")
    handler = RunLogHandler(path, maxBytes=2_000, backupCount=50, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log = logging.getLogger("test-run-log-rotation")
    log.propagate = False
    log.setLevel(logging.INFO)
    log.addHandler(handler)
    try:
        for i in range(300):
            log.info("นำเข้า (imported) file-%03d.xlsx โรงเรียนบ้านหนองแวง", i)
    finally:
        log.removeHandler(handler)
        handler.close()
    files = [path] + [tmp_path / f"run.log.{k}" for k in range(1, 51)]
    files = [f for f in files if f.exists()]
    assert len(files) > 10  # it rotated
    for f in files:
        assert f.stat().st_size <= 2_000, f  # no file past the limit
    lines = [line for f in reversed(files) for line in f.read_text("utf-8").splitlines()]
    assert lines[0] == "บรรทัดจากคืนก่อน (a line from an earlier night)"
    assert lines[1:] == [f"INFO นำเข้า (imported) file-{i:03d}.xlsx โรงเรียนบ้านหนองแวง"
                         for i in range(300)]
