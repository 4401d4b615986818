"""``edurollup serve``: the application on waitress, with the intake runner beside it.

Waitress is a pure-Python production WSGI server (no C build, the same on Debian and
Windows): a fixed pool of threads, each request's body read and size-checked by the
server before the application sees it, no access log (so no link token in a log).
Behind the office's reverse proxy it trusts ``X-Forwarded-*`` only from loopback.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import waitress

from ..workspace import Workspace
from .app import FORM_OVERHEAD, RedactTokens, create_app
from .intake import IntakeRunner
from .settings import DEFAULT_PORT, WebSettings

THREADS = 8


def serve(root: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          threads: int = THREADS) -> None:
    """Serve the workspace until interrupted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(RedactTokens())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    ws = Workspace.open(root)
    ws.ensure()
    runner = IntakeRunner(ws).start()
    app = create_app(ws.root, runner)
    settings = WebSettings.of(ws)
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="edurollup",
                       max_request_body_size=2 * (settings.max_upload_bytes + FORM_OVERHEAD),
                       trusted_proxy="127.0.0.1", trusted_proxy_count=1,
                       trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto",
                                              "x-forwarded-host"},
                       clear_untrusted_proxy_headers=True)
    finally:
        runner.stop()
