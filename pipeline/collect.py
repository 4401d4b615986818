"""Collect what arrived in the inbox: dropped workbooks, ``.eml`` files and a Maildir.

Every attachment (and every dropped file) becomes an :class:`Arrival` with its provenance:
where it was found, who sent it, when, the Message-ID, and its bytes and SHA-256.
Nothing is silenced: a PDF, a photo or a message without any attachment also becomes an
Arrival (kind "not-a-workbook") so the sender gets a reply. Attachment names are untrusted:
they are only displayed; ``safe_name`` has no path in it and nothing here writes a file.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import email.utils
import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path, PurePath

from .workspace import Workspace

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
NO_ATTACHMENT = "no attachment"
EMPTY_ATTACHMENT = "empty attachment (0 bytes)"
MAX_NAME = 120  # characters kept of a sanitised name (suffix included)
WEB_QUEUE = "web-queue"  # under state/: submissions from the web page (pipeline/web/intake.py)

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected .xlsx
_MAGIC = [  # (prefix, what it is): for the "not a workbook" reason
    (b"%PDF", "PDF"), (b"\x89PNG", "PNG image"), (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"), (b"Rar!", "RAR archive"), (b"7z\xbc\xaf", "7-Zip archive"),
    (b"\x1f\x8b", "gzip archive"), (b"{\\rtf", "RTF document"),
]
_UNSAFE_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')

Seen = Callable[[str, int, int], bool]


@dataclass
class Arrival:
    """One file that arrived, with where it came from. ``data`` is the original bytes."""

    source: str  # "dropped" | "eml" | "maildir" | "web"
    source_path: str  # the inbox item, relative to the workspace ("inbox/mail/new/17..")
    part_index: int  # attachment number within the message (1, 2, ...); 0 for a file
    original_name: str  # decoded name as the sender gave it: display only
    safe_name: str  # no path separators, no "..", no control characters, bounded length
    sender: str | None  # lower-case address from From:; None for dropped files
    sender_display: str | None
    message_id: str | None
    received_at: datetime  # aware: Date: header, or the item's mtime
    data: bytes = field(repr=False)  # the message itself for "no attachment"/empty ones
    sha256: str = ""
    kind: str = "workbook"  # "workbook" | "not-a-workbook"
    reason: str | None = None  # why not a workbook ("PDF (.pdf)", "no attachment")
    item_size: int = 0  # the inbox item's size and mtime: Ledger.mark_item(*arrival.item_key)
    item_mtime_ns: int = 0
    subject: str | None = None
    sender_problem: str | None = None  # why From:/Sender: cannot be trusted (sender is None)

    def __post_init__(self) -> None:
        if not self.sha256:
            self.sha256 = hashlib.sha256(self.data).hexdigest()

    @property
    def suffix(self) -> str:
        """Lower-case extension of the safe name ('.xlsx'), '' if none: for the archive."""
        if self.reason in (NO_ATTACHMENT, EMPTY_ATTACHMENT):
            return ".eml"  # what is kept is the message itself
        return PurePath(self.safe_name).suffix.lower()

    @property
    def item_key(self) -> tuple[str, int, int]:
        return (self.source_path, self.item_size, self.item_mtime_ns)

    @property
    def is_workbook(self) -> bool:
        return self.kind == "workbook"


def trusted(ws: Workspace, arrival: Arrival) -> bool:
    """Dropped files come from office staff: trusted unless edurollup.toml says otherwise."""
    return arrival.source == "dropped" and ws.trust_dropped_files


# ---- names and kinds ------------------------------------------------------------------------
def safe_name(name: str | None, part_index: int = 0) -> str:
    """A name safe to show and to use as a file name: the last path component only, no
    control or reserved characters, not hidden, at most MAX_NAME characters."""
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[/\\]", text)[-1]
    if not text.isprintable():  # control, format, unassigned, surrogate: dropped
        text = "".join(ch if ch.isprintable() else " " if ch.isspace() and ch not in "\r\n"
                       else "" for ch in text)
    text = re.sub(r"\.{2,}", ".", _UNSAFE_CHARS.sub("_", " ".join(text.split())))
    while text != text.strip(" ."):  # no leading dot (hidden), no trailing dot or space
        text = text.strip(" .")
    if not text:
        text = f"attachment-{part_index}"
    if len(text) > MAX_NAME:
        suffix = PurePath(text).suffix
        suffix = suffix if 1 < len(suffix) <= 8 else ""
        text = text[: MAX_NAME - len(suffix)].rstrip(" .") + suffix
    return text


def classify(name: str, data: bytes) -> tuple[str, str | None]:
    """("workbook", None) or ("not-a-workbook", reason) from the extension and magic bytes.

    A workbook extension with zip or OLE2 content (or empty: the reader reports it) counts
    as a workbook; the reader then finds encrypted, corrupt or hostile files.
    """
    suffix = PurePath(name).suffix.lower()
    what = next((label for magic, label in _MAGIC if data.startswith(magic)), None)
    if suffix in WORKBOOK_SUFFIXES:
        if not data or data.startswith(_ZIP) or data.startswith(_OLE2):
            return "workbook", None
        head = data[:512].lstrip().lower()
        if what is None and head.startswith((b"<html", b"<!doctype", b"<?xml", b"<table")):
            what = "HTML/XML text"
        return "not-a-workbook", f"{what or 'unknown content'} named {suffix}"
    if what is None and data.startswith(_ZIP):
        what = "Word document" if b"word/" in data[:4096] else "zip archive"
    return "not-a-workbook", f"{what or 'file'} ({suffix or 'no extension'})"


def _skip_name(name: str) -> bool:
    """Hidden files and Office lock files ('~$report.xlsx') are never arrivals."""
    return name.startswith(".") or name.startswith("~$")


def _mtime(st: os.stat_result) -> datetime:
    return datetime.fromtimestamp(st.st_mtime, tz=UTC)


def _rel(ws: Workspace, path: Path) -> str:
    return path.relative_to(ws.root).as_posix()


# ---- e-mail ---------------------------------------------------------------------------------
def _header(msg: EmailMessage, name: str) -> str | None:
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 - a malformed header must not stop the intake
        return None
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
#: RFC 5322 addr-spec as a mailbox is written in practice: dot-atom local part, host name.
#: No quoted local part, no domain literal, no comments, nothing outside ASCII.
ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})*")
_FIELD = re.compile(rb"(?i)([!-9;-~]+)[ \t]*:(.*)")
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
MAX_DISPLAY = 200
#: Parser defects that say nothing about who sent it: RFC 5322's obsolete phrase allows a
#: "." in an unquoted display name, which Thai names use ("ร.ร.บ้านหนองแวง", "สพป.ศก.1").
TOLERATED_DEFECTS = frozenset({"period in 'phrase'"})


def raw_fields(raw: bytes, name: str) -> list[str]:
    """The unfolded values of every header field ``name`` as the message's bytes hold them
    (not as Python's parser kept them): two From: lines, a "From :" with a space, stay two."""
    blank = _BLANK_LINE.search(raw)  # stops at the header block's end: no body is scanned
    head = raw[: blank.start()] if blank else raw
    unfolded = re.sub(rb"\r?\n[ \t]", b" ", head)
    values = []
    for line in unfolded.splitlines():
        m = _FIELD.match(line)
        if m and m.group(1).lower() == name.lower().encode():
            values.append(m.group(2).decode("utf-8", "replace").strip())
    return values


def _printable(text: str) -> str:
    text = "".join(ch for ch in text if ch.isprintable() or ch == " ")
    return " ".join(text.split())[:MAX_DISPLAY]


def _one_mailbox(field: str, value: str) -> tuple[str | None, str, str | None]:
    """(lower-case address, display name, None) when ``value`` is exactly one plain mailbox,
    else (None, "", why)."""
    header = email.policy.default.header_factory(field, value)
    defects = [d for d in header.defects if str(d) not in TOLERATED_DEFECTS]
    if defects:
        return None, "", f"{field}: is malformed ({defects[0]})"
    if any(g.display_name is not None for g in header.groups):
        return None, "", f"{field}: uses group syntax"
    if len(header.addresses) != 1:
        return None, "", f"{field}: holds {len(header.addresses)} addresses"
    found = header.addresses[0]
    address = found.addr_spec
    if not ADDRESS.fullmatch(address):
        return None, "", f"{field}: address {address!r} is not a plain address"
    angle = re.findall(r"<([^<>]*)>", value)
    if "=?" in "".join(angle) or address.lower() not in value.lower():
        return None, "", f"{field}: address is encoded or split, not written plainly"
    return address.lower(), _printable(_display(value, found.display_name)), None


def _display(value: str, parsed: str) -> str:
    """The display name as written: adjacent encoded words joined as RFC 2047 says (Python's
    address parser puts a space between them, which splits a Thai word: "ศึกษาธิ การ")."""
    if "=?" not in value or "<" not in value:
        return parsed
    phrase = value[: value.index("<")].strip()
    try:
        text = str(email.header.make_header(email.header.decode_header(phrase)))
    except Exception:  # noqa: BLE001 - an odd phrase: the parser's reading will do
        return parsed
    if len(phrase) >= 2 and phrase[0] == phrase[-1] == '"' and text[:1] == text[-1:] == '"':
        text = re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def check_sender(raw: bytes) -> tuple[str | None, str | None, str | None]:
    """(address, display name, problem) of the message's one sender.

    The office trusts the registered From: address (its mailbox provider checks the From:
    domain), so From: must say one thing: exactly one From: field holding exactly one valid
    address, with no parser defect, the address written plainly (no encoded word, no quoted
    or commented local part), and no Sender: naming someone else. Anything else gives
    (None, the raw From: text for the office, why): the run quarantines it and replies to
    nobody. Raw UTF-8 display names (Thai) are fine.
    """
    froms = raw_fields(raw, "From")
    shown = _printable(" | ".join(froms)) or None
    if not froms:
        return None, None, "no From: field"
    if len(froms) > 1:
        return None, shown, f"{len(froms)} From: fields"
    address, display, why = _one_mailbox("From", froms[0])
    if why:
        return None, shown, why
    senders = raw_fields(raw, "Sender")
    if len(senders) > 1:
        return None, shown, f"{len(senders)} Sender: fields"
    if senders:
        other, _, why = _one_mailbox("Sender", senders[0])
        if why:
            return None, shown, why
        if other != address:
            return None, shown, f"Sender: {other} is not the From: address"
    return address, display or None, None


def _date(msg: EmailMessage, fallback: datetime) -> datetime:
    raw = _header(msg, "Date")
    if not raw:
        return fallback
    try:
        value = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return fallback
    if value is None:
        return fallback
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _filename(part: EmailMessage) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        name = None
    if name and "=?" in name:  # RFC 2047 inside a quoted parameter (common, not standard)
        try:
            name = str(email.header.make_header(email.header.decode_header(name)))
        except Exception:  # noqa: BLE001
            pass
    return name


def _attachments(msg: EmailMessage) -> list[tuple[str | None, bytes]]:
    """(name, bytes) of every attachment, depth first; inline body images are skipped."""
    found: list[tuple[str | None, bytes]] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        name = _filename(part)
        if disposition != "attachment" and not name:
            continue  # the message body
        if (disposition == "inline" and part.get("Content-ID")
                and part.get_content_maintype() == "image"):
            continue  # a picture inside an HTML body (signature logo)
        try:
            payload = part.get_payload(decode=True)
        except Exception:  # noqa: BLE001
            payload = None
        if payload is None:
            payload = str(part.get_payload()).encode("utf-8", "replace")
        found.append((name, payload))
    return found


def message_arrivals(raw: bytes, *, source: str, source_path: str, size: int,
                     mtime_ns: int) -> list[Arrival]:
    """The arrivals of one e-mail message (one per attachment, or one 'no attachment')."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    fallback = datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC)
    sender, display, sender_problem = check_sender(raw)
    common = dict(source=source, source_path=source_path, sender=sender, sender_display=display,
                  sender_problem=sender_problem,
                  message_id=_header(msg, "Message-ID"), received_at=_date(msg, fallback),
                  item_size=size, item_mtime_ns=mtime_ns, subject=_header(msg, "Subject"))
    arrivals = []
    for index, (name, data) in enumerate(_attachments(msg), start=1):
        original = "".join(ch for ch in (name or "") if ch.isprintable() or ch.isspace())
        original = " ".join(original.replace("\n", "").replace("\r", "").split())
        original = original or f"attachment-{index}"
        safe = safe_name(name, index)
        kind, reason = classify(safe, data)
        if not data:
            # 0 bytes hash alike for every sender: keep the message instead, so one school's
            # empty attachment is never "a duplicate" of another's
            kind, reason, data = "not-a-workbook", EMPTY_ATTACHMENT, raw
        arrivals.append(Arrival(part_index=index, original_name=original, safe_name=safe,
                                data=data, kind=kind, reason=reason, **common))
    if not arrivals:
        # Nothing attached: archive the message itself so the reply has something to cite.
        arrivals.append(Arrival(part_index=0, original_name=common["subject"] or "(no subject)",
                                safe_name="message.eml", data=raw, kind="not-a-workbook",
                                reason=NO_ATTACHMENT, **common))
    return arrivals


# ---- the inbox ----------------------------------------------------------------------------------
def _scan(folder: str, rel: str) -> Iterator[tuple[str, str, os.DirEntry[str]]]:
    """(kind, relative path, entry) below ``folder``, files before folders, by name; hidden
    and lock files, links and anything not a plain file or folder skipped. os.scandir keeps
    a rerun over tens of thousands of items to one stat call each."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: (e.is_dir(follow_symlinks=False), e.name))
    except OSError:
        return
    for entry in entries:
        if _skip_name(entry.name) or entry.is_symlink():
            continue  # a link could point outside the workspace
        path = f"{rel}/{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            yield "dir", path, entry
        elif entry.is_file(follow_symlinks=False):
            yield "file", path, entry


def _inbox_items(ws: Workspace) -> Iterator[tuple[str, str, os.DirEntry[str]]]:
    """(source, workspace-relative path, entry) of every inbox item, in a stable order."""
    maildir_rel = _rel(ws, ws.maildir)

    def walk(folder: str, rel: str) -> Iterator[tuple[str, str, os.DirEntry[str]]]:
        for kind, path, entry in _scan(folder, rel):
            if kind == "dir":
                if path == maildir_rel:
                    for sub in ("new", "cur"):  # never tmp/ (messages being written)
                        for k2, p2, e2 in _scan(os.path.join(entry.path, sub), f"{path}/{sub}"):
                            if k2 == "file":
                                yield "maildir", p2, e2
                else:
                    yield from walk(entry.path, path)
            elif entry.name.lower().endswith(".eml"):
                yield "eml", path, entry
            else:
                yield "dropped", path, entry

    if ws.inbox.is_dir():
        yield from walk(str(ws.inbox), _rel(ws, ws.inbox))


def iter_arrivals(ws: Workspace, seen: Seen | None = None) -> Iterator[Arrival]:
    """Arrivals one inbox item at a time (memory stays flat for big inboxes).

    ``seen(source_path, size, mtime_ns)`` (e.g. ``Ledger.seen_item``) skips items already
    processed before their bytes are read.
    """
    for source, rel, entry in _inbox_items(ws):
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if seen is not None and seen(rel, st.st_size, st.st_mtime_ns):
            continue
        try:
            with open(entry.path, "rb") as fh:
                data = fh.read()
        except OSError:
            continue  # vanished or unreadable right now: next run
        if source == "dropped":
            safe = safe_name(entry.name)
            kind, reason = classify(safe, data)
            yield Arrival(source="dropped", source_path=rel, part_index=0,
                          original_name=entry.name, safe_name=safe, sender=None,
                          sender_display=None, message_id=None, received_at=_mtime(st),
                          data=data, kind=kind, reason=reason, item_size=st.st_size,
                          item_mtime_ns=st.st_mtime_ns)
        else:
            yield from message_arrivals(data, source=source, source_path=rel,
                                        size=st.st_size, mtime_ns=st.st_mtime_ns)
    yield from web_arrivals(ws, seen)


def web_arrivals(ws: Workspace, seen: Seen | None = None) -> Iterator[Arrival]:
    """Submissions the web page queued in ``state/web-queue/`` (``<id>.json`` written
    after its ``<id>.data``, both atomically), oldest first. The sender is the agency of
    the clerk's link; the name the browser gave is display only, as for e-mail."""
    folder = ws.state / WEB_QUEUE
    try:
        with os.scandir(folder) as it:
            entries = [e for e in it if e.name.endswith(".json") and not _skip_name(e.name)
                       and e.is_file(follow_symlinks=False)]
    except OSError:
        return
    items = []
    for entry in entries:
        rel = f"{_rel(ws, ws.state)}/{WEB_QUEUE}/{entry.name}"
        try:
            st = entry.stat(follow_symlinks=False)
            if seen is not None and seen(rel, st.st_size, st.st_mtime_ns):
                continue
            meta = json.loads(Path(entry.path).read_text("utf-8"))
            data = (folder / PurePath(str(meta["data"])).name).read_bytes()
            received = datetime.fromisoformat(meta["received_at"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being written, or not ours: never half an arrival
        items.append((received, entry.name, rel, st, meta, data))
    for received, _name, rel, st, meta, data in sorted(items, key=lambda i: (i[0], i[1])):
        safe = safe_name(meta.get("original_name"))
        kind, reason = classify(safe, data)
        yield Arrival(source="web", source_path=rel, part_index=0,
                      original_name=str(meta.get("original_name") or safe), safe_name=safe,
                      sender=str(meta["agency_code"]), sender_display="web link",
                      message_id=None, received_at=received, data=data, kind=kind,
                      reason=reason, item_size=st.st_size, item_mtime_ns=st.st_mtime_ns)


def collect(ws: Workspace, seen: Seen | None = None) -> list[Arrival]:
    """Every new arrival in the workspace's inbox (see :func:`iter_arrivals`)."""
    return list(iter_arrivals(ws, seen))
