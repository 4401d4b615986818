"""Every command, run with wrong folders and wrong arguments: a message in Thai and
English and a sensible exit code (2 usage / not a workspace, 1 nothing to answer), never a
traceback and never an empty answer with exit 0 (issue #16).

The commands are taken from the click tree, so a command added later is run too.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from run_helpers import small_workspace

from pipeline.cli import main

#: plausible values for the parameters the commands have today; any other required
#: parameter gets "x" (a wrong value: still no traceback allowed)
VALUES = {"fiscal_year": "2568", "quarter": "1", "agency_code": "1033530001",
          "agency_codes": "1033530001"}
CREATORS = {("init",), ("plan", "new"), ("demo",)}  # they make a workspace
NO_WORKSPACE = {("plan", "check")}  # works on a file alone
THAI = re.compile(r"[\u0e00-\u0e7f]")


def _leaves(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...],
                                                                            click.Command]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            out += _leaves(cmd, (*path, name))
        else:
            out.append(((*path, name), cmd))
    return out


COMMANDS = _leaves(main)
IDS = [" ".join(p) for p, _ in COMMANDS]


def _invoke(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"traceback for {args}: {result.exception!r}\n{result.output}")
    assert "Traceback" not in result.output
    return result


def _args(path: tuple[str, ...], cmd: click.Command, tmp: Path, workbook: Path) -> list[str]:
    """The command with every required parameter given a plausible value."""
    args = list(path)
    for p in cmd.params:
        if not p.required:
            continue
        if isinstance(p, click.Argument):
            args.append(str(workbook) if p.name in ("files", "plan_file") else VALUES.get(
                p.name or "", "x"))
        elif p.name == "out_dir":
            args += [p.opts[0], str(tmp / "out")]
        else:
            args += [p.opts[0], VALUES.get(p.name or "", "x")]
    if path == ("template",):
        args.append("--all")
    if path == ("report",):
        args += ["--quarter", "1"]
    return args


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    from conftest import make_small_plan

    from pipeline.plan_workbook import write_plan

    path = tmp_path_factory.mktemp("wb") / "2568.xlsx"
    write_plan(make_small_plan(), path)
    return path


def test_every_option_has_help_text():
    missing = [f"{' '.join(path)} {p.opts[0]}" for path, cmd in COMMANDS for p in cmd.params
               if isinstance(p, click.Option) and not p.help]
    assert missing == []
    assert all(cmd.help for _, cmd in COMMANDS)


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=IDS)
def test_a_folder_that_is_not_a_workspace_is_refused(path, cmd, tmp_path, workbook):
    typo = tmp_path / "worksapce"  # a typo in a cron line
    if path in NO_WORKSPACE or not any(p.name == "workspace_dir" for p in cmd.params):
        return
    if path in CREATORS:
        # they make the workspace; a path that is a file is refused, not a traceback
        afile = tmp_path / "a-file"
        afile.write_text("x")
        result = _invoke(*_args(path, cmd, tmp_path, workbook), "--workspace", str(afile))
        assert result.exit_code == 2, result.output
        return
    result = _invoke(*_args(path, cmd, tmp_path, workbook), "--workspace", str(typo))
    assert result.exit_code == 2, result.output
    assert str(typo) in result.output and "edurollup init" in result.output
    assert THAI.search(result.output) and "no such folder" in result.output
    assert not typo.exists()  # nothing created in the wrong place


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=IDS)
def test_wrong_arguments_are_usage_errors_in_both_languages(path, cmd, tmp_path, workbook):
    base = _args(path, cmd, tmp_path, workbook)
    result = _invoke(*base, "--no-such-option")
    assert result.exit_code == 2
    assert "ไม่มีตัวเลือก --no-such-option / No such option" in result.output
    required = [p for p in cmd.params if p.required and isinstance(p, click.Option)]
    if required:
        result = _invoke(*path)
        assert result.exit_code == 2 and "ขาดตัวเลือก" in result.output, result.output
    if any(p.name == "fiscal_year" for p in cmd.params):
        at = base.index("--fy") + 1
        result = _invoke(*base[:at], "2025", *base[at + 1:])
        assert result.exit_code == 2
        assert "did you mean 2568?" in result.output and "พ.ศ. 2568" in result.output
        result = _invoke(*base[:at], "ปีนี้", *base[at + 1:])
        assert result.exit_code == 2 and "Buddhist Era" in result.output
    if any(p.name == "quarter" for p in cmd.params) and "--quarter" in base:
        at = base.index("--quarter") + 1
        result = _invoke(*base[:at], "9", *base[at + 1:])
        assert result.exit_code == 2 and "ค่าของ --quarter ไม่ถูกต้อง" in result.output


def test_no_such_command_is_bilingual():
    result = _invoke("rollup")
    assert result.exit_code == 2 and "ไม่มีคำสั่ง rollup / No such command" in result.output


@pytest.fixture()
def ws(tmp_path):
    return small_workspace(tmp_path)[0]


@pytest.mark.parametrize("args,code,says", [
    (["status", "--fy", "2569", "--quarter", "1"], 1, "plan new --fy 2569"),
    (["status", "--fy", "2568", "--quarter", "1"], 0, "ยังไม่ส่ง (missing)"),
    (["history", "--agency", "9999999999"], 1, "unknown agency 9999999999"),
    (["history", "--agency", "1033530001", "--json"], 0, "[]"),
    (["report", "--fy", "2567", "--quarter", "2"], 1, "no plan for FY 2567"),
    (["report", "--fy", "2569", "--annual"], 1, "no plan for FY 2569"),
    (["report", "--fy", "2568", "--quarter", "1"], 1, "nothing consolidated for Q1 FY 2568"),
    (["report", "--fy", "2568", "--annual"], 1, "nothing consolidated for FY 2568"),
    (["report", "--fy", "2568", "--quarter", "2", "--annual"], 2, "not both"),
    (["report", "--fy", "2568"], 2, "give --quarter N or --annual"),
    (["template", "--fy", "2569", "--quarter", "1", "--all", "--out", "OUT"], 1,
     "plan new --fy 2569"),
    (["template", "--fy", "2568", "--quarter", "1", "--agency", "42", "--out", "OUT"], 2,
     "unknown agency: 42"),
    (["template", "--fy", "2568", "--quarter", "1", "--agency", "1033530001", "--all",
      "--out", "OUT"], 2, "not both"),
])
def test_a_workspace_without_the_answer_says_so(ws, tmp_path, args, code, says):
    args = [str(tmp_path / "out") if a == "OUT" else a for a in args]
    result = _invoke(*args, "--workspace", str(ws.root))
    assert result.exit_code == code, result.output
    assert says in result.output
    if code:
        assert THAI.search(result.output)
    assert not (tmp_path / "out").exists() or code == 0
    assert not list(ws.outbox.rglob("*.xlsx"))


def test_init_makes_a_workspace_the_other_commands_accept(tmp_path):
    target = tmp_path / "office"
    result = _invoke("init", str(target))
    assert result.exit_code == 0 and "plan new" in result.output
    assert all((target / d).is_dir() for d in ("inbox", "outbox", "state", "plan"))
    assert (target / "edurollup.toml").is_file()
    assert _invoke("run", "--quiet", "--workspace", str(target)).exit_code == 0
    assert _invoke("init", str(target)).exit_code == 0  # again: harmless
    (target / "edurollup.toml").write_text("[intake\n", "utf-8")  # a broken settings file
    result = _invoke("run", "--quiet", "--workspace", str(target))
    assert result.exit_code == 2 and "edurollup.toml" in result.output


def test_init_refuses_a_file(tmp_path):
    afile = tmp_path / "notes.txt"
    afile.write_text("x")
    result = _invoke("init", str(afile))
    assert result.exit_code == 2 and str(afile) in result.output
