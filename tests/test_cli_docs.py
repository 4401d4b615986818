"""docs/cli.md is generated from --help; it must not drift from the code."""

from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import main
from pipeline.clidoc import render

ROOT = Path(__file__).resolve().parents[1]


def test_cli_md_matches_help():
    assert (ROOT / "docs" / "cli.md").read_text("utf-8") == render(), (
        "docs/cli.md is stale: run `make docs`"
    )


def test_every_command_has_help():
    runner = CliRunner()
    for args in (["--help"], ["plan", "new", "--help"], ["plan", "check", "--help"],
                 ["template", "--help"], ["validate", "--help"], ["run", "--help"],
                 ["status", "--help"], ["history", "--help"], ["report", "--help"],
                 ["demo", "--help"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, args
        assert "Usage:" in result.output


def test_usage_error_exits_2():
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 2
