"""The hostile-file corpus (tests/test_hostile_files.py) uploaded to the real server:
each file gets the same one exact problem ``edurollup validate`` gives it, on a normal
page, quickly, with no traceback; nothing can be submitted; the server keeps serving."""

from __future__ import annotations

import time

import pytest
from test_hostile_files import CASES, hostile_cases, template_bytes
from web_helpers import request, running_server, upload, web_workspace

from pipeline.safety import Limits

pytestmark = pytest.mark.slow
FAST = 3.0  # seconds per hostile upload, round trip included


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    ws, _plan = web_workspace(root / "ws")
    with running_server(ws, root) as srv:
        yield srv


@pytest.fixture(scope="module")
def cases():
    return hostile_cases(template_bytes())


@pytest.mark.parametrize("case", CASES)
def test_hostile_upload_is_one_clean_problem(server, cases, case):
    data, code = cases[case]
    link = server.link("1033530001")
    t0 = time.monotonic()
    status, _headers, page = upload(link + "check", f"{case}.xlsx", data)
    took = time.monotonic() - t0
    assert status == 200, page[:500]
    assert f'data-code="{code}"' in page
    assert "Traceback" not in page and 'id="submit-form"' not in page
    assert took < FAST, f"{case}: {took:.2f} s"
    assert request("GET", server.base + "/healthz")[0] == 200
    assert "Traceback" not in server.log_text()


def test_an_upload_over_the_size_limit_is_refused_with_a_page(server):
    link = server.link("1033530001")
    data = b"PK\x03\x04" + b"\0" * Limits().max_bytes  # one limit and 4 bytes
    status, _headers, page = upload(link + "check", "big.xlsx", data)
    assert status == 413 and 'data-status="413"' in page
    assert request("GET", server.base + "/healthz")[0] == 200
