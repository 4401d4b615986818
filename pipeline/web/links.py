"""Clerks' personal links: ``/a/<token>/``, one unguessable token per agency.

The token is an HMAC of the agency code and a link version under the workspace's own key
(``secret.keyed_digest(workspace_secret(ws.state), "web-link", ...)``), so the plan and
the settings hold nothing secret and the same workspace always gives the same link.
Rotating a link (``[web.links.version]``) or revoking it (``[web.links] revoked``) in
``edurollup.toml`` makes the old one answer exactly like a page that does not exist.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..plan import Plan
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


def agency_token(ws: Workspace, agency_code: str, settings: WebSettings | None = None
                 ) -> str | None:
    """The current token of an agency, or None when its link is revoked."""
    settings = settings or WebSettings.of(ws)
    if agency_code in settings.revoked:
        return None
    return link_token(workspace_secret(ws.state), agency_code,
                      settings.link_versions.get(agency_code, 1))


def clerk_url(ws: Workspace, agency_code: str, base_url: str | None = None) -> str | None:
    """The agency's full link: ``base_url`` (default: ``[web] public_url``) + its path;
    None when no base is known or the link is revoked."""
    settings = WebSettings.of(ws)
    base = (base_url or settings.public_url or "").rstrip("/")
    if not base or not agency_code:
        return None  # no link shown, and no key made for nothing
    token = agency_token(ws, agency_code, settings)
    return None if token is None else base + clerk_path(token)


def public_links(ws: Workspace, plan: Plan) -> dict[str, str]:
    """agency code -> link for every agency of the plan, when the office set a public
    base URL (``[web] public_url``); empty otherwise (templates and replies show none)."""
    settings = WebSettings.of(ws)
    if not settings.public_url:
        return {}
    key = workspace_secret(ws.state)
    return {code: settings.public_url + clerk_path(
                link_token(key, code, settings.link_versions.get(code, 1)))
            for code in plan.agencies if code not in settings.revoked}


def token_book(ws: Workspace, agency_codes: list[str] | set[str],
               settings: WebSettings) -> dict[str, str]:
    """token -> agency code for every live link (what the server looks tokens up in)."""
    key = workspace_secret(ws.state)
    return {link_token(key, code, settings.link_versions.get(code, 1)): code
            for code in agency_codes if code not in settings.revoked}


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
