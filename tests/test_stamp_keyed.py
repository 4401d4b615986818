"""The template stamp's checksum is keyed (HMAC with the workspace's own key in state/, which
never leaves the office): a sender who edits a target in the stamp and recomputes the
checksum the way anyone can (plain SHA-256 over the values) is caught; the templates the
office issued pass; and a template keyed by another workspace does not pass here."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from conftest import make_small_plan

import schemas
from pipeline.cli import main
from pipeline.plan_workbook import write_plan
from pipeline.secret import KEY_NAME
from pipeline.templates import CHECKSUM_KEY, stamp_checksum
from pipeline.workspace import Workspace

AGENCY = "1033530001"


def _workspace(root: Path) -> Path:
    ws = Workspace.open(root)
    ws.ensure()
    write_plan(make_small_plan(), ws.plan_file(2568))
    return root


def _issue(root: Path, out: Path) -> Path:
    res = CliRunner().invoke(main, ["template", "--fy", "2568", "--quarter", "2", "--agency",
                                    AGENCY, "--out", str(out), "--workspace", str(root)])
    assert res.exit_code == 0, res.output
    (path,) = out.glob("*.xlsx")
    return path


def _fill(path: Path, target: Path, forge: bool = False) -> Path:
    wb = openpyxl.load_workbook(path)
    budget = wb[schemas.BUDGET.name]
    for col, value in enumerate(("P001", "โครงการห้องสมุด"), start=1):
        budget.cell(row=schemas.BUDGET.header_row + 1, column=col, value=value)
    stamp = wb[schemas.STAMP_SHEET]
    rows = {stamp.cell(row=r, column=1).value: r for r in range(1, stamp.max_row + 1)}
    if forge:  # a lower target in the stamp, and the checksum recomputed as anyone can
        r = rows["locked_indicators"]
        locked = json.loads(stamp.cell(row=r, column=2).value)
        locked[0][1] = 1
        stamp.cell(row=r, column=2, value=json.dumps(locked, ensure_ascii=False,
                                                     separators=(",", ":")))
        values = {k: stamp.cell(row=i, column=2).value for k, i in rows.items()}
        stamp.cell(row=rows[CHECKSUM_KEY], column=2,
                   value=stamp_checksum({k: v for k, v in values.items() if k != CHECKSUM_KEY}))
    wb.save(target)
    return target


def _codes(root: Path, path: Path) -> list[str]:
    res = CliRunner().invoke(main, ["validate", str(path), "--json", "--workspace", str(root)])
    assert res.exit_code in (0, 1), res.output
    (entry,) = json.loads(res.output)["files"]
    return [p["code"] for p in entry["problems"] if p["severity"] == "error"]


def test_a_recomputed_stamp_is_caught_and_an_issued_one_passes(tmp_path):
    root = _workspace(tmp_path / "office")
    issued = _issue(root, tmp_path / "out")
    key = (root / "state" / KEY_NAME).read_bytes()
    assert len(key) == 32, "issuing templates made the workspace's key"
    stamp = openpyxl.load_workbook(issued)[schemas.STAMP_SHEET]
    values = {stamp.cell(row=r, column=1).value: stamp.cell(row=r, column=2).value
              for r in range(1, stamp.max_row + 1)}
    others = {k: v for k, v in values.items() if k != CHECKSUM_KEY}
    assert values[CHECKSUM_KEY] == stamp_checksum(others, key)
    assert values[CHECKSUM_KEY] != stamp_checksum(others), "the plain hash would be forgeable"

    honest = _fill(issued, tmp_path / "honest.xlsx")
    assert "structure.stamp-tampered" not in _codes(root, honest)
    forged = _fill(issued, tmp_path / "forged.xlsx", forge=True)
    assert "structure.stamp-tampered" in _codes(root, forged)


def test_a_template_keyed_by_another_workspace_does_not_pass(tmp_path):
    here = _workspace(tmp_path / "here")
    elsewhere = _workspace(tmp_path / "elsewhere")
    _issue(here, tmp_path / "own")  # this office has issued templates: it has a key
    foreign = _fill(_issue(elsewhere, tmp_path / "foreign"), tmp_path / "foreign.xlsx")
    assert (here / "state" / KEY_NAME).read_bytes() != (elsewhere / "state" / KEY_NAME).read_bytes()
    assert "structure.stamp-tampered" in _codes(here, foreign)
    assert "structure.stamp-tampered" not in _codes(elsewhere, foreign)
