"""Render docs/cli.md from the commands' --help, so the docs cannot drift from the code."""

from __future__ import annotations

import click

from .cli import main


def _walk(cmd: click.Command, path: list[str]) -> list[tuple[list[str], click.Command]]:
    out = [(path, cmd)]
    if isinstance(cmd, click.Group):
        for name in sorted(cmd.commands):
            out.extend(_walk(cmd.commands[name], [*path, name]))
    return out


def render() -> str:
    parts = ["# Command line reference\n",
             "Generated from `--help` by `make docs` (python -m pipeline.clidoc). Do not edit.\n"]
    for path, cmd in _walk(main, ["edurollup"]):
        ctx = click.Context(cmd, info_name=" ".join(path), terminal_width=100, max_content_width=100)
        parts.append(f"\n## {' '.join(path)}\n\n```\n{cmd.get_help(ctx)}\n```\n")
    return "".join(parts)


if __name__ == "__main__":
    print(render(), end="")
