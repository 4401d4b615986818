"""Demo reporters' titles match their names: นาย for men, นาง/นางสาว for women (a demo
that pairs "นางสาว" with "สมชาย" looks careless to the office it is shown to)."""

from __future__ import annotations

import pipeline.demo_data as dd
from pipeline.demo import make_reports


def test_every_demo_reporter_title_matches_the_first_name():
    reports = make_reports(dd.make_demo_plan())
    seen = set()
    for report in reports.values():
        name = report.reporter[0]
        title = next(t for t in ("นางสาว", "นาง", "นาย") if name.startswith(t))
        first = name[len(title):].split()[0]
        assert first in dd.FIRST_NAMES
        if first in dd.MALE_FIRST_NAMES:
            assert title == "นาย", name
        else:
            assert title in ("นาง", "นางสาว"), name
        seen.add(title)
    assert seen == {"นาย", "นาง", "นางสาว"}  # all three still occur
