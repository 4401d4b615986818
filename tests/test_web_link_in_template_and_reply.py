"""With ``[web] public_url`` set, ``edurollup template`` puts each agency's own link on
the cover and the nightly run's reply e-mails carry it; without it neither shows one."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime

import openpyxl
from click.testing import CliRunner
from run_helpers import ICT, drop_email, report_email, run_cli
from web_helpers import invalid_report, web_workspace, ws_key

from pipeline.cli import main
from pipeline.web.links import agency_token
from pipeline.workspace import Workspace

A = "1033530001"
BASE = "https://rollup.sisaket-peo.example.go.th"


def _with_public_url(ws: Workspace) -> Workspace:
    path = ws.root / "edurollup.toml"
    path.write_text(path.read_text("utf-8").replace("[web]\n", f'[web]\npublic_url = "{BASE}/"\n'),
                    "utf-8")
    return Workspace.open(ws.root)


def _cover_texts(path) -> list[str]:
    return [str(c.value) for row in openpyxl.load_workbook(path).worksheets[0].iter_rows()
            for c in row if c.value is not None]


def test_template_cover_shows_the_agency_link_only_with_a_public_url(tmp_path):
    ws, _plan = web_workspace(tmp_path / "ws")
    args = ["template", "--fy", "2568", "--quarter", "3", "--agency", A, "--agency",
            "1033530002", "--workspace", str(ws.root)]
    res = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "plain")])
    assert res.exit_code == 0, res.output
    (plain,) = [p for p in (tmp_path / "plain").iterdir() if A in p.name]
    assert not any("/a/" in t for t in _cover_texts(plain))
    ws = _with_public_url(ws)
    res = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "linked")])
    assert res.exit_code == 0, res.output
    for path in (tmp_path / "linked").iterdir():
        code = A if A in path.name else "1033530002"
        assert f"{BASE}/a/{agency_token(ws, code)}/" in _cover_texts(path)


def test_reply_email_carries_the_senders_link(tmp_path):
    ws, plan = web_workspace(tmp_path / "ws")
    ws = _with_public_url(ws)
    drop_email(ws, "m1.eml", report_email(plan.agencies[A].sender_emails[0], "r.xlsx",
                                          invalid_report(plan, A, key=ws_key(ws)),
                                          datetime(2025, 4, 10, 9, tzinfo=ICT), "<m1@x.th>"))
    assert run_cli(ws).exit_code == 0
    (draft,) = ws.replies_dir.glob("*.eml")
    msg = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default)
    assert f"{BASE}/a/{agency_token(ws, A)}/" in msg.get_body(("plain",)).get_content()
