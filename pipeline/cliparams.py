"""What the command line needs beside its commands: bilingual usage errors, the fiscal-year
option (Buddhist Era, with a suggestion for an AD year) and the workspace check.

Kept apart from cli.py so that every command (and commands other modules add) shares one
way to refuse a bad folder or a bad year.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import click

from .workspace import Workspace, WorkspaceError

BE_MIN, BE_MAX = 2500, 2700
BE_OFFSET = 543
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_THAI = re.compile(r"[\u0e00-\u0e7f]")

#: click's English usage messages -> the Thai said first (the English stays beside it)
_USAGE_TH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Missing option '([^']+)'"), "ขาดตัวเลือก {0}"),
    (re.compile(r"Missing argument '([^']+)'"), "ขาดข้อมูลที่ต้องระบุ {0}"),
    (re.compile(r"No such option:? '?([^'\s.]+)"), "ไม่มีตัวเลือก {0}"),
    (re.compile(r"No such command '([^']+)'"), "ไม่มีคำสั่ง {0}"),
    (re.compile(r"Option '([^']+)' requires an argument"), "ตัวเลือก {0} ต้องระบุค่า"),
    (re.compile(r"Option '([^']+)' does not take a value"), "ตัวเลือก {0} ไม่รับค่า"),
    (re.compile(r"Got unexpected extra arguments? \((.*)\)"), "มีข้อมูลเกินมา ({0})"),
    (re.compile(r"Invalid value for '([^']+)'"), "ค่าของ {0} ไม่ถูกต้อง"),
]


def usage_th(message: str) -> str:
    """A click usage message in Thai and English ("ไทย / English"); one already in Thai
    is left as it is."""
    if _THAI.match(message.strip()[:1] or " "):
        return message
    for pattern, thai in _USAGE_TH:
        m = pattern.search(message)
        if m:
            return f"{thai.format(*m.groups())} / {message}"
    return f"ใช้คำสั่งไม่ถูกต้อง / {message}"


def _bilingual(exc: click.UsageError) -> click.UsageError:
    """The same usage error (exit 2, same usage line) with its message Thai first."""
    text = exc.format_message()
    if _THAI.match(text[:1] or " "):
        return exc
    return click.UsageError(usage_th(text), ctx=exc.ctx)


class BilingualGroup(click.Group):
    """A click group whose usage errors (its own and every subcommand's) read Thai first."""

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise _bilingual(exc) from exc

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _bilingual(exc) from exc


class FiscalYear(click.ParamType):
    """A fiscal year in Buddhist Era (2568); an AD year (2025) gets "did you mean 2568?"."""

    name = "BE_YEAR"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            year = value
        else:
            try:
                year = int(str(value).strip().translate(_THAI_DIGITS))
            except ValueError:
                self.fail(f"\"{value}\" ไม่ใช่ปี พ.ศ. (เช่น 2568) / "
                          f"\"{value}\" is not a Buddhist Era year (e.g. 2568)", param, ctx)
        if BE_MIN - BE_OFFSET <= year <= BE_MAX - BE_OFFSET:
            self.fail(f"{year} เป็นปี ค.ศ. หมายถึงปี พ.ศ. {year + BE_OFFSET} หรือไม่? / "
                      f"{year} is an AD year: did you mean {year + BE_OFFSET}? "
                      "(fiscal years are Buddhist Era)", param, ctx)
        if not BE_MIN <= year <= BE_MAX:
            self.fail(f"ปี พ.ศ. {year} อยู่นอกช่วง {BE_MIN}-{BE_MAX} / "
                      f"{year} is outside {BE_MIN}-{BE_MAX} (Buddhist Era)", param, ctx)
        return year


FISCAL_YEAR = FiscalYear()


class WorkspaceRefused(click.ClickException):
    """Not a workspace: exit 2, like any other usage error."""

    exit_code = 2


def open_workspace(path: Path | str | None) -> Workspace:
    """The one workspace check every command calls: the workspace at ``path``, or exit 2
    with a Thai/English message naming the folder and ``edurollup init``."""
    try:
        return Workspace.existing(path)
    except WorkspaceError as exc:
        raise WorkspaceRefused(str(exc)) from exc


def init_workspace(path: Path | str | None, settings: bool = True) -> Workspace:
    """``Workspace.init`` for the commands that create one (init, plan new, demo)."""
    try:
        return Workspace.init(path, settings)
    except WorkspaceError as exc:
        raise WorkspaceRefused(str(exc)) from exc


class _Quiet:
    """What :func:`progress` gives off a terminal: the same calls, no output."""

    def __enter__(self) -> _Quiet:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None


def progress(total: int, label: str) -> Any:
    """A progress bar on stderr when it is a terminal (a person waiting), nothing for cron,
    pipes and tests; use as ``with progress(n, label) as bar: ... bar.update(k)``."""
    if total < 2 or not sys.stderr.isatty():
        return _Quiet()
    return click.progressbar(length=total, label=label, file=sys.stderr)


def stage(text: str) -> None:
    """A line on stderr saying what a slow step is doing, only when a person is watching."""
    if sys.stderr.isatty():
        click.echo(text, err=True)
