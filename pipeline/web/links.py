"""Clerks' personal links: ``/a/<token>/``, one unguessable token per agency.

The token is an HMAC of the agency code and a link version under the workspace's own key
(``secret.keyed_digest(workspace_secret(ws.state), "web-link", ...)``), so the plan and
the settings hold nothing secret and the same workspace always gives the same link.
The plan's agency registry rotates a link (its "web link" cell: 2, 3...) or revokes it
("ยกเลิก"); ``edurollup.toml`` can override both (``[web.links.version]``,
``[web.links] revoked``) without touching the plan. An old or revoked link answers
exactly like a page that does not exist.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..plan import Agency, Plan
from ..secret import keyed_digest, workspace_secret
from ..workspace import Workspace
from .settings import WebSettings

PURPOSE = "web-link"
TOKEN_CHARS = 32  # 128 bits of the HMAC: unguessable, short enough to type from paper


def link_token(key: bytes, agency_code: str, version: int = 1) -> str:
    """The agency's token for a link version (hex)."""
    return keyed_digest(key, PURPOSE, f"{agency_code}\0{version}")[:TOKEN_CHARS]


def clerk_path(token: str) -> str:
    return f"/a/{token}/"


def link_version(settings: WebSettings, agency_code: str, agency: Agency | None) -> int:
    """The agency's live link version; 0 = revoked. The settings override the registry."""
    if agency_code in settings.revoked:
        return 0
    if agency_code in settings.link_versions:
        return settings.link_versions[agency_code]
    return agency.web_link if agency is not None else 1


def registry(ws: Workspace) -> dict[str, Agency]:
    """Every agency of the workspace's plans, as the newest plan that lists it says."""
    # imported here, as plans.Plans does: the nightly run imports this module for its
    # reply e-mails, and a night with nothing new must not pay for the plan reader
    from ..plan_load import PlanError, load_plan_cached

    out: dict[str, Agency] = {}
    for year in ws.plan_years():
        try:
            out.update(load_plan_cached(ws.state, ws.plan_file(year)).agencies)
        except PlanError:
            continue  # a broken plan: its agencies keep what an older plan says
    return out


def agency_token(ws: Workspace, agency_code: str, settings: WebSettings | None = None,
                 agency: Agency | None = None) -> str | None:
    """The current token of an agency, or None when its link is revoked (``agency``: its
    registry row, looked up in the workspace's plans when not given)."""
    settings = settings or WebSettings.of(ws)
    if agency is None:
        agency = registry(ws).get(agency_code)
    version = link_version(settings, agency_code, agency)
    return link_token(workspace_secret(ws.state), agency_code, version) if version else None


def clerk_url(ws: Workspace, agency_code: str, base_url: str | None = None,
              agency: Agency | None = None) -> str | None:
    """The agency's full link: ``base_url`` (default: ``[web] public_url``) + its path;
    None when no base is known or the link is revoked."""
    settings = WebSettings.of(ws)
    base = (base_url or settings.public_url or "").rstrip("/")
    if not base or not agency_code:
        return None  # no link shown, and no key made for nothing
    token = agency_token(ws, agency_code, settings, agency)
    return None if token is None else base + clerk_path(token)


def public_links(ws: Workspace, plan: Plan) -> dict[str, str]:
    """agency code -> link for every agency of the plan, when the office set a public
    base URL (``[web] public_url``); empty otherwise (templates and replies show none)."""
    settings = WebSettings.of(ws)
    if not settings.public_url:
        return {}
    key = workspace_secret(ws.state)
    versions = {code: link_version(settings, code, a) for code, a in plan.agencies.items()}
    return {code: settings.public_url + clerk_path(link_token(key, code, v))
            for code, v in versions.items() if v}


def token_book(ws: Workspace, agencies: dict[str, Agency],
               settings: WebSettings) -> dict[str, str]:
    """token -> agency code for every live link (what the server looks tokens up in)."""
    key = workspace_secret(ws.state)
    versions = {code: link_version(settings, code, a) for code, a in agencies.items()}
    return {link_token(key, code, v): code for code, v in versions.items() if v}


def demo_lines(ws: Workspace, manifest: dict, base_url: str) -> list[str]:
    """What ``edurollup demo`` prints so a newcomer can try the web page: the serve
    command, the link of the agency whose first file the demo made flawed, and that
    file's archived original to drop on the page."""
    flawed = next((f for f in manifest.get("files", []) if f.get("flaws")), None)
    if flawed is None:
        return []
    code = flawed["agency_code"]
    url = clerk_url(ws, code, base_url)
    suffix = "." + str(flawed.get("attachment", "x.xlsx")).rsplit(".", 1)[-1].lower()
    original = ws.archive / flawed["sha256"][:2] / f"{flawed['sha256']}{suffix}"
    beside = Path(sys.executable).with_name("edurollup")  # the venv's, if not on PATH
    command = str(beside) if beside.exists() else "edurollup"
    lines = [f"หน้าตรวจรายงานก่อนส่ง (the clerks' web page): {command} serve --workspace {ws.root}",
             f"ลิงก์ของหน่วยงาน {code} (a clerk's link): {url}"]
    if original.exists():
        flaw = flawed["flaws"][0]
        lines += [f"ลองวางไฟล์นี้ในหน้าเว็บ (try dropping this file on it): {original}",
                  f"แก้ช่อง {flaw.get('cell')} ในสำเนาของไฟล์นั้นแล้ววางอีกครั้งเพื่อส่ง "
                  f"(fix cell {flaw.get('cell')} in a copy of it and drop it again to submit)"]
    return lines
