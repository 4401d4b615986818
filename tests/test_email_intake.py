"""E-mail intake: hostile attachment names, RFC 2231/2047 Thai names, Maildir, lock and
hidden files. What is extracted, from whom and when, and nothing written outside."""

from __future__ import annotations

import base64
import io
import os
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline import archive
from pipeline.collect import (
    EMPTY_ATTACHMENT,
    MAX_NAME,
    NO_ATTACHMENT,
    collect,
    message_arrivals,
    safe_name,
    trusted,
)
from pipeline.decide import decide
from pipeline.ledger import Ledger
from pipeline.workspace import Workspace

THAI_NAME = "รายงาน ไตรมาส 2.xlsx"
MAILDIR_MTIME = datetime(2025, 4, 12, 8, 15, 30, tzinfo=UTC)


def xlsx_bytes(text: str) -> bytes:
    wb = openpyxl.Workbook()
    wb.active["A1"] = text
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def part(disposition: str, data: bytes, ctype: str = "application/vnd.openxmlformats-"
         "officedocument.spreadsheetml.sheet") -> str:
    body = base64.encodebytes(data).decode()
    return (f"Content-Type: {ctype}\r\nContent-Disposition: {disposition}\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{body}")


def message(headers: str, parts: list[str]) -> bytes:
    b = "==b0undary=="
    text = (f"{headers}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n"
            f"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nส่งรายงานค่ะ\r\n")
    for p in parts:
        text += f"--{b}\r\n{p}\r\n"
    return (text + f"--{b}--\r\n").encode("utf-8")


def rfc2231_continued(name: str) -> str:
    """How mail programs send a long non-ASCII name: RFC 2231 in numbered segments (a
    segment boundary may fall inside a Thai character's UTF-8 bytes, never inside %XX)."""
    quoted = [urllib.parse.quote(bytes([b]), safe="") for b in name.encode("utf-8")]
    chunks = ["".join(quoted[i:i + 13]) for i in range(0, len(quoted), 13)]
    return "attachment;" + ";".join(f"\r\n filename*{i}*={'utf-8' + chr(39) * 2 if i == 0 else ''}"
                                    f"{c}" for i, c in enumerate(chunks))


CONTENT = {k: xlsx_bytes(k) for k in ("passwd", "evil", "ctrl", "thai", "rep1", "rep2", "b64")}
PDF = b"%PDF-1.4\n% a scanned letter\n"


