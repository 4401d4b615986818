"""Helpers for the web page's tests: a small workspace with [web] settings, the real
server (``edurollup serve``) started on loopback in a child process, multipart uploads
over HTTP, and Debian's chromium driven through its own chromedriver."""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from rollup_helpers import _as_text_cells, _project_rows
from run_helpers import filled_report, small_workspace
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from werkzeug.security import generate_password_hash

from pipeline.plan import Plan
from pipeline.plan_load import load_plan
from pipeline.templates import issue_key
from pipeline.web.links import clerk_url
from pipeline.workspace import Workspace

OFFICE_PASSWORD = "รหัสลับ-2568"
RESULTS = {"1.1": 96.5, "2.1": 49.0, "4.1": 3, "6.1": 91.25}
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--window-size=1400,1800")


def web_workspace(root: Path, **web: object) -> tuple[Workspace, Plan]:
    """The conftest plan as a workspace, with an office password and ``web`` settings."""
    small_workspace(root)
    settings = {"office_password_hash": generate_password_hash(OFFICE_PASSWORD)} | web
    lines = ["[web]"] + [f"{k} = {_toml(v)}" for k, v in settings.items()]
    with open(root / "edurollup.toml", "a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    ws = Workspace.open(root)
    issue_key(ws.state)  # the office's key, as `edurollup template` and the links make it
    return ws, load_plan(ws.plan_file(2568))


def _toml(v: object) -> str:
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list | tuple | set):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return str(v)


def ws_key(ws: Workspace) -> bytes:
    """The key the office's templates are issued with (``edurollup template``)."""
    return issue_key(ws.state)


def valid_report(plan: Plan, code: str, seed: int = 1, quarter: int = 2,
                 key: bytes | None = None) -> bytes:
    """The agency's template (issued with ``key``) filled correctly by a clerk."""
    return filled_report(plan, code, quarter, _project_rows(seed, 4, quarter), RESULTS,
                         key=key)


def invalid_report(plan: Plan, code: str, seed: int = 1, quarter: int = 2,
                   key: bytes | None = None) -> bytes:
    """The same with an amount typed as Thai words (F6) and a disbursement over the
    allocation on row 7: errors at known cells."""
    rows = _project_rows(seed, 4, quarter)
    r = list(rows[2])
    r[7] = str(float(r[5]) * 2)  # disbursed twice the allocation
    rows[2] = tuple(r)
    return _as_text_cells(filled_report(plan, code, quarter, rows, RESULTS, key=key),
                          {(6, 6): "หนึ่งแสน"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base: str
    proc: subprocess.Popen
    log: Path
    ws: Workspace

    def link(self, code: str) -> str:
        url = clerk_url(self.ws, code, self.base)
        assert url is not None
        return url

    def log_text(self) -> str:
        return self.log.read_text("utf-8", "replace")


@contextlib.contextmanager
def running_server(ws: Workspace, log_dir: Path) -> Iterator[Server]:
    """``edurollup serve`` on a free loopback port until the block ends."""
    port = free_port()
    log = log_dir / f"serve-{port}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDUROLLUP_")}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "serve", "--workspace", str(ws.root),
             "--port", str(port)], stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _h, _b = request("GET", base + "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("server did not start:\n" + log.read_text("utf-8", "replace"))
            time.sleep(0.2)
        yield Server(base, proc, log, ws)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def request(method: str, url: str, body: bytes | None = None,
            headers: dict[str, str] | None = None, timeout: float = 120
            ) -> tuple[int, dict[str, str], bytes]:
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request(method, u.path + (f"?{u.query}" if u.query else ""), body=body,
                     headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def upload(url: str, name: str, data: bytes) -> tuple[int, dict[str, str], str]:
    """POST ``data`` as the form's file field (multipart, the name UTF-8 as browsers do)."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    status, headers, out = request(
        "POST", url, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    return status, headers, out.decode("utf-8", "replace")


def post_form(url: str, fields: dict[str, str]) -> tuple[int, dict[str, str], str]:
    status, headers, out = request("POST", url, urlencode(fields).encode(),
                                   {"Content-Type": "application/x-www-form-urlencoded"})
    return status, headers, out.decode("utf-8", "replace")


def browser_or_skip() -> tuple[str, str]:
    """Debian's chromium and chromedriver; skipped with a reason locally, a FAILURE under
    CI=true (CI installs them through scripts/install-system-deps.sh)."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (Path(p).exists() or shutil.which(p))]
    if missing:
        msg = (f"{', '.join(missing)} NOT installed: run `make sysdeps` "
               "(apt-get install chromium chromium-driver)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return CHROMIUM, CHROMEDRIVER


def chrome(download_dir: Path):  # -> selenium.webdriver.Chrome
    """Headless chromium through the system chromedriver: Selenium Manager never runs."""
    exe, driver = browser_or_skip()
    os.environ["SE_OFFLINE"] = "true"  # belt and braces: Selenium may not fetch anything
    opts = webdriver.ChromeOptions()
    opts.binary_location = exe
    for a in CHROMIUM_ARGS:
        opts.add_argument(a)
    opts.add_argument(f"--user-data-dir={download_dir.parent / 'chrome-profile'}")
    opts.add_experimental_option("prefs", {"download.default_directory": str(download_dir),
                                           "download.prompt_for_download": False})
    d = webdriver.Chrome(service=Service(executable_path=driver), options=opts)
    d.execute_cdp_cmd("Browser.setDownloadBehavior",
                      {"behavior": "allow", "downloadPath": str(download_dir)})
    return d
