"""The Flask application: clerks' pages under ``/a/<token>/``, the office's live status
page under ``/office/``. Markup is in ``templates/`` (Jinja2, autoescaped); this module
only routes, checks limits and calls the library.

Safety (docs/operations.md): a wrong or revoked token gets exactly the answer of a page
that does not exist; uploads are size-limited and rate-limited per link; the submit form
carries a CSRF token (an HMAC of the link and the check, under the workspace key); no
token and no file content is logged (paths are logged with the token replaced); pages
are not cached and send no Referer (the token is in the address).
"""

from __future__ import annotations

import hmac
import logging
import re
import threading
import time
from collections import defaultdict, deque
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, abort, redirect, render_template, request, send_from_directory
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.security import check_password_hash

from .. import calendar as fcal
from ..feedback import feedback_bytes, feedback_path
from ..plan import Plan
from ..plan_load import PlanError, load_plan_cached
from ..rollup import be_datetime, be_received, quarter_figures, rollup_path
from ..secret import keyed_digest, workspace_secret
from ..status_page import render_status_page
from ..workspace import Workspace
from . import intake
from .checks import Check, CheckStore
from .links import TOKEN_CHARS, token_book
from .settings import WebSettings

log = logging.getLogger("edurollup.web")
_TOKEN_IN_PATH = re.compile(r"/a/[^/]+")
FORM_OVERHEAD = 64 * 1024  # multipart headers and the form's other fields
FORM_MEMORY = 1024 * 1024  # werkzeug's parser buffer (files themselves go to a temp file)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def redact(path: str) -> str:
    """A request path fit for a log: the link's token replaced."""
    return _TOKEN_IN_PATH.sub("/a/<token>", path)


class RedactTokens(logging.Filter):
    """Every log line (waitress's "Exception while serving <path>" too) with link tokens
    replaced: a log is read by more people than the links are meant for."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


class RateLimit:
    """At most ``limit`` events per key in any ``window`` seconds (in memory)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            q = self._events[key]
            while q and now - q[0] >= self.window:
                q.popleft()
            if len(q) >= self.limit:
                return False
            q.append(now)
            return True


