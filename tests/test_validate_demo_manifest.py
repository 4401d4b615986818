"""The demo province validates exactly as its manifest says.

Builds the demo workspace (engineer D's build_demo), takes every workbook out of the
inbox (dropped files directly, .eml and Maildir attachments with the stdlib email
parser), validates them all against the workspace plan, and checks that for each file
the (code, sheet, cell) set of the manifest's "validate" flaws is exactly what
validation reports, errors and warnings alike; clean files have no problem at all.
"""

from __future__ import annotations

import email
import hashlib
import json
import time
from email import policy
from pathlib import Path

import pytest

from pipeline.demo import build_demo
from pipeline.validate import validate_files
from pipeline.workspace import Workspace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Workspace, dict, list[Path], dict[Path, str]]:
    ws = Workspace.open(tmp_path_factory.mktemp("demo"))
    manifest = build_demo(ws)
    assert manifest == json.loads((ws.root / "demo-manifest.json").read_text("utf-8"))
    out = tmp_path_factory.mktemp("extracted")
    paths, names = [], {}
    for i, entry in enumerate(manifest["files"]):
        source = ws.root / entry["path"]
        if entry["source"] == "dropped":
            data, name = source.read_bytes(), source.name
        else:  # "eml" or "maildir": the attachment the manifest names
            msg = email.message_from_bytes(source.read_bytes(), policy=policy.default)
            found = [a for a in msg.iter_attachments()
                     if a.get_filename() == entry["attachment"]]
            assert len(found) == 1, entry["path"]
            data, name = found[0].get_content(), entry["attachment"]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
        folder = out / f"{i:03d}"  # attachment names may repeat across messages
        folder.mkdir()
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
        names[path] = name
    return ws, manifest, paths, names


def test_every_file_reports_exactly_its_manifest_flaws(demo):
    ws, manifest, paths, names = demo
    started = time.perf_counter()
    reports = validate_files(paths, workspace=ws, display_names=names)
    elapsed = time.perf_counter() - started
    print(f"\nvalidate: {len(paths)} demo workbooks in {elapsed:.2f} s "
          f"({1000 * elapsed / len(paths):.1f} ms per workbook, read + normalise + validate)")
    assert len(reports) == len(manifest["files"])
    mismatches = []
    for entry, report in zip(manifest["files"], reports, strict=True):
        assert report.display_name == names[paths[manifest["files"].index(entry)]]
        expected = {(f["expect_code"], f["sheet"], f["cell"]) for f in entry["flaws"]
                    if f["step"] == "validate" and f["expect_code"]}
        severities = {(f["expect_code"], f["cell"]): f["severity"] for f in entry["flaws"]
                      if f["step"] == "validate" and f["expect_code"]}
        got = {(p.code, p.sheet, p.cell) for p in report.problems}
        if got != expected:
            mismatches.append((entry["path"], sorted(expected, key=str), sorted(got, key=str)))
            continue
        for p in report.problems:
            assert p.severity == severities[(p.code, p.cell)], (entry["path"], p.code)
        if not entry["flaws"]:
            assert report.valid and report.problems == []
            assert report.agency_code == entry["agency_code"]
            assert (report.fiscal_year, report.quarter) == (entry["fiscal_year"],
                                                            entry["quarter"])
            assert report.budget is not None and len(report.budget) > 0
    assert mismatches == []
    flawed = [e for e in manifest["files"]
              if any(f["step"] == "validate" and f["expect_code"] for f in e["flaws"])]
    assert len(flawed) >= 5  # the demo really exercises the validator
