"""Files that crash, exhaust or hang a reader are parsed in a limited child process: the real
`edurollup validate` (a subprocess, so nothing here can take pytest down with it) exits 1
with the JSON report naming the file and its problem code, whatever the child did.

The files are made here: a far cell reference in every spelling the XML allows, an .xls
written by LibreOffice then corrupted (a directory sector chain that loops, a block cut out
before the directory: a Rust panic), and a test-only hook (EDUROLLUP_CHILD_FAULT, an
environment variable a file cannot set) for an abort, a segfault, a panic, a hang, a
memory hog and a CPU loop in the child.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import make_small_plan, soffice_or_skip
from test_hostile_files import budget_part, rezip
from test_validate_rules import filled_template

from pipeline.plan_workbook import write_plan

# a cell at XFD1048576 in each spelling an XML writer may use (the prescan recognises some;
# calamine allocates the whole rectangle for the others, and only the child dies)
FAR_CELLS = {
    "double-quotes": b'<c r="XFD1048576"><v>1</v></c>',
    "single-quotes": b"<c r='XFD1048576'><v>1</v></c>",
    "spaces-around-equals": b'<c r = "XFD1048576" ><v>1</v></c>',
    "tab-before-attribute": b'<c\tr="XFD1048576"><v>1</v></c>',
    "attribute-on-next-line": b'<c t="n"\nr="XFD1048576"><v>1</v></c>',
    "lower-case": b'<c r="xfd1048576"><v>1</v></c>',
    "dollar-signs": b'<c r="$XFD$1048576"><v>1</v></c>',
    "character-reference": b'<c r="&#88;FD1048576"><v>1</v></c>',
    "namespace-prefix": (b'<x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                         b'main" r="XFD1048576"><x:v>1</x:v></x:c>'),
    "inline-string": b'<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>',
    "far-row-without-cell-refs": b'</row><row r="1048576"><c><v>1</v></c>',
}
CLI = [sys.executable, "-c", "from pipeline.cli import main; main()"]
FILE_CODES = {"file.too-many-cells", "file.reader-memory", "file.reader-crashed",
              "file.unreadable", "file.timeout"}


def template() -> bytes:
    buf = io.BytesIO()
    filled_template(make_small_plan()).save(buf)
    return buf.getvalue()


def validate(files: list[Path], ws: Path, **env: str) -> tuple[int, dict, float]:
    """The real command in a subprocess: (exit code, JSON report, seconds)."""
    started = time.monotonic()
    proc = subprocess.run(
        [*CLI, "validate", *map(str, files), "--json",
         "--workspace", str(ws)],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "EDUROLLUP_CHILD_MEMORY_MB": "1024", **env})
    seconds = time.monotonic() - started
    assert proc.returncode in (0, 1), (proc.returncode, proc.stderr[-2000:])
    return proc.returncode, json.loads(proc.stdout), seconds


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ws")
    write_plan(make_small_plan(), root / "plan" / "2568.xlsx")
    return root


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("good") / "2568-Q2-1033530001-ดี.xlsx"
    path.write_bytes(template())
    return path


@pytest.mark.slow
def test_far_cell_references_in_every_spelling_are_refused_not_fatal(tmp_path, ws, good):
    data = good.read_bytes()
    part = budget_part(data)
    xml = zipfile.ZipFile(io.BytesIO(data)).read(part)
    at = xml.index(b"</row>")
    files = []
    for name, cell in FAR_CELLS.items():
        path = tmp_path / f"far-{name}.xlsx"
        path.write_bytes(rezip(data, {part: xml[:at] + cell + xml[at:]}))
        files.append(path)
    code, doc, _seconds = validate([good, *files], ws)
    assert code == 1
    first, *far = doc["files"]
    assert first["file"] == good.name and first["valid"], first
    assert [f["file"] for f in far] == [p.name for p in files]
    for entry in far:
        codes = {p["code"] for p in entry["problems"] if p["severity"] == "error"}
        assert codes & FILE_CODES, (entry["file"], codes)
        assert not entry["valid"]
    # the spellings the prescan knows are refused before calamine, at the limit's wording
    by_name = {f["file"]: {p["code"] for p in f["problems"]} for f in far}
    assert "file.too-many-cells" in by_name["far-double-quotes.xlsx"]
    # those it does not know killed the child, which the parent reported as a memory death
    assert "file.reader-memory" in by_name["far-single-quotes.xlsx"]
    assert doc["summary"]["files"] == len(files) + 1


@pytest.fixture(scope="module")
def libreoffice_xls(tmp_path_factory, good) -> bytes:
    exe = soffice_or_skip()
    out = tmp_path_factory.mktemp("xls")
    src = out / "report.xlsx"
    src.write_bytes(good.read_bytes())
    subprocess.run([exe, "--headless", "--convert-to", "xls", "--outdir", str(out), str(src)],
                   check=True, capture_output=True, timeout=180)
    data = (out / "report.xls").read_bytes()
    assert data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    return data


def _sector(n: int) -> int:
    return 512 + n * 512  # LibreOffice writes 512-byte sectors (version 3)


def looping_directory(xls: bytes) -> bytes:
    """The directory's FAT entry points back at itself: a chain that never ends."""
    out = bytearray(xls)
    first_dir = struct.unpack("<I", out[48:52])[0]
    assert struct.unpack("<H", out[30:32])[0] == 9  # 512-byte sectors
    out[512 + 4 * first_dir:516 + 4 * first_dir] = struct.pack("<I", first_dir)
    return bytes(out)