class Site:
    """The workspace as the server sees it: settings, plans and live links, reloaded when
    ``edurollup.toml`` or a plan file changes (a revoked link stops at once)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._sig: tuple = ()
        self._lock = threading.Lock()
        self.ws = Workspace.open(root)
        self.settings = WebSettings.of(self.ws)
        self.plans: dict[int, Plan] = {}
        self.tokens: dict[str, str] = {}
        self.refresh()

    def _signature(self) -> tuple:
        files = [self.root / "edurollup.toml", *sorted((self.root / "plan").glob("*.xlsx"))]
        out = []
        for f in files:
            try:
                st = f.stat()
                out.append((f.name, st.st_mtime_ns, st.st_size))
            except OSError:
                out.append((f.name, 0, 0))
        return tuple(out)

    def refresh(self) -> None:
        sig = self._signature()
        if sig == self._sig:
            return
        with self._lock:
            if sig == self._sig:
                return
            ws = Workspace.open(self.root)
            settings = WebSettings.of(ws)
            plans: dict[int, Plan] = {}
            for year in ws.plan_years():
                try:
                    plans[year] = load_plan_cached(ws.state, ws.plan_file(year))
                except PlanError:
                    log.warning("plan %s has errors: its agencies get no link", year)
            agencies = {c: a for _, p in sorted(plans.items()) for c, a in p.agencies.items()}
            self.ws, self.settings, self.plans = ws, settings, plans
            self.tokens = token_book(ws, agencies, settings)
            self._sig = sig

    def agency(self, code: str) -> Any:
        for year in sorted(self.plans, reverse=True):
            if code in self.plans[year].agencies:
                return self.plans[year].agencies[code]
        return None

    def latest_period(self) -> tuple[int, int] | None:
        if not self.plans:
            return None
        year = max(self.plans)
        quarters = sorted(self.plans[year].open_quarters) or [1]
        return year, quarters[-1]


def create_app(root: Path | str, runner: intake.IntakeRunner | None = None) -> Flask:
    """The application for the workspace at ``root``; ``runner`` takes queued
    submissions into the ledger (``serve`` starts one)."""
    site = Site(Path(root).resolve())
    app = _App(__name__)
    settings = site.settings
    app.config.update(MAX_CONTENT_LENGTH=settings.max_upload_bytes + FORM_OVERHEAD,
                      MAX_FORM_MEMORY_SIZE=FORM_MEMORY, TEMPLATES_AUTO_RELOAD=False)
    checks = CheckStore(site.ws, settings.check_keep_seconds)
    limits = RateLimit(settings.uploads_per_window, settings.window_seconds)
    key = workspace_secret(site.ws.state)
    app.extensions["edurollup"] = {"site": site, "checks": checks, "runner": runner}

    def csrf_for(token: str, check_id: str) -> str:
        return keyed_digest(key, "web-csrf", f"{token}\0{check_id}")[:TOKEN_CHARS]

    def agency_of(token: str) -> str:
        """The link's agency; anything else is the not-found page."""
        site.refresh()
        if len(token) != TOKEN_CHARS:
            abort(404)
        code = site.tokens.get(token)
        if code is None:
            abort(404)
        return code

    def limited(token: str) -> None:
        if not limits.allow(token):
            abort(429)

    def page(template: str, status: int = 200, **ctx: Any) -> Response:
        return Response(render_template(template, **ctx), status=status,
                        mimetype="text/html")

    def clerk_ctx(token: str, code: str) -> dict[str, Any]:
        agency = site.agency(code)
        return {"token": token, "agency_code": code,
                "agency_name": agency.name_th if agency else code,
                "max_mb": f"{site.settings.max_upload_bytes / (1024 * 1024):.0f}",
                "period": _period_text(site)}

    @app.after_request
    def headers(resp: Response) -> Response:
        resp.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        if not request.path.startswith("/static/"):
            resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = exc.code or 500
        if isinstance(exc, RequestEntityTooLarge):
            code = 413
        if code == 401:
            resp = page("error.html", 401, code=401)
            resp.headers["WWW-Authenticate"] = 'Basic realm="Edu Roll-up office", charset="UTF-8"'
            return resp
        if code not in (400, 413, 429):
            code = 404 if code in (404, 405) else code
        return page("not_found.html" if code == 404 else "error.html", code, code=code,
                    max_mb=f"{site.settings.max_upload_bytes / (1024 * 1024):.0f}",
                    window_min=max(1, site.settings.window_seconds // 60))

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok\n", mimetype="text/plain")

    # ---- clerks ------------------------------------------------------------------------
    @app.get("/a/<token>/")
    def clerk(token: str) -> Response:
        code = agency_of(token)
        return page("clerk.html", **clerk_ctx(token, code))

    @app.post("/a/<token>/check")
    def check_upload(token: str) -> Response:
        code = agency_of(token)
        limited(token)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return page("clerk.html", 400, missing=True, **clerk_ctx(token, code))
        data = upload.stream.read(site.settings.max_upload_bytes + 1)
        if len(data) > site.settings.max_upload_bytes:
            abort(413)
        t0 = time.perf_counter()
        check = checks.new(code, upload.filename, data)
        log.info("check %s agency %s: %s, %d problems, %.0f ms", check.id, code,
                 check.decision.status, len(check.problems), (time.perf_counter() - t0) * 1000)
        return result(token, code, check)

    def result(token: str, code: str, check: Check) -> Response:
        q = intake.queued(site.ws, check.id)
        before = None if q else intake.received_before(site.ws, check.sha256)
        return page("check.html", check=check, problems=check.problems, before=before,
                    before_at=be_received(before["received_at"]) if before else None,
                    csrf=csrf_for(token, check.id), queued=q,
                    late=bool(check.decision.late), period=_check_period(check),
                    **{k: v for k, v in clerk_ctx(token, code).items() if k != "period"})

    @app.get("/a/<token>/check/<check_id>")
    def check_again(token: str, check_id: str) -> Response:
        code = agency_of(token)
        check = checks.get(check_id, code) or abort(404)
        return result(token, code, check)

    @app.get("/a/<token>/check/<check_id>/feedback.xlsx")
    def feedback(token: str, check_id: str) -> Response:
        code = agency_of(token)
        check = checks.get(check_id, code) or abort(404)
        if not check.report.problems:
            abort(404)
        name = feedback_path(check.report, Path(".")).name
        resp = Response(feedback_bytes(check.report), mimetype=XLSX_TYPE)
        # RFC 6266: an ASCII fallback, then the Thai name (headers are Latin-1 on the wire)
        resp.headers["Content-Disposition"] = (
            f"attachment; filename=\"feedback.xlsx\"; filename*=UTF-8''{quote(name)}")
        return resp

    @app.post("/a/<token>/check/<check_id>/submit")
    def submit(token: str, check_id: str) -> Response:
        code = agency_of(token)
        check = checks.get(check_id, code) or abort(404)
        sent = request.form.get("csrf", "")
        if not hmac.compare_digest(sent.encode(), csrf_for(token, check_id).encode()):
            abort(400)
        limited(token)
        if not check.submittable or (intake.queued(site.ws, check_id) is None and (
                intake.received_before(site.ws, check.sha256) or not check.path.exists())):
            abort(400)  # not valid, sent before, or its copy is gone: check it again
        q = intake.enqueue(site.ws, check)
        log.info("submit %s agency %s queued", check_id, code)
        if runner is not None:
            runner.kick()
        return redirect(f"/a/{token}/receipt/{q.check_id}", code=303)

    @app.get("/a/<token>/receipt/<check_id>")
    def receipt(token: str, check_id: str) -> Response:
        code = agency_of(token)
        q = intake.queued(site.ws, check_id)
        if q is None or q.agency_code != code:
            abort(404)
        sub = intake.recorded(site.ws, check_id)
        plan = site.plans.get(sub["fiscal_year"]) if sub and sub.get("fiscal_year") else None
        due = None
        if plan is not None and sub and sub.get("quarter"):
            due = fcal.format_thai_date(plan.due_date(int(sub["quarter"])))
        return page("receipt.html", queued=q, sub=sub, received=be_datetime(q.received_at),
                    recorded_at=be_received(sub["decided_at"]) if sub else None, due=due,
                    **clerk_ctx(token, code))

    # ---- the office --------------------------------------------------------------------
    def office_auth() -> None:
        site.refresh()
        s = site.settings
        if not s.office_password_hash:
            abort(404)  # no credential set: there is no office page
        auth = request.authorization
        if (auth is None or auth.type != "basic"
                or not hmac.compare_digest((auth.username or "").encode(), s.office_user.encode())
                or not check_password_hash(s.office_password_hash, auth.password or "")):
            abort(401)

    @app.get("/office/")
    def office() -> Response:
        office_auth()
        period = site.latest_period()
        fy = request.args.get("fy", type=int) or (period[0] if period else None)
        q = request.args.get("quarter", type=int) or (period[1] if period else None)
        if fy not in site.plans or q not in (1, 2, 3, 4):
            abort(404)
        if not site.ws.ledger_path.exists():
            return page("office_empty.html")
        fig = quarter_figures(site.ws, site.plans[fy], fy, q)
        rollup = rollup_path(site.ws, fy, q)
        html = render_status_page(fig, datetime.now(UTC), rollup.relative_to(site.ws.outbox)
                                  if rollup.exists() else None)
        return Response(html, mimetype="text/html")

    @app.get("/office/<path:rel>")
    def office_file(rel: str) -> Response:
        office_auth()
        parts = PurePosixPath(rel).parts
        if not parts or not (parts[0] == "feedback" or parts[0].isdigit()):
            abort(404)
        return send_from_directory(site.ws.outbox, rel, as_attachment=True)

    return app


class _App(Flask):
    def log_exception(self, exc_info: Any) -> None:
        """Flask's line names the path; ours hides the link's token in it."""
        self.logger.error("Exception on %s [%s]", redact(request.path), request.method,
                          exc_info=exc_info)


def _period_text(site: Site) -> str:
    period = site.latest_period()
    if period is None:
        return ""
    fy, q = period
    due = site.plans[fy].due_date(q)
    p = fcal.Period(fy, q)
    return f"{p.label_th} ({p.label_en}) · กำหนดส่ง (due) {fcal.format_thai_date(due)}"


def _check_period(check: Check) -> str:
    r = check.report
    if r.fiscal_year and r.quarter in (1, 2, 3, 4):
        p = fcal.Period(r.fiscal_year, r.quarter)
        return f"{p.label_th} ({p.label_en})"
    return ""
