"""A synthetic province of N agencies with one realistic Q1 submission each, for the benchmark.

Why this shape: filling a template with openpyxl costs ~0.3 s per workbook, far too slow for
30,000 files. So a few hundred *base* agencies get real filled workbooks from the demo
generator (``pipeline.demo.make_reports`` + ``fill`` + ``xlsx_bytes``: the real template, real
figures, Thai text), and every other agency's file is a base file whose worksheet XML is
patched: agency code, name, e-mail and the stamp checksum (recomputed with
``templates.stamp_checksum``). Each clone has the agency type of its base, so its locked
indicator list and stamp stay valid: the product sees N valid, distinct files for N
distinct agencies of one plan.

A fixed share of files carries a flaw (a progress status that is not on the list: the file
is rejected and gets a feedback workbook), and 1 % of agencies resubmit (a different reporter
phone: new bytes, same figures) for the incremental run.

The corpus is cached under ``bench/work/n<N>-s<seed>/`` (git-ignored) and reused when its
``meta.json`` matches; files are delivered as *dropped files* in ``inbox/`` (trusted, as in
the demo's ``edurollup.toml``), so no e-mail parsing is measured.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from pipeline import demo
from pipeline import demo_data as dd
from pipeline.plan import Agency, Plan
from pipeline.templates import stamp_values, template_filename

FORMAT = 5  # bump when the corpus layout or content changes: old caches are rebuilt
BASE_REPEATS = 2  # base workbooks = BASE_REPEATS x the demo's agencies (~300)
FLAW_SHARE = 0.02  # files rejected for a progress status not on the list
RESUBMIT_SHARE = 0.01  # agencies sending a corrected file for the incremental run
QUARTER = 1
BAD_STATUS = "ไม่ทราบสถานะ"  # not a progress status: value.not-allowed
WORK = Path(__file__).resolve().parent / "work"
CONFIG = "[intake]\ntrust_dropped_files = true\n"


# ---- the plan -----------------------------------------------------------------------------------
class _KnownPrint(Plan):
    """A plan whose fingerprint is computed once: hashing 30,000 agencies takes ~2 s, and
    every stamp needs it."""

    _print: str = ""

    @property
    def fingerprint(self) -> str:
        return self._print


def fixed_fingerprint(plan: Plan) -> Plan:
    fast = _KnownPrint(**{f: getattr(plan, f) for f in plan.__dataclass_fields__})
    fast._print = plan.fingerprint
    return fast


def make_plan(n: int) -> Plan:
    """The demo plan with ``n`` agencies: the demo's own first, then clones of them
    (same type, affiliation, district and parent; code 8xxxxxxxxx, numbered name)."""
    demo_plan = dd.make_demo_plan()
    kinds = list(demo_plan.agencies.values())
    agencies: list[Agency] = []
    for i in range(n):
        base = kinds[i % len(kinds)]
        if i < len(kinds):
            agencies.append(base)
            continue
        code = f"8{i:09d}"
        agencies.append(replace(base, code=code, name_th=f"{base.name_th} แห่งที่ {i // len(kinds) + 1}",
                                sender_emails=(f"a{code}@example.ac.th",)))
    kept = {a.code for a in agencies}
    # the demo's project register, for the demo agencies kept (clones report their base's
    # projects as their own, unplanned, lines)
    return replace(demo_plan, agencies={a.code: a for a in agencies},
                   projects={c: p for c, p in demo_plan.projects.items() if p.agency_code in kept})


# ---- corpus -----------------------------------------------------------------------------------------
@dataclass
class Corpus:
    """What one bench size works on: the plan file and the submissions, cached on disk."""

    root: Path
    n: int
    seed: int
    plan_file: Path
    files: list[Path]  # one Q1 submission per agency
    resubmissions: list[Path]  # 1 % of agencies, new bytes
    mtimes: dict[str, float]  # file name -> received time (epoch seconds)
    flawed: list[str]  # file names expected to be rejected
    generate_s: float = 0.0

    def meta(self) -> dict[str, Any]:
        return {"format": FORMAT, "n": self.n, "seed": self.seed,
                "files": [p.name for p in self.files],
                "resubmissions": [p.name for p in self.resubmissions],
                "mtimes": self.mtimes, "flawed": self.flawed,
                "generate_s": round(self.generate_s, 1)}


def base_plan(agencies: list[Agency], k: int) -> tuple[list[int], list[int]]:
    """Which agencies get a really filled workbook (the first ``k``, plus the first of any
    agency type and levels taught they miss), and for every agency the base whose file it
    reuses: one of the same type and levels (they decide which indicators a template
    asks), so its locked indicators and stamp stay right."""
    bases = list(range(min(k, len(agencies))))
    by_type: dict[tuple[str, frozenset[str]], list[int]] = {}
    for b in bases:
        by_type.setdefault((agencies[b].agency_type, agencies[b].levels), []).append(b)
    base_of = []
    for i, a in enumerate(agencies):
        key = (a.agency_type, a.levels)
        if key not in by_type:
            bases.append(i)
            by_type[key] = [i]
        same = by_type[key]
        base_of.append(i if i in same else same[i % len(same)])
    return bases, base_of


def _fill_one(args: tuple[Plan, Any]) -> bytes:
    plan, report = args
    return demo.xlsx_bytes(demo.fill(plan, report))


def _pool(workers: int) -> ProcessPoolExecutor | None:
    return ProcessPoolExecutor(workers) if workers > 1 else None


def _map(pool: ProcessPoolExecutor | None, fn: Any, items: list[Any], chunk: int) -> list[Any]:
    if pool is None:
        return [fn(x) for x in items]
    return list(pool.map(fn, items, chunksize=chunk))


def _members(data: bytes) -> list[tuple[str, bytes]]:
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


_PHONE = re.compile(rb"045-\d{6}")


def patch(members: list[tuple[str, bytes]], swaps: list[tuple[str, str]], *,
          flaw: bool = False, phone: str | None = None) -> bytes:
    """A new .xlsx from a base workbook's members with text swapped in the worksheets.

    ``swaps`` are (old, new) pairs applied in order to every worksheet's XML (inline
    strings); ``flaw`` replaces the first progress status in the budget sheet with one
    that is not on the list; ``phone`` replaces the reporter's phone on the cover."""
    import io

    # openpyxl writes Thai as UTF-8, or as character references when lxml is installed
    # (python-docx brings it): swap each spelling
    enc = list(dict.fromkeys((sp(escape(a)), sp(escape(b))) for a, b in swaps
                             for sp in _SPELLINGS))  # ASCII text has one spelling: once
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, data in members:
            if name.startswith("xl/worksheets/sheet"):
                for a, b in enc:
                    data = data.replace(a, b)
                if flaw and name.endswith("sheet2.xml"):
                    data = _flaw_status(data)
                if phone and name.endswith("sheet1.xml"):
                    data = _PHONE.sub(phone.encode(), data, count=1)
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data, compresslevel=1)  # level 6 made generation 3x slower
    return out.getvalue()


