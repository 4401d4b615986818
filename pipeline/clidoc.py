"""Render docs/cli.md from the commands' --help, so the docs cannot drift from the code."""

from __future__ import annotations

import click

from .cli import main


def _walk(cmd: click.Command, ctx: click.Context) -> list[click.Context]:
    """Each command with a context chained to its parent's, as on the real command line.

    The chain matters: subcommands inherit the group's settings (``-h`` as well as
    ``--help``), and click caches the help option on the command, so a context
    without its parent would render differently depending on what ran before.
    """
    out = [ctx]
    if isinstance(cmd, click.Group):
        for name in sorted(cmd.commands):
            sub = cmd.commands[name]
            out.extend(_walk(sub, click.Context(sub, info_name=name, parent=ctx)))
    return out


def render() -> str:
    parts = ["# Command line reference\n",
             "Generated from `--help` by `make docs` (python -m pipeline.clidoc). Do not edit.\n"]
    root = click.Context(main, info_name="edurollup", terminal_width=100,
                         **main.context_settings)
    for ctx in _walk(main, root):
        parts.append(f"\n## {ctx.command_path}\n\n```\n{ctx.command.get_help(ctx)}\n```\n")
    return "".join(parts)


if __name__ == "__main__":
    print(render(), end="")
