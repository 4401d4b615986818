"""outbox/status.html in a real headless browser (Debian's chromium): the figures of the
quarter, who is missing, who was rejected and why with a working relative link to the
feedback file, and when the run happened. The screenshot is kept in tests/artifacts/."""

import re
import shutil
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from rollup_helpers import scenario_copy

from pipeline.plan_load import load_plan
from pipeline.status_page import write_status_page

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).parent / "artifacts"


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.skip("chromium is NOT installed: run `make sysdeps` (apt-get install chromium) "
                    "to check the status page in a real browser")
    return exe


def _browser(exe: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120)


class _Text(HTMLParser):
    """id -> text of elements with an id, and every link's href."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str | None] = []
        self.text: dict[str, str] = {}
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag not in ("br", "meta", "link", "img"):
            self.stack.append(a.get("id"))
            if a.get("id"):
                self.text.setdefault(a["id"], "")

    def handle_endtag(self, tag):
        if tag not in ("br", "meta", "link", "img") and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        for i in self.stack:
            if i:
                self.text[i] += data


@pytest.fixture
def scenario(tmp_path_factory, tmp_path):
    return scenario_copy(tmp_path_factory, tmp_path)


def test_status_page_in_a_real_browser(scenario, tmp_path):
    exe = _chromium()
    ws, _, _ = scenario
    run_time = datetime(2025, 4, 18, 1, 30, tzinfo=UTC)  # 08:30 Thai time
    page = write_status_page(ws, 2568, 2, run_time, plan=load_plan(ws.plan_file(2568)))
    assert page == ws.outbox / "status.html"

    dom = _browser(exe, tmp_path / "profile", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    parsed = _Text()
    parsed.feed(dom.stdout)
    t = parsed.text
    counts = {k: int(re.match(r"\s*(\d+)", t[f"count-{k}"]).group(1))
              for k in ("expected", "submitted", "on_time", "late", "rejected", "missing")}
    assert counts == {"expected": 5, "submitted": 3, "on_time": 2, "late": 1, "rejected": 1,
                      "missing": 1}
    assert t["run-time"] == "18 เม.ย. 2568 08:30 น."
    assert "ยังไม่ส่ง (missing)" in t["agency-33010000"]
    assert "plan@sisaket1.example.go.th" in t["agency-33010000"]  # whom to chase
    assert "ถูกส่งคืน" in t["agency-2033000201"]
    assert "ส่งล่าช้า (late)" in t["agency-1333000101"]
    assert "หนึ่งแสน" in t["rejected"]  # why: the value the sender typed

    feedback = [h for h in parsed.links if h.startswith("feedback/")]
    assert feedback, parsed.links
    for href in feedback:
        assert (ws.outbox / unquote(href)).is_file()  # relative to outbox/status.html
    assert "2568/Q2/rollup-2568-Q2.xlsx" in parsed.links

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "status-page.png"
    shot.unlink(missing_ok=True)
    res = _browser(exe, tmp_path / "profile2", f"--screenshot={shot}", "--window-size=1280,2000",
                   page.as_uri())
    assert res.returncode == 0, res.stderr[-2000:]
    assert shot.stat().st_size > 10_000


def test_same_inputs_same_page(scenario):
    ws, _, _ = scenario
    plan = load_plan(ws.plan_file(2568))
    run_time = datetime(2025, 4, 18, 1, 30, tzinfo=UTC)
    page = write_status_page(ws, 2568, 2, run_time, plan=plan)
    first = page.read_bytes()
    before = page.stat().st_mtime_ns
    write_status_page(ws, 2568, 2, run_time, plan=plan)
    assert page.read_bytes() == first and page.stat().st_mtime_ns == before
    text = first.decode("utf-8")
    assert "<script" not in text and 'charset="utf-8"' in text