@pytest.fixture
def inbox(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    ws.ensure()
    headers = ("From: =?utf-8?b?" + base64.b64encode("สมศรี ใจดี".encode()).decode()
               + "?= <NongWaeng@School.Example.TH>\r\n"
               "To: plan@sisaket-peo.example.go.th\r\nSubject: =?utf-8?b?"
               + base64.b64encode("รายงานไตรมาส 2".encode()).decode() + "?=\r\n"
               "Date: Thu, 10 Apr 2025 09:30:00 +0700\r\n"
               "Message-ID: <q2-report@school.example.th>\r\n")
    b64_name = "=?UTF-8?B?" + base64.b64encode("แบบรายงาน.xlsx".encode()).decode() + "?="
    parts = [
        part('attachment; filename="../../etc/passwd.xlsx"', CONTENT["passwd"]),
        part('attachment; filename="C:\\\\evil\\\\x.xlsx"', CONTENT["evil"]),
        part("attachment; filename*=utf-8''bad%00na%0Ame%0D.xlsx", CONTENT["ctrl"]),
        part(rfc2231_continued(THAI_NAME), CONTENT["thai"]),
        part('attachment; filename="report.xlsx"', CONTENT["rep1"]),
        part('attachment; filename="report.xlsx"', CONTENT["rep2"]),
        part(f'attachment; filename="{b64_name}"', CONTENT["b64"]),
        part('attachment; filename="scan.pdf"', PDF, "application/pdf"),
    ]
    (ws.inbox / "q2.eml").write_bytes(message(headers, parts))
    # a Maildir message without attachment and without a Date header
    for sub in ("new", "cur", "tmp"):
        (ws.maildir / sub).mkdir(parents=True)
    plain = ("From: Clerk <Clerk.KTL@school.example.th>\r\nSubject: hello\r\n"
             "Message-ID: <no-attach@school.example.th>\r\n\r\nลืมแนบไฟล์\r\n").encode()
    item = ws.maildir / "new" / "1744445730.M1P1.host"
    item.write_bytes(plain)
    os.utime(item, ns=(int(MAILDIR_MTIME.timestamp() * 1e9),) * 2)
    (ws.maildir / "tmp" / "1744445731.M2P1.host").write_bytes(message(headers, parts[:1]))
    # things that are never arrivals
    (ws.inbox / "~$report.xlsx").write_bytes(b"lock")
    (ws.inbox / ".hidden.xlsx").write_bytes(CONTENT["rep1"])
    (tmp_path / "outside.xlsx").write_bytes(CONTENT["rep1"])
    (ws.inbox / "link.xlsx").symlink_to(tmp_path / "outside.xlsx")
    return ws


def test_attachments_are_extracted_with_provenance(inbox):
    arrivals = collect(inbox)
    eml = [a for a in arrivals if a.source == "eml"]
    assert [a.original_name for a in eml] == [
        "../../etc/passwd.xlsx", "C:\\evil\\x.xlsx", "badname.xlsx", THAI_NAME, "report.xlsx",
        "report.xlsx", "แบบรายงาน.xlsx", "scan.pdf"]
    assert [a.safe_name for a in eml] == [
        "passwd.xlsx", "x.xlsx", "badname.xlsx", THAI_NAME, "report.xlsx", "report.xlsx",
        "แบบรายงาน.xlsx", "scan.pdf"]
    assert [a.part_index for a in eml] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [a.data for a in eml[:7]] == [CONTENT[k] for k in
                                         ("passwd", "evil", "ctrl", "thai", "rep1", "rep2", "b64")]
    for a in eml:
        assert a.source_path == "inbox/q2.eml"
        assert a.sender == "nongwaeng@school.example.th"
        assert a.sender_display == "สมศรี ใจดี"
        assert a.message_id == "<q2-report@school.example.th>"
        assert a.received_at == datetime(2025, 4, 10, 2, 30, tzinfo=UTC)
        assert not any(ch in a.safe_name for ch in "/\\\x00\n\r") and ".." not in a.safe_name
    assert [a.kind for a in eml] == ["workbook"] * 7 + ["not-a-workbook"]
    assert "PDF" in eml[-1].reason


def test_message_without_attachment_is_an_arrival_with_file_time(inbox):
    arrivals = [a for a in collect(inbox) if a.source == "maildir"]
    assert len(arrivals) == 1  # the tmp/ message is not picked up
    (a,) = arrivals
    assert a.source_path == "inbox/mail/new/1744445730.M1P1.host"
    assert (a.kind, a.reason, a.sender) == ("not-a-workbook", NO_ATTACHMENT,
                                             "clerk.ktl@school.example.th")
    assert a.received_at == MAILDIR_MTIME
    assert a.message_id == "<no-attach@school.example.th>"


def test_lock_hidden_and_linked_files_are_skipped(inbox):
    names = {a.source_path for a in collect(inbox)}
    assert names == {"inbox/q2.eml", "inbox/mail/new/1744445730.M1P1.host"}


def test_processing_everything_writes_nothing_outside_the_workspace(inbox, small_plan):
    root = inbox.root.parent
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*") if inbox.root not in p.parents}
    with Ledger(inbox.ledger_path) as ledger:
        for a in collect(inbox, seen=ledger.seen_item):
            stored = archive.store(inbox, a.sha256, a.data, a.suffix)
            assert stored.parent.parent == inbox.archive
            assert stored.name.startswith(a.sha256)
            d = decide(None, a, small_plan, trusted(inbox, a)) if not a.is_workbook else None
            if d is not None:
                ledger.record(a, None, d, None)
        for key in {a.item_key for a in collect(inbox)}:
            ledger.mark_item(*key)
        assert collect(inbox, seen=ledger.seen_item) == []  # a rerun finds nothing new
        codes = sorted(p["code"] for s in ledger.submissions() for p in ledger.problems(s["id"]))
    assert codes == ["file.unsupported-type", "intake.no-attachment"]
    after = {p: p.stat().st_mtime_ns for p in root.rglob("*") if inbox.root not in p.parents}
    assert after == before
    assert not list(root.rglob("passwd*")) and not (root.parent / "etc").exists()
    assert len(list(inbox.archive.rglob("*.*"))) == 9  # 7 workbooks, the pdf, the message


def test_seen_items_are_not_read_again(inbox, monkeypatch):
    calls = []

    def seen(path: str, size: int, mtime_ns: int) -> bool:
        st = (inbox.root / path).stat()
        calls.append((path, size == st.st_size, mtime_ns == st.st_mtime_ns))
        return True

    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"read {self}"))
    assert collect(inbox, seen=seen) == []
    assert sorted(calls) == [("inbox/mail/new/1744445730.M1P1.host", True, True),
                             ("inbox/q2.eml", True, True)]


def test_dropped_workbook_is_trusted_and_dated_by_mtime(tmp_path):
    ws = Workspace(tmp_path)
    ws.ensure()
    f = ws.inbox / "แบบรายงาน 1033530001.xlsx"
    f.write_bytes(CONTENT["rep1"])
    os.utime(f, ns=(int(MAILDIR_MTIME.timestamp() * 1e9),) * 2)
    (a,) = collect(ws)
    assert (a.source, a.sender, a.part_index, a.kind) == ("dropped", None, 0, "workbook")
    assert a.received_at == MAILDIR_MTIME and trusted(ws, a)
    (ws.root / "edurollup.toml").write_text("[intake]\ntrust_dropped_files = false\n")
    assert not trusted(Workspace.open(ws.root), a)


@given(st.text(max_size=400), st.integers(min_value=0, max_value=99))
def test_any_name_becomes_a_safe_file_name(name, index):
    safe = safe_name(name, index)
    assert safe and len(safe) <= MAX_NAME
    assert not any(ch in safe for ch in '/\\<>:"|?*') and ".." not in safe
    assert not safe.startswith(".") and safe == safe.strip()
    assert all(ch.isprintable() for ch in safe)
    assert Path("/ws/archive", safe).parent == Path("/ws/archive")


def test_empty_attachments_of_two_schools_are_not_duplicates(small_plan):
    arrivals = []
    for n, sender in enumerate(["nongwaeng@school.example.th", "admin@sriwittaya.example.th"]):
        raw = message(f"From: {sender}\r\nMessage-ID: <empty{n}@x>\r\n"
                      "Date: Fri, 11 Apr 2025 08:00:00 +0700\r\n",
                      [part('attachment; filename="report.xlsx"', b"")])
        (a,) = message_arrivals(raw, source="eml", source_path=f"inbox/{n}.eml", size=len(raw),
                                mtime_ns=0)
        assert (a.kind, a.reason, a.original_name, a.suffix) == (
            "not-a-workbook", EMPTY_ATTACHMENT, "report.xlsx", ".eml")
        d = decide(None, a, small_plan, trusted=False)
        assert (d.status, [p.code for p in d.problems]) == ("rejected", ["file.empty"])
        arrivals.append(a)
    assert arrivals[0].sha256 != arrivals[1].sha256
