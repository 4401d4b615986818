"""Validation reads the normaliser's plain columns and finds exactly what the frames say.

The normaliser keeps each sheet's columns as plain lists (``SheetFrame.values``) and
builds the pandas frame only when asked; validation reads the lists. These tests
validate the same flawed workbooks twice, once from the lists and once from the frames
alone (``values`` dropped, as a SheetFrame made by hand has it), and expect the same
problems at the same cells with the same values, the same cover and the same clean
budget/indicator frames handed to the ledger.
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_validate_rules import PROJECTS, filled_template

import pipeline.normalise as normalise
from pipeline.read import read_workbook
from pipeline.validate import _plain, validate_workbooks


def _flawed_workbooks(plan):
    dup = [list(p) for p in PROJECTS]
    dup[2][0] = "P001"  # duplicate project code
    dup[0][2] = "ยุทธศาสตร์ที่ 9"  # not a strategy of the plan
    dup[1][5] = "สองแสนบาท"  # text for money
    over = [list(p) for p in PROJECTS]
    over[0][7] = 100000.01  # disbursed over allocated
    over[1][6] = 100000  # committed + disbursed over allocated
    over[2][6] = -500  # negative money
    odd = [list(p) for p in PROJECTS]
    odd[0][5] = "๑๒๓,๔๕๖.๕๐ บาท"  # Thai digits and currency
    odd[1][5] = 10.005  # too many decimals
    odd[2][1] = None  # required name empty
    formula = filled_template(plan)
    formula["งบประมาณ (Budget)"]["H5"] = "=F5/2"
    return [
        ("clean.xlsx", filled_template(plan)),
        ("dup.xlsx", filled_template(plan, agency="1033530002", projects=[tuple(p) for p in dup],
                                     results={"1.1": 120, "4.1": 2})),
        ("over.xlsx", filled_template(plan, agency="1333000101",
                                      projects=[tuple(p) for p in over],
                                      results={"1.1": 96, "2.1": 51, "4.1": 650})),
        ("odd.xlsx", filled_template(plan, projects=[tuple(p) for p in odd])),
        ("formula.xlsx", formula),
        ("empty-budget.xlsx", filled_template(plan, projects=[])),
    ]


def _frames_only(monkeypatch):
    """Make the normaliser hand out frames without their plain lists."""
    original = normalise.normalise_workbook

    def frames_only(*args, **kwargs):
        frames, problems = original(*args, **kwargs)
        for sf in frames.values():
            _ = sf.frame  # built from the lists ...
            sf.values = None  # ... which are then forgotten
        return frames, problems

    monkeypatch.setattr(normalise, "normalise_workbook", frames_only)


@pytest.fixture
def raws(small_plan, tmp_path):
    out = []
    for name, wb in _flawed_workbooks(small_plan):
        wb.save(tmp_path / name)
        out.append(read_workbook(tmp_path / name))
    return out


def test_plain_lists_equal_the_frame(small_plan, raws):
    for raw in raws:
        frames, _ = normalise.normalise_workbook(raw, small_plan)
        for sf in frames.values():
            plain = sf.values
            assert plain is not None
            _ = sf.frame  # built from the lists, then the lists are forgotten
            sf.values = None
            assert _plain(sf) == plain, (raw.display_name, sf.spec_key)


def test_reports_from_plain_lists_equal_reports_from_frames(small_plan, raws, monkeypatch):
    from_lists = validate_workbooks([(raw, small_plan) for raw in raws])
    _frames_only(monkeypatch)
    from_frames = validate_workbooks([(raw, small_plan) for raw in raws])
    assert sum(len(r.problems) for r in from_lists) > 10  # the flaws are seen
    assert any(r.budget is not None for r in from_lists)
    for a, b in zip(from_lists, from_frames, strict=True):
        assert a.problems == b.problems, a.display_name
        assert a.cover == b.cover
        assert {k: type(v) for k, v in a.cover.items()} == {k: type(v) for k, v in b.cover.items()}
        for x, y in ((a.budget, b.budget), (a.indicators, b.indicators)):
            assert (x is None) == (y is None)
            if x is not None:
                pd.testing.assert_frame_equal(x, y, check_exact=True)
                for col in x.columns:  # the very values, not only equal ones
                    assert [type(v) for v in x[col].tolist()] == [type(v) for v in y[col].tolist()]
