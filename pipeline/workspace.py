"""Where a workspace keeps things: inbox, outbox, state (ledger, archive, lock), plans.

The repository root is the default workspace. ``EDUROLLUP_WORKSPACE`` or ``--workspace``
point elsewhere. Optional settings live in ``edurollup.toml`` at the workspace root.

A workspace is explicit: a folder with ``plan/`` or ``state/``, or with ``inbox/`` and
``outbox/`` (the repository root has both, kept by ``.gitkeep``), made by ``edurollup init DIR`` (or ``plan new``, or the
demo). Every other command opens it with :meth:`Workspace.existing`, which refuses any
other folder, so a typo in a cron line fails loudly instead of filling a new empty folder.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class SmtpConfig:
    host: str = "localhost"
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str | None = None  # From: address; defaults to the plan's office e-mail


class WorkspaceError(Exception):
    """A folder that cannot be used as a workspace; the message (Thai, then English) names
    the folder and what to do."""


DEFAULT_TOML = """\
# Edu Roll-up workspace settings (docs/operations.md).
[intake]
# files dropped straight into inbox/ come from office staff
trust_dropped_files = true

# [smtp]
# host = "localhost"
# port = 25
# starttls = false
# sender = "plan@example.go.th"
"""


def is_workspace(root: Path) -> bool:
    """A workspace has its plans (plan/) or its ledger (state/), or inbox/ and outbox/ (a
    fresh clone of the repository, the default workspace); ``init`` makes all four."""
    if (root / "plan").is_dir() or (root / "state").is_dir():
        return True
    return (root / "inbox").is_dir() and (root / "outbox").is_dir()


def _read_config(cfg_path: Path) -> dict[str, Any]:
    if not cfg_path.is_file():
        return {}
    try:
        return tomllib.loads(cfg_path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise WorkspaceError(f"อ่านไฟล์ตั้งค่าไม่ได้ / cannot read the settings file {cfg_path}: "
                             f"{exc}") from exc


@dataclass
class Workspace:
    root: Path
    config: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, root: Path | str | None = None) -> Workspace:
        base = Path(root or os.environ.get("EDUROLLUP_WORKSPACE") or ".").resolve()
        return cls(base, _read_config(base / "edurollup.toml"))

    @classmethod
    def existing(cls, root: Path | str | None = None) -> Workspace:
        """The workspace at ``root``; WorkspaceError when the folder is not one (missing, a
        file, or without inbox/ and outbox/). Every command but init/plan new/demo uses it."""
        base = Path(root or os.environ.get("EDUROLLUP_WORKSPACE") or ".").resolve()
        if not base.exists():
            what_th, what_en = "ไม่พบโฟลเดอร์", "no such folder"
        elif not base.is_dir():
            what_th, what_en = "ไม่ใช่โฟลเดอร์", "not a folder"
        elif not is_workspace(base):
            what_th, what_en = "ไม่ใช่โฟลเดอร์งาน (ไม่มี plan/ state/ inbox/ outbox/)", \
                "not a workspace (no plan/, state/, inbox/ and outbox/)"
        else:
            return cls.open(base)
        raise WorkspaceError(
            f"{what_th}: {base}\n{what_en}: {base}\n"
            f"สร้างโฟลเดอร์งานด้วย / create a workspace with: edurollup init {base}")

    @classmethod
    def init(cls, root: Path | str | None = None, settings: bool = True) -> Workspace:
        """Make ``root`` a workspace (folders, and with ``settings`` a commented
        edurollup.toml if it has none); harmless on an existing one."""
        base = Path(root or os.environ.get("EDUROLLUP_WORKSPACE") or ".").resolve()
        if base.exists() and not base.is_dir():
            raise WorkspaceError(f"ไม่ใช่โฟลเดอร์ / not a folder: {base}")
        ws = cls(base)
        ws.ensure()
        cfg = base / "edurollup.toml"
        if settings and not cfg.exists():
            cfg.write_text(DEFAULT_TOML, "utf-8")
        return cls.open(base)

    # folders --------------------------------------------------------------------------
    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def maildir(self) -> Path:
        return self.inbox / "mail"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def archive(self) -> Path:
        return self.state / "archive"

    @property
    def ledger_path(self) -> Path:
        return self.state / "ledger.sqlite"

    @property
    def lock_path(self) -> Path:
        return self.state / "run.lock"

    @property
    def log_dir(self) -> Path:
        return self.state / "logs"

    @property
    def plan_dir(self) -> Path:
        return self.root / "plan"

    @property
    def feedback_dir(self) -> Path:
        return self.outbox / "feedback"

    @property
    def replies_dir(self) -> Path:
        return self.outbox / "replies"

    @property
    def runs_dir(self) -> Path:
        return self.outbox / "runs"

    def plan_file(self, fiscal_year: int) -> Path:
        return self.plan_dir / f"{fiscal_year}.xlsx"

    def plan_years(self) -> list[int]:
        if not self.plan_dir.is_dir():
            return []
        return sorted(int(p.stem) for p in self.plan_dir.glob("*.xlsx") if p.stem.isdigit())

    def rollup_dir(self, fiscal_year: int, quarter: int | None = None) -> Path:
        base = self.outbox / str(fiscal_year)
        return base / (f"Q{quarter}" if quarter else "annual")

    # settings -------------------------------------------------------------------------
    @property
    def trust_dropped_files(self) -> bool:
        """Files dropped straight into inbox/ come from office staff: trusted by default."""
        return bool(self.config.get("intake", {}).get("trust_dropped_files", True))

    @property
    def smtp(self) -> SmtpConfig:
        return SmtpConfig(**self.config.get("smtp", {}))

    def ensure(self) -> None:
        for d in (self.inbox, self.outbox, self.state, self.archive, self.log_dir, self.plan_dir):
            d.mkdir(parents=True, exist_ok=True)
