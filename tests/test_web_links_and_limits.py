"""Clerks' links and the page's limits, through the application itself (Flask's test
client, no browser): unguessable per-agency tokens derived from the workspace key,
rotation and revocation (live, no restart) answering exactly like a missing page, the
size limit (equal passes, one byte over does not), the rate limit per link, CSRF on
submit, a file of another agency refused, uploads never named after the browser's file
name, checking never touching the ledger, the link on the template's cover and in the
reply e-mail, and the office page behind its password."""

from __future__ import annotations

import base64
import io
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from web_helpers import OFFICE_PASSWORD, invalid_report, valid_report, web_workspace, ws_key

from pipeline import replies
from pipeline.templates import build_template
from pipeline.web import intake
from pipeline.web.app import create_app
from pipeline.web.links import agency_token, clerk_url, link_token, public_links
from pipeline.workspace import Workspace

A, B = "1033530001", "1033530002"


def _client(ws: Workspace):
    return create_app(ws.root).test_client()


def _upload(client, token: str, data: bytes, name: str = "รายงาน.xlsx"):
    return client.post(f"/a/{token}/check", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _set_web(ws: Workspace, text: str) -> Workspace:
    """Append ``text`` (tables after [web]) to edurollup.toml, with a new mtime."""
    path = ws.root / "edurollup.toml"
    path.write_text(path.read_text("utf-8") + text, "utf-8")
    st = path.stat()  # a different mtime even within the clock's resolution
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    return Workspace.open(ws.root)


def _web_setting(ws: Workspace, line: str) -> Workspace:
    """Add ``line`` (key = value) to the [web] table."""
    path = ws.root / "edurollup.toml"
    path.write_text(path.read_text("utf-8").replace("[web]\n", f"[web]\n{line}\n"), "utf-8")
    return Workspace.open(ws.root)


@pytest.fixture
def site(tmp_path):
    return web_workspace(tmp_path / "ws")


def test_tokens_are_per_agency_keyed_and_stable(site, tmp_path):
    ws, plan = site
    ta, tb = agency_token(ws, A), agency_token(ws, B)
    assert re.fullmatch(r"[0-9a-f]{32}", ta) and ta != tb
    assert agency_token(Workspace.open(ws.root), A) == ta  # same workspace, same link
    other, _ = web_workspace(tmp_path / "other")
    assert agency_token(other, A) != ta  # another workspace key, another link
    key = (ws.state / "secret.key").read_bytes()
    assert link_token(key, A, 2) != link_token(key, A, 1)
    assert ta not in (ws.root / "edurollup.toml").read_text("utf-8")
    assert ta not in (ws.plan_file(2568)).read_bytes().decode("latin-1")


def test_wrong_rotated_and_revoked_links_look_like_a_missing_page(site):
    ws, _plan = site
    client = _client(ws)
    old = agency_token(ws, A)
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert client.get(f"/a/{old}/").status_code == 200
    for bad in ("0" * 32, old[:-1] + ("0" if old[-1] != "0" else "1"), old[:31], "x"):
        r = client.get(f"/a/{bad}/")
        assert (r.status_code, r.data) == (404, missing.data)
    ws = _set_web(ws, "[web.links.version]\n\"1033530001\" = 2\n")
    new = agency_token(ws, A)
    assert new != old
    r = client.get(f"/a/{old}/")  # the running app sees the change: no restart
    assert (r.status_code, r.data) == (404, missing.data)
    assert client.get(f"/a/{new}/").status_code == 200
    assert client.post(f"/a/{old}/check").status_code == 404
    ws = _set_web(ws, "[web.links]\nrevoked = [\"1033530001\"]\n")
    assert agency_token(ws, A) is None and clerk_url(ws, A, "http://x") is None
    r = client.get(f"/a/{new}/")
    assert (r.status_code, r.data) == (404, missing.data)
    assert client.get(f"/a/{agency_token(ws, B)}/").status_code == 200


def test_checking_never_touches_the_ledger_and_keeps_no_client_name(site):
    ws, plan = site
    client = _client(ws)
    token = agency_token(ws, A)
    r = _upload(client, token, invalid_report(plan, A, key=ws_key(ws)), name="../../../etc/รายงาน ร่าง.xlsx")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'data-code="value.not-a-number"' in page
    assert "รายงาน ร่าง.xlsx" in page and "../" not in page
    assert not ws.ledger_path.exists()
    kept = sorted(p.name for p in (ws.state / "web" / "checks").iterdir())
    assert len(kept) == 2 and all(re.fullmatch(r"[0-9a-f]{32}\.(xlsx|json)", n) for n in kept)
    assert not list(ws.root.rglob("*รายงาน*"))


def test_size_limit_exactly_equal_passes_one_byte_over_does_not(site):
    ws, plan = site
    data = valid_report(plan, A, key=ws_key(ws))
    ws = _web_setting(ws, f"max_upload_bytes = {len(data)}")
    client = _client(ws)
    token = agency_token(ws, A)
    assert 'id="submit-form"' in _upload(client, token, data).get_data(as_text=True)
    r = _upload(client, token, data + b"\0")
    assert r.status_code == 413 and 'data-status="413"' in r.get_data(as_text=True)


def test_rate_limit_per_link(site):
    ws, plan = site
    ws = _web_setting(ws, "uploads_per_window = 3\nwindow_seconds = 600")
    client = _client(ws)
    data = valid_report(plan, A, key=ws_key(ws))
    ta, tb = agency_token(ws, A), agency_token(ws, B)
    assert [_upload(client, ta, data).status_code for _ in range(3)] == [200, 200, 200]
    r = _upload(client, ta, data)
    assert r.status_code == 429 and 'data-status="429"' in r.get_data(as_text=True)
    assert _upload(client, tb, valid_report(plan, B, key=ws_key(ws))).status_code == 200  # per link


def test_submit_needs_the_csrf_token_and_queues_once(site):
    ws, plan = site
    client = _client(ws)
    token = agency_token(ws, A)
    page = _upload(client, token, valid_report(plan, A, key=ws_key(ws))).get_data(as_text=True)
    check_id = re.search(r"/check/([0-9a-f]{32})/submit", page).group(1)
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    url = f"/a/{token}/check/{check_id}/submit"
    for bad in ({}, {"csrf": ""}, {"csrf": "0" * 32}, {"csrf": csrf[:-1]}):
        assert client.post(url, data=bad).status_code == 400
    assert intake.waiting(ws) == []
    other = agency_token(ws, B)  # another agency's link cannot submit this check
    assert client.post(f"/a/{other}/check/{check_id}/submit",
                       data={"csrf": csrf}).status_code == 404
    first = client.post(url, data={"csrf": csrf})
    second = client.post(url, data={"csrf": csrf})  # a double click
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert intake.waiting(ws) == [check_id]
    queued = sorted(p.name for p in (ws.state / "web-queue").iterdir())
    assert queued == [f"{check_id}.data", f"{check_id}.json"]
    receipt = client.get(first.headers["Location"]).get_data(as_text=True)
    assert 'id="receipt-queued"' in receipt and 'http-equiv="refresh"' in receipt


def test_a_file_of_another_agency_cannot_be_submitted_through_my_link(site):
    ws, plan = site
    client = _client(ws)
    token = agency_token(ws, B)
    r = _upload(client, token, valid_report(plan, A, key=ws_key(ws)))  # A's file through B's link
    page = r.get_data(as_text=True)
    assert 'data-code="intake.sender-not-registered"' in page
    assert 'id="submit-form"' not in page
    check_id = re.search(r'data-check="([0-9a-f]{32})"', page).group(1)
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert csrf is None
    assert client.post(f"/a/{token}/check/{check_id}/submit",
                       data={"csrf": "x"}).status_code == 400
    assert intake.waiting(ws) == []


def test_security_headers_and_no_referrer(site):
    ws, _plan = site
    r = _client(ws).get(f"/a/{agency_token(ws, A)}/")
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["Cache-Control"] == "no-store"
    assert "<script>" not in r.get_data(as_text=True)  # scripts only from /static/


def test_office_page_needs_its_credential(site, tmp_path):
    ws, _plan = site
    client = _client(ws)
    assert client.get("/office/").status_code == 401
    auth = base64.b64encode(f"office:{OFFICE_PASSWORD}".encode()).decode()
    r = client.get("/office/", headers={"Authorization": f"Basic {auth}"})
    assert r.status_code == 200 and 'id="no-ledger"' in r.get_data(as_text=True)
    assert client.get("/office/../state/secret.key",
                      headers={"Authorization": f"Basic {auth}"}).status_code == 404
    plain, _ = web_workspace(tmp_path / "plain")
    text = (plain.root / "edurollup.toml").read_text("utf-8")
    (plain.root / "edurollup.toml").write_text(
        re.sub(r"office_password_hash = .*\n", "", text), "utf-8")
    no_office = _client(Workspace.open(plain.root))
    assert no_office.get("/office/").status_code == 404  # no credential: no office page


def test_link_on_the_template_cover_and_in_the_reply_only_with_a_public_url(site):
    ws, plan = site
    assert public_links(ws, plan) == {}
    assert clerk_url(ws, A) is None
    ws = _web_setting(ws, 'public_url = "https://rollup.example.go.th/"')
    links = public_links(ws, plan)
    url = f"https://rollup.example.go.th/a/{agency_token(ws, A)}/"
    assert links[A] == url == clerk_url(ws, A)
    wb = build_template(plan, A, 2, web_link=links[A])
    buf = io.BytesIO()
    wb.save(buf)
    cover = openpyxl.load_workbook(buf).worksheets[0]
    cells = {c.value: c for row in cover.iter_rows() for c in row if c.value}
    assert url in cells and cells[url].hyperlink.target == url
    facts = replies.ReplyFacts(sha256="ab" * 32, original_name="r.xlsx",
                               sender="nongwaeng@school.example.th", status="rejected",
                               decided_at=datetime(2025, 4, 10, tzinfo=UTC), agency_code=A,
                               web_link=url)
    assert url in replies.body(facts)
    assert url not in replies.body(
        replies.ReplyFacts(**{**facts.__dict__, "web_link": None}))


def test_web_submissions_get_no_reply_draft(tmp_path):
    facts = replies.ReplyFacts(sha256="cd" * 32, original_name="r.xlsx", sender=A,
                               status="accepted", decided_at=datetime(2025, 4, 10, tzinfo=UTC))
    assert replies.write_draft(Path(tmp_path), facts, "office@example.go.th") is None
    assert not list(Path(tmp_path).iterdir())


def _set_registry_link(ws: Workspace, code: str, value: object) -> str:
    """Type ``value`` into the agency's web-link cell of the plan's registry, as a planner
    would in Excel, and save (a new mtime: the running app reloads the plan)."""
    import schemas

    path = ws.plan_file(2568)
    book = openpyxl.load_workbook(path)
    spec = schemas.PLAN_AGENCIES
    sheet = book[spec.name]
    header = {c.value: c.column for c in sheet[spec.header_row]}
    col = header[spec.column("web_link").header]
    (row,) = [r for r in range(spec.header_row + 1, sheet.max_row + 1)
              if str(sheet.cell(r, 1).value) == code]
    sheet.cell(row, col).value = value
    book.save(path)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    return sheet.cell(row, col).coordinate


def test_the_plans_registry_rotates_and_revokes_a_link(site):
    ws, _plan = site
    client = _client(ws)
    missing = client.get("/no/such/page")
    first = agency_token(ws, A)
    assert client.get(f"/a/{first}/").status_code == 200
    _set_registry_link(ws, A, 2)  # the planner issues a new link
    second = agency_token(ws, A)
    assert second not in (None, first) and second == link_token(
        (ws.state / "secret.key").read_bytes(), A, 2)
    assert (client.get(f"/a/{first}/").status_code, client.get(f"/a/{first}/").data) == (
        404, missing.data)
    assert client.get(f"/a/{second}/").status_code == 200
    _set_registry_link(ws, A, "ยกเลิก")  # and then turns it off
    assert agency_token(ws, A) is None and clerk_url(ws, A, "http://x") is None
    r = client.get(f"/a/{second}/")
    assert (r.status_code, r.data) == (404, missing.data)
    assert client.get(f"/a/{agency_token(ws, B)}/").status_code == 200  # others untouched
    # the settings still win over the registry: the office can re-open it without the plan
    ws = _set_web(ws, "[web.links.version]\n\"1033530001\" = 3\n")
    assert client.get(f"/a/{agency_token(ws, A)}/").status_code == 200


def test_a_web_link_cell_the_plan_cannot_read_is_an_error_at_its_cell(site):
    from pipeline.plan_load import check_plan, load_plan

    ws, _plan = site
    _set_registry_link(ws, A, "๒")  # Thai digit: version 2
    assert load_plan(ws.plan_file(2568)).agencies[A].web_link == 2
    cell = _set_registry_link(ws, A, "รุ่นใหม่")
    problems = [p for p in check_plan(ws.plan_file(2568)) if p.code == "plan.bad-web-link"]
    assert [(p.cell, p.value, p.is_error) for p in problems] == [(cell, "รุ่นใหม่", True)]
