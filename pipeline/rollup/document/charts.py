"""The report's charts as PNG images (matplotlib, Agg): drawn with Sarabun, the OFL Thai
font the product ships in pipeline/data/fonts/ (no system font needed, nothing fetched).
The bytes depend only on the figures (no timestamps in the PNG)."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: the charts go into the document as images

from matplotlib import font_manager  # noqa: E402 (after the backend is chosen)
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402

FONT_DIR = Path(__file__).resolve().parents[2] / "data" / "fonts"
FONT_FILES = ("Sarabun-Regular.ttf", "Sarabun-Bold.ttf")
FAMILY = "Sarabun"
DPI = 200


def _use_font() -> None:
    for name in FONT_FILES:
        font_manager.fontManager.addfont(str(FONT_DIR / name))
    plt.rcParams.update({"font.family": FAMILY, "font.size": 12, "axes.unicode_minus": False,
                         "svg.hashsalt": "edurollup"})


def wrap_thai(text: str, width: int) -> str:
    """Break a label into lines of at most ``width`` visible characters, at spaces where
    there are any, never between a Thai consonant and its vowel or tone marks."""
    lines: list[str] = []
    line = ""
    words = text.split(" ")
    if len(words) > 1 and words[0].rstrip(".").isdigit():  # '1.' stays with its first word
        words = [f"{words[0]} {words[1]}", *words[2:]]
    for word in words:
        candidate = f"{line} {word}" if line else word
        if _visible(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for ch in word:  # a word longer than the width: cut before a base character
            if _visible(line + ch) > width and not _is_mark(ch):
                lines.append(line)
                line = ""
            line += ch
    if line:
        lines.append(line)
    return "\n".join(lines)


def _is_mark(ch: str) -> bool:
    return unicodedata.combining(ch) > 0 or unicodedata.category(ch) == "Mn"


def _visible(text: str) -> int:
    return sum(1 for ch in text if not _is_mark(ch))


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def disbursement_curve(quarters: list[int], targets: list[float | None],
                       actual: dict[int, float], previous: tuple[int, float] | None,
                       title: str) -> bytes:
    """The year's cumulative disbursement target per quarter (a line) and the reported
    rate of each quarter so far (points with their value), the previous year's rate as
    one more point."""
    _use_font()
    fig, ax = plt.subplots(figsize=(6.3, 3.6))  # drawn at the size it is shown
    xs = [f"ไตรมาส {q}" for q in quarters]
    t_pts = [(x, t) for x, t in zip(xs, targets, strict=True) if t is not None]
    if t_pts:
        ax.plot([x for x, _ in t_pts], [t for _, t in t_pts], color="#C00000", marker="D",
                linewidth=2, label="เป้าหมายเบิกจ่ายสะสม (target)")
        for x, t in t_pts:  # target labels below the line, actual labels above the point
            ax.annotate(f"{t * 100:.0f}%", (x, t), textcoords="offset points", xytext=(12, -14),
                        color="#C00000", fontsize=10)
    a_pts = [(f"ไตรมาส {q}", r) for q, r in sorted(actual.items())]
    if a_pts:
        ax.plot([x for x, _ in a_pts], [r for _, r in a_pts], color="#1F4E79", marker="o",
                linewidth=2.5, label="ผลเบิกจ่ายสะสม (disbursed)")
        target_of = dict(t_pts)
        for x, r in a_pts:  # below its point when behind the target line, above otherwise
            below = target_of.get(x) is not None and r < target_of[x]
            ax.annotate(f"{r * 100:.2f}%", (x, r), textcoords="offset points",
                        xytext=(-10, -18 if below else 10), color="#1F4E79", fontsize=11,
                        fontweight="bold", ha="right")
    if previous is not None:
        q, r = previous
        ax.plot([f"ไตรมาส {q}"], [r], color="#7F7F7F", marker="s", linestyle="none",
                label="ปีงบประมาณก่อน (previous year)")
    ax.set_xlim(-0.5, len(quarters) - 0.5)
    ax.set_ylim(0, 1.08)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.grid(axis="y", color="#DDDDDD")
    ax.set_axisbelow(True)
    ax.set_title(title, fontsize=14, fontweight="bold")
    ax.legend(loc="upper left", fontsize=10, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _png(fig)


def strategy_bars(labels: list[str], rates: list[float | None], target: float | None,
                  title: str) -> bytes:
    """Disbursement rate per strategy as horizontal bars (long Thai names wrapped on
    their own lines), the quarter's target as a vertical line, each value at its bar's
    end away from the line."""
    _use_font()
    n = max(1, len(labels))
    fig, ax = plt.subplots(figsize=(6.3, 1.0 + 0.62 * n))
    ys = list(range(len(labels)))[::-1]
    vals = [0.0 if r is None else float(r) for r in rates]
    ax.barh(ys, vals, color="#4472C4", height=0.6)
    top = max([*vals, target or 0, 0.1]) * 1.25
    for y, r, v in zip(ys, rates, vals, strict=True):
        text = "-" if r is None else f"{v * 100:.2f}%"
        ax.text(v + top * 0.01, y, text, va="center", fontsize=10)
    if target is not None:
        ax.axvline(target, color="#C00000", linewidth=2,
                   label=f"เป้าหมายสะสม {target * 100:.0f}% (target)")
        ax.legend(loc="lower right", fontsize=10, frameon=True)
    ax.set_yticks(ys, [wrap_thai(lb, 30) for lb in labels], fontsize=10)
    ax.set_xlim(0, top)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.grid(axis="x", color="#DDDDDD")
    ax.set_axisbelow(True)
    ax.set_title(title, fontsize=14, fontweight="bold")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _png(fig)
