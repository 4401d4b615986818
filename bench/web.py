"""Benchmark of the clerks' web page: upload -> every problem shown, over HTTP.

    python bench/web.py                       # 200 uploads of each file, demo workspace
    python bench/web.py --n 50 --workspace DIR   # reuse a built demo workspace

Builds the demo workspace (``edurollup demo``: plan, a quarter's reports, the nightly
run, so the ledger is as an office has it) under bench/work/web/ unless ``--workspace``
is given, starts the real server (``edurollup serve`` on a loopback port, in its own
process, the nightly run idle), and uploads a typical demo file N times one after
another through the agency's link: one accepted report and one the demo made flawed
(its problems are what the page lists). Each time counts from the first byte of the
request sent to the last byte of the page received and its problem rows parsed out of
it (what a browser needs to show them). Prints and writes the median, 95th percentile
and max per file to bench/results/web.json. docs/performance.md has the figures.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import http.client
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from pipeline.web.links import clerk_url  # noqa: E402
from pipeline.workspace import Workspace  # noqa: E402

ROW = re.compile(r'<tr class="(?:error|warning)" data-code="([^"]+)"')


def _attachment(ws: Workspace, entry: dict) -> tuple[str, bytes]:
    """The workbook of a demo manifest entry (an e-mail's attachment, or a dropped file)."""
    path = ws.root / entry["path"]
    if path.suffix == ".eml" or "/mail/" in entry["path"]:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for part in msg.iter_attachments():
            return part.get_filename() or "report.xlsx", part.get_payload(decode=True)
    return path.name, path.read_bytes()


def _typical(ws: Workspace) -> list[tuple[str, str, str, bytes]]:
    """(label, agency, name, bytes): the first accepted Q2 school report and the first
    flawed report rejected for a budget error."""
    files = json.loads((ws.root / "demo-manifest.json").read_text("utf-8"))["files"]
    ok = next(f for f in files if f["expected_status"] == "accepted" and f["quarter"] == 2
              and not f["flaws"] and f["agency_code"].startswith("10"))
    bad = next(f for f in files if f["expected_status"] == "rejected" and f["flaws"]
               and f["flaws"][0].get("sheet", "").startswith("งบประมาณ"))
    return [(label, f["agency_code"], *_attachment(ws, f))
            for label, f in (("valid", ok), ("flawed", bad))]


def _post(port: int, path: str, name: str, data: bytes) -> tuple[int, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", path, body,
                     {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8")
    finally:
        conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200, help="uploads per file (default 200)")
    ap.add_argument("--workspace", type=Path, help="a demo workspace already built")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "web.json")
    args = ap.parse_args()

    root = args.workspace or HERE / "work" / "web"
    if not (root / "demo-manifest.json").exists():
        print(f"building the demo workspace in {root} ...", flush=True)
        subprocess.run([sys.executable, "-m", "pipeline", "demo", "--workspace", str(root)],
                       check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    toml = root / "edurollup.toml"
    text = toml.read_text("utf-8") if toml.exists() else ""
    if "[web]" not in text:  # the bench's uploads must not meet the per-link rate limit
        toml.write_text(text + "\n[web]\nuploads_per_window = 100000\n", "utf-8")
    ws = Workspace.open(root)
    files = _typical(ws)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDUROLLUP_")}
    server = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", "--workspace",
                               str(root), "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results: dict[str, dict] = {}
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        for label, agency, name, data in files:
            path = clerk_url(ws, agency, f"http://127.0.0.1:{port}").split(str(port), 1)[1]
            _post(port, path + "check", name, data)  # warm-up: plan cache, imports
            times, problems = [], 0
            for _ in range(args.n):
                t0 = time.perf_counter()
                status, page = _post(port, path + "check", name, data)
                problems = len(ROW.findall(page))
                times.append(time.perf_counter() - t0)
                assert status == 200, page[:300]
            results[label] = {"file": name, "bytes": len(data), "problems_shown": problems,
                              "uploads": args.n, "median_s": round(statistics.median(times), 4),
                              "p95_s": round(_pct(times, 0.95), 4),
                              "max_s": round(max(times), 4)}
            r = results[label]
            print(f"{label:7} {len(data) / 1024:6.0f} KiB {problems:3d} problems shown: "
                  f"median {r['median_s'] * 1000:6.1f} ms, p95 {r['p95_s'] * 1000:6.1f} ms, "
                  f"max {r['max_s'] * 1000:6.1f} ms over {args.n} uploads", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "format": "edurollup.bench-web/1", "cpus": os.cpu_count(),
        "python": platform.python_version(), "results": results}, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