_SPELLINGS = (lambda t: t.encode(), lambda t: t.encode("ascii", "xmlcharrefreplace"))


def _flaw_status(xml: bytes) -> bytes:
    best = None
    for label in demo._STATUS.values():
        for sp in _SPELLINGS:
            old = sp(f"<t>{label}</t>")
            pos = xml.find(old)
            if pos >= 0 and (best is None or pos < best[0]):
                best = (pos, old, sp)
    if best is None:
        return xml
    pos, old, sp = best
    return xml[:pos] + sp(f"<t>{BAD_STATUS}</t>") + xml[pos + len(old):]


def _swaps(plan: Plan, base: Agency, agency: Agency) -> list[tuple[str, str]]:
    old = stamp_values(plan, base, QUARTER)["checksum"]
    new = stamp_values(plan, agency, QUARTER)["checksum"]
    return [(base.sender_emails[0], agency.sender_emails[0]), (base.code, agency.code),
            (base.name_th, agency.name_th), (old, new)]


_WORKER: dict[str, Any] = {}


def _init_clone(plan: Plan, bases: dict[int, bytes], base_of: list[int]) -> None:
    _WORKER["plan"] = plan
    _WORKER["bases"] = {i: _members(b) for i, b in bases.items()}
    _WORKER["base_of"] = base_of
    _WORKER["agencies"] = list(plan.agencies.values())


def _clone_chunk(args: tuple[list[int], str, list[int], list[int]]) -> list[str]:
    """Write the files of agencies ``idx`` (runs in a worker); returns their names."""
    idx, out_dir, flawed, resub = args
    plan, bases, agencies = _WORKER["plan"], _WORKER["bases"], _WORKER["agencies"]
    base_of = _WORKER["base_of"]
    flawed_set, resub_set = set(flawed), set(resub)
    names = []
    for i in idx:
        agency = agencies[i]
        base = agencies[base_of[i]]
        swaps = [] if base is agency else _swaps(plan, base, agency)
        name = template_filename(plan, agency, QUARTER)
        data = patch(bases[base_of[i]], swaps, flaw=i in flawed_set)
        Path(out_dir, "q1", name).write_bytes(data)
        if i in resub_set:
            again = patch(bases[base_of[i]], swaps, flaw=False, phone=f"045-9{i % 100000:05d}")
            Path(out_dir, "resub", name.replace(".xlsx", "-แก้ไข.xlsx")).write_bytes(again)
        names.append(name)
    return names


