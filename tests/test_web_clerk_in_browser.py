"""The whole clerk's loop in a real browser (Debian's chromium through chromedriver)
against the real server (``edurollup serve``) on loopback: drop an invalid report, read
every problem with its sheet and cell on the page, download the annotated workbook and
open it, then a valid one: submit, see the receipt, and the ledger and
``edurollup status`` change. The office's live status page needs its password."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from run_helpers import ledger_rows
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from web_helpers import (
    OFFICE_PASSWORD,
    browser_or_skip,
    chrome,
    invalid_report,
    request,
    running_server,
    valid_report,
    web_workspace,
    ws_key,
)

from pipeline.cli import main

pytestmark = pytest.mark.slow
AGENCY = "1033530001"
ARTIFACTS = Path(__file__).parent / "artifacts"


def _status_of(ws, code: str) -> dict:
    res = CliRunner().invoke(main, ["status", "--fy", "2568", "--quarter", "2", "--json",
                                    "--workspace", str(ws.root)])
    assert res.exit_code == 0, res.output
    return next(r for r in json.loads(res.output) if r["agency_code"] == code)


def _ledger_untouched(ws) -> bool:
    """No ledger, or one without any arrival (``status`` may have opened it)."""
    if not ws.ledger_path.exists():
        return True
    con = sqlite3.connect(f"file:{ws.ledger_path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        return "arrivals" not in tables or not con.execute(
            "SELECT COUNT(*) FROM arrivals").fetchone()[0]
    finally:
        con.close()


def test_clerk_checks_downloads_feedback_and_submits(tmp_path):
    browser_or_skip()
    ws, plan = web_workspace(tmp_path / "ws")
    files = tmp_path / "clerk"
    files.mkdir()
    bad = files / "รายงานไตรมาส 2 (ร่าง).xlsx"
    bad.write_bytes(invalid_report(plan, AGENCY, key=ws_key(ws)))
    good = files / "รายงานไตรมาส 2.xlsx"
    good.write_bytes(valid_report(plan, AGENCY, key=ws_key(ws)))
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    before = _status_of(ws, AGENCY)
    assert before["state"] == "missing"

    with running_server(ws, tmp_path) as server:
        link = server.link(AGENCY)
        driver = chrome(downloads)
        wait = WebDriverWait(driver, 60)
        try:
            driver.get(link)
            assert "โรงเรียนบ้านหนองแวง" in driver.find_element(By.ID, "agency").text
            # an invalid file: dropped into the form (the script submits on change)
            driver.find_element(By.ID, "file").send_keys(str(bad))
            wait.until(ec.presence_of_element_located((By.ID, "problems")))
            assert "ข้อผิดพลาด" in driver.find_element(By.ID, "verdict").text
            rows = driver.find_elements(By.CSS_SELECTOR, "#problems tbody tr")
            on_page = [(r.get_attribute("data-code"), r.find_element(By.CLASS_NAME, "cell").text,
                        r.find_element(By.CLASS_NAME, "message").text.split("\n")[0])
                       for r in rows]
            cells = {c for _code, c, _m in on_page}
            assert {"F6", "H7"} <= cells, on_page  # Thai words for a number; over allocation
            first = rows[0]
            assert first.find_element(By.CLASS_NAME, "sheet").text  # a sheet name
            assert first.find_element(By.CLASS_NAME, "fix").text  # and the fix
            assert driver.find_elements(By.ID, "submit-button") == []  # cannot be sent
            assert "รายงานไตรมาส 2 (ร่าง).xlsx" in driver.find_element(By.ID, "file-name").text

            # the annotated workbook, as the nightly run would attach it
            driver.find_element(By.ID, "feedback-link").click()
            deadline = time.monotonic() + 30
            got: list[Path] = []
            while time.monotonic() < deadline:
                got = [p for p in downloads.glob("*.xlsx")]
                if got and not list(downloads.glob("*.crdownload")):
                    break
                time.sleep(0.2)
            assert len(got) == 1, list(downloads.iterdir())
            assert got[0].name == "รายงานไตรมาส 2 (ร่าง)-feedback.xlsx"
            wb = openpyxl.load_workbook(got[0])
            assert wb.sheetnames[0] == "ปัญหา (Problems)"
            sheet = wb.worksheets[0]
            in_book = [(sheet.cell(r, 9).value, sheet.cell(r, 4).value or "",
                        str(sheet.cell(r, 7).value).split("\n")[0])
                       for r in range(5, sheet.max_row + 1) if sheet.cell(r, 9).value]
            assert in_book == on_page  # the same problems, cells and words, in order

            # nothing was recorded by checking
            assert _ledger_untouched(ws)

            # a valid file: submitted
            driver.get(link)
            driver.find_element(By.ID, "file").send_keys(str(good))
            wait.until(ec.presence_of_element_located((By.ID, "verdict")))
            assert "ส่งได้" in driver.find_element(By.ID, "verdict").text
            driver.find_element(By.ID, "submit-button").click()
            wait.until(ec.text_to_be_present_in_element((By.ID, "receipt-status"),
                                                         "รับรายงานแล้ว"))
            sha = driver.find_element(By.ID, "receipt-sha").text
            assert len(sha) == 64
            assert "ส่งล่าช้า (late)" in driver.find_element(By.ID, "receipt-late").text
            assert "2569" in driver.find_element(By.ID, "receipt-time").text  # BE year
            ARTIFACTS.mkdir(exist_ok=True)
            driver.save_screenshot(str(ARTIFACTS / "web-receipt.png"))
        finally:
            driver.quit()

        # the ledger: one web arrival, recorded under the link's agency
        arrivals = ledger_rows(ws, "SELECT * FROM arrivals WHERE source = 'web'")
        assert len(arrivals) == 1 and arrivals[0]["sender"] == AGENCY
        subs = ledger_rows(ws, "SELECT * FROM submissions WHERE sha256 = ?", (sha,))
        assert [(s["status"], s["agency_code"], s["quarter"], s["late"]) for s in subs] == [
            ("accepted", AGENCY, 2, 1)]
        assert (ws.archive / sha[:2]).is_dir()  # archived like an e-mailed file
        after = _status_of(ws, AGENCY)
        assert after["state"] == "late"

        # the office's live page: password needed, then it shows the submission
        status, _h, _b = request("GET", server.base + "/office/")
        assert status == 401
        auth = base64.b64encode(f"office:{OFFICE_PASSWORD}".encode()).decode()
        status, _h, body = request("GET", server.base + "/office/",
                                   headers={"Authorization": f"Basic {auth}"})
        text = body.decode()
        assert status == 200 and 'id="agency-1033530001"' in text
        row = text.split('id="agency-1033530001"')[1].split("</tr>")[0]
        assert "ส่งล่าช้า (late)" in row and "รายงานไตรมาส 2.xlsx" in row
        rollup = "2568/Q2/rollup-2568-Q2.xlsx"  # the page's relative link, served too
        assert f'href="{rollup}"' in text
        status, headers, data = request("GET", f"{server.base}/office/{rollup}",
                                        headers={"Authorization": f"Basic {auth}"})
        assert status == 200 and data == (ws.outbox / rollup).read_bytes()
        assert request("GET", f"{server.base}/office/{rollup}")[0] == 401
        for sneaky in ("feedback/../../state/secret.key", "state/secret.key",
                       "feedback/%2e%2e/%2e%2e/state/secret.key"):
            assert request("GET", f"{server.base}/office/{sneaky}",
                           headers={"Authorization": f"Basic {auth}"})[0] == 404, sneaky
        wrong = base64.b64encode(b"office:wrong").decode()
        assert request("GET", server.base + "/office/",
                       headers={"Authorization": f"Basic {wrong}"})[0] == 401
        assert link.split("/a/")[1].strip("/") not in server.log_text()  # no token logged
