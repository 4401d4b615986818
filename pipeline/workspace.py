"""Where a workspace keeps things: inbox, outbox, state (ledger, archive, lock), plans.

The repository root is the default workspace. ``EDUROLLUP_WORKSPACE`` or ``--workspace``
point elsewhere. Optional settings live in ``edurollup.toml`` at the workspace root.
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


@dataclass
class Workspace:
    root: Path
    config: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, root: Path | str | None = None) -> Workspace:
        base = Path(root or os.environ.get("EDUROLLUP_WORKSPACE") or ".").resolve()
        cfg_path = base / "edurollup.toml"
        config = tomllib.loads(cfg_path.read_text("utf-8")) if cfg_path.exists() else {}
        return cls(base, config)

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