def block_missing_before_directory(xls: bytes) -> bytes:
    """100 bytes cut out just before the directory: every later sector is misplaced."""
    first_dir = struct.unpack("<I", xls[48:52])[0]
    return xls[:_sector(first_dir) - 100] + xls[_sector(first_dir):]


@pytest.mark.slow
def test_corrupt_libreoffice_xls_files_are_refused_not_fatal(tmp_path, ws, libreoffice_xls):
    fine = tmp_path / "as-saved.xls"
    fine.write_bytes(libreoffice_xls)
    loop = tmp_path / "looping-chain.xls"
    loop.write_bytes(looping_directory(libreoffice_xls))
    cut = tmp_path / "missing-block.xls"
    cut.write_bytes(block_missing_before_directory(libreoffice_xls))
    code, doc, _seconds = validate([fine, loop, cut], ws)
    assert code == 1
    entries = {f["file"]: f for f in doc["files"]}
    assert entries[fine.name]["format"] == "xls"
    assert {p["code"] for p in entries[fine.name]["problems"]
            if p["severity"] == "error"} == set()
    loop_codes = [p["code"] for p in entries[loop.name]["problems"]]
    assert loop_codes == ["file.reader-memory"], loop_codes  # 1 GB, then the child died
    cut_problems = entries[cut.name]["problems"]
    assert [p["code"] for p in cut_problems] == ["file.reader-crashed"]
    assert "PanicException" in cut_problems[0]["message_en"]  # pyo3's, a BaseException
    for entry in (entries[loop.name], entries[cut.name]):
        assert "LibreOffice" in entry["problems"][0]["fix_en"]


FAULTS = [  # (hook kind, the code the parent reports)
    ("abort", "file.reader-crashed"),
    ("segv", "file.reader-crashed"),
    ("panic", "file.reader-crashed"),
    ("exit", "file.reader-crashed"),
    ("memory", "file.reader-memory"),
    ("cpu", "file.timeout"),
    ("hang", "file.timeout"),
]


@pytest.mark.slow
def test_every_way_a_child_can_die_is_one_problem_of_that_file(tmp_path, ws, good):
    files = []
    for kind, _code in FAULTS:
        path = tmp_path / f"2568-Q2-1033530001-{kind}-boom.xlsx"
        path.write_bytes(good.read_bytes())
        files.append(path)
    after = tmp_path / "2568-Q2-1033530001-after.xlsx"
    after.write_bytes(good.read_bytes())
    hooks = ",".join(f"{kind}:{kind}-boom" for kind, _ in FAULTS)
    code, doc, seconds = validate([*files, after], ws, EDUROLLUP_CHILD_FAULT=hooks,
                                  EDUROLLUP_CHILD_SECONDS="2")
    assert code == 1
    entries = {f["file"]: f for f in doc["files"]}
    for (kind, expected), path in zip(FAULTS, files, strict=True):
        problems = entries[path.name]["problems"]
        assert [p["code"] for p in problems] == [expected], (kind, problems)
        assert problems[0]["file"] == path.name
        # validate sets nothing aside: no poison quarantine outside the nightly run
        assert "file.poison-quarantined" not in {p["code"] for p in problems}
    assert entries[after.name]["valid"], "a file after the deaths is read normally"
    # hang and cpu: two tries each within ~3 s of wall clock / 2 CPU seconds, not an hour
    assert seconds < 60, seconds


def test_the_hook_does_nothing_without_its_environment_variable(tmp_path, ws, good):
    """A file named like a hook's target is read normally: only the operator's environment
    arms a fault, never a file's name or bytes."""
    path = tmp_path / "abort-boom.xlsx"
    path.write_bytes(good.read_bytes())
    env = {k: v for k, v in os.environ.items() if k != "EDUROLLUP_CHILD_FAULT"}
    proc = subprocess.run([*CLI, "validate", str(path),
                           "--json", "--workspace", str(ws)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["files"][0]["valid"]