def _load_cached(root: Path, n: int, seed: int) -> Corpus | None:
    try:
        meta = json.loads((root / "meta.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("format") != FORMAT or meta.get("n") != n or meta.get("seed") != seed:
        return None
    files = [root / "q1" / f for f in meta["files"]]
    resub = [root / "resub" / f for f in meta["resubmissions"]]
    if not (root / "plan.xlsx").exists() or not all(p.exists() for p in files + resub):
        return None
    return Corpus(root, n, seed, root / "plan.xlsx", files, resub, meta["mtimes"],
                  meta["flawed"], meta.get("generate_s", 0.0))


def flaw_tag(flaw_share: float) -> str:
    """What names a corpus (and its results file) with another share of rejected files."""
    return "" if flaw_share == FLAW_SHARE else f"-f{flaw_share:g}"


def build_corpus(n: int, seed: int = dd.SEED, workers: int | None = None,
                 work: Path = WORK, log: Any = print, bases_wanted: int | None = None,
                 flaw_share: float = FLAW_SHARE) -> Corpus:
    """The cached corpus for (n, seed), generated when missing or stale; ``bases_wanted``
    really filled workbooks (default ~300; a smoke run asks for a few); ``flaw_share`` of
    the files rejected (default 2 %; a province's first round rejects far more, and each
    rejected file costs a feedback workbook)."""
    root = work / (f"n{n}-s{seed}" + (f"-b{bases_wanted}" if bases_wanted is not None else "")
                   + flaw_tag(flaw_share))
    cached = _load_cached(root, n, seed)
    if cached is not None:
        return cached
    t0 = time.perf_counter()
    workers = workers or os.cpu_count() or 1
    if root.exists():
        shutil.rmtree(root)
    for sub in ("q1", "resub"):
        (root / sub).mkdir(parents=True)
    plan = fixed_fingerprint(make_plan(n))
    from pipeline.plan_workbook import write_plan

    write_plan(plan, root / "plan.xlsx")
    log(f"  plan of {n} agencies written ({time.perf_counter() - t0:.1f} s)")
    agencies = list(plan.agencies.values())
    k = bases_wanted if bases_wanted is not None else \
        len(dd.make_demo_plan().agencies) * BASE_REPEATS
    base_idx, base_of = base_plan(agencies, k)
    sub = replace(plan, agencies={agencies[b].code: agencies[b] for b in base_idx})  # figures
    reports = demo.make_reports(sub)
    rng = random.Random(seed)
    order = list(range(n))
    flawed = sorted(rng.sample(order, max(1, round(n * flaw_share)) if n >= 10 else 0))
    clean = sorted(set(order) - set(flawed))
    resub = sorted(rng.sample(clean, max(1, round(n * RESUBMIT_SHARE))))
    pool = _pool(workers)
    try:
        filled = _map(pool, _fill_one,
                      [(plan, reports[(agencies[b].code, QUARTER)]) for b in base_idx], 4)
        bases = dict(zip(base_idx, filled, strict=True))
        log(f"  {len(bases)} base workbooks filled ({time.perf_counter() - t0:.1f} s)")
    finally:
        if pool is not None:
            pool.shutdown()
    chunks = [order[j:j + 500] for j in range(0, n, 500)]
    flawed_set, resub_set = set(flawed), set(resub)
    args = [(c, str(root), [i for i in c if i in flawed_set], [i for i in c if i in resub_set])
            for c in chunks]
    if workers > 1:
        with ProcessPoolExecutor(workers, initializer=_init_clone, initargs=(plan, bases, base_of)) as p:
            names = [nm for part in p.map(_clone_chunk, args) for nm in part]
    else:
        _init_clone(plan, bases, base_of)
        names = [nm for a in args for nm in _clone_chunk(a)]
    log(f"  {n} submissions written ({time.perf_counter() - t0:.1f} s)")
    mtimes: dict[str, float] = {}
    for i, name in enumerate(names):
        received = reports[(agencies[base_of[i]].code, QUARTER)].received_at.timestamp()
        mtimes[name] = received
        os.utime(root / "q1" / name, (received, received))
    resub_files = sorted((root / "resub").iterdir())
    for p in resub_files:
        # a corrected file arrives after the first one (still before the due date's end)
        t = mtimes[p.name.replace("-แก้ไข.xlsx", ".xlsx")] + 3600
        mtimes[p.name] = t
        os.utime(p, (t, t))
    corpus = Corpus(root, n, seed, root / "plan.xlsx", [root / "q1" / nm for nm in names],
                    resub_files, mtimes, [names[i] for i in flawed],
                    time.perf_counter() - t0)
    (root / "meta.json").write_text(json.dumps(corpus.meta(), ensure_ascii=False), "utf-8")
    return corpus


# ---- workspace ------------------------------------------------------------------------------------
def _place(src: Path, dst: Path) -> None:
    """Hard-link when possible (30,000 copies cost seconds); the product never writes inbox
    files, and the link keeps the corpus file's mtime (its received time)."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def fresh_workspace(corpus: Corpus, name: str = "ws") -> Path:
    """An empty workspace: the plan, the trust setting, every Q1 file in inbox/."""
    ws = corpus.root / name
    if ws.exists():
        shutil.rmtree(ws)
    (ws / "inbox").mkdir(parents=True)
    (ws / "outbox").mkdir()
    (ws / "plan").mkdir()
    shutil.copy2(corpus.plan_file, ws / "plan" / f"{dd.FISCAL_YEAR}.xlsx")
    (ws / "edurollup.toml").write_text(CONFIG, "utf-8")
    for p in corpus.files:
        _place(p, ws / "inbox" / p.name)
    return ws


def drop_resubmissions(corpus: Corpus, ws: Path) -> int:
    for p in corpus.resubmissions:
        _place(p, ws / "inbox" / p.name)
    return len(corpus.resubmissions)
