"""Quarter figures from the ledger: the latest accepted submission of each agency, summed.

Everything here works on integer satang and plain frames; rollup.py and status_page.py
only lay the figures out. Reports are cumulative, so a quarter's roll-up is the sum of
each agency's current (latest accepted) submission for that quarter; Q4 is the year.
The ledger is read with plain SQL (stable tables of ledger_schema.py), so this module
works on any ledger file, an open sqlite3 connection or a ``Ledger`` object.
"""

from __future__ import annotations

import sqlite3
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from schemas import BUDGET
from schemas.choices import CAPITAL_CATEGORIES, SUMMABLE_UNITS, by_key

from . import catalog
from .model import Problem
from .plan import Plan

MEASURES = ("allocated", "committed", "disbursed")
# Figures that may not fall from one quarter's report to the next. "committed" is the
# outstanding PO amount, which falls as POs are paid, so it is not checked.
NON_DECREASING = ("allocated", "disbursed")
MEASURE_LABELS = {
    "allocated": ("จัดสรร", "allocated"),
    "committed": ("ก่อหนี้ผูกพัน", "committed"),
    "disbursed": ("เบิกจ่าย", "disbursed"),
    "spent": ("ใช้จ่าย (ก่อหนี้+เบิกจ่าย)", "spent (committed + disbursed)"),
}
# dimensions of the budget tables: key -> (Thai, English)
DIMENSIONS = {
    "strategy": ("ยุทธศาสตร์", "Strategy"),
    "budget_source": ("แหล่งงบประมาณ", "Budget source"),
    "expenditure_category": ("งบรายจ่าย", "Expenditure category"),
    "affiliation": ("สังกัด", "Affiliation"),
    "district": ("อำเภอ", "District"),
    "agency": ("หน่วยงาน", "Agency"),
}
COMPLETENESS_STATES = ("on_time", "late", "rejected", "missing")
STATE_LABELS = {
    "on_time": ("ส่งตรงเวลา", "on time"),
    "late": ("ส่งล่าช้า", "late"),
    "rejected": ("ถูกส่งคืน ยังไม่แก้ไข", "rejected, not yet fixed"),
    "missing": ("ยังไม่ส่ง", "missing"),
}
CROSS_QUARTER_CODE = "crossquarter.cumulative-fell"


# ---- the ledger ------------------------------------------------------------------------------
def connect(source: Any) -> tuple[sqlite3.Connection, bool]:
    """A sqlite3 connection for a path, a connection or a Ledger-like object.

    Returns (connection, owned): close it only when we opened it.
    """
    if isinstance(source, sqlite3.Connection):
        return source, False
    for attr in ("conn", "connection", "_conn", "db"):
        inner = getattr(source, attr, None)
        if isinstance(inner, sqlite3.Connection):
            return inner, False
    path = Path(source)
    if not path.is_file():  # never create an empty ledger as a side effect of a report
        raise FileNotFoundError(
            f"ไม่พบฐานข้อมูล {path} ให้รัน `edurollup run` ก่อน / "
            f"no ledger at {path}: run `edurollup run` first")
    conn = sqlite3.connect(str(path), timeout=30)
    return conn, True


def _query(conn: sqlite3.Connection, sql: str, params: tuple = ()) -> pd.DataFrame:
    cur = conn.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return pd.DataFrame([tuple(r) for r in cur.fetchall()], columns=cols)


def current_submissions(conn: sqlite3.Connection, fy: int, q: int) -> pd.DataFrame:
    """The latest accepted submission per agency for a year and quarter (ties: higher id)."""
    df = _query(conn, """
        SELECT id, agency_code, original_name, sender, received_at, late, warnings,
               plan_fingerprint, feedback_path
        FROM submissions
        WHERE status = 'accepted' AND fiscal_year = ? AND quarter = ? AND agency_code IS NOT NULL
        ORDER BY agency_code, received_at DESC, id DESC
    """, (fy, q))
    return df.drop_duplicates("agency_code", keep="first").reset_index(drop=True)


def period_submissions(conn: sqlite3.Connection, fy: int, q: int) -> pd.DataFrame:
    """Every submission recorded for the period (all statuses), oldest first."""
    return _query(conn, """
        SELECT id, agency_code, original_name, sender, received_at, status, reason, late,
               errors, warnings, feedback_path, superseded_by
        FROM submissions WHERE fiscal_year = ? AND quarter = ?
        ORDER BY received_at, id
    """, (fy, q))


def _lines_of(conn: sqlite3.Connection, ids: list[int]) -> pd.DataFrame:
    cols = ["submission_id", "row", "project_code", "project_name", "strategy_no",
            "budget_source", "expenditure_category", "allocated", "committed", "disbursed",
            "progress_status", "remarks"]
    if not ids:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in MEASURES else object)
                             for c in cols})
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS _c_ids (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM _c_ids")
    conn.executemany("INSERT INTO _c_ids VALUES (?)", [(int(i),) for i in ids])
    df = _query(conn, f"""
        SELECT {', '.join('b.' + c for c in cols)} FROM budget_lines b
        JOIN _c_ids c ON c.id = b.submission_id ORDER BY b.submission_id, b.row
    """)
    for m in MEASURES:
        df[m] = df[m].astype("int64")
    return df


def _results_of(conn: sqlite3.Connection, ids: list[int]) -> pd.DataFrame:
    cols = ["submission_id", "row", "indicator_code", "result", "evidence"]
    if not ids:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS _c_ids (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM _c_ids")
    conn.executemany("INSERT INTO _c_ids VALUES (?)", [(int(i),) for i in ids])
    return _query(conn, f"""
        SELECT {', '.join('r.' + c for c in cols)} FROM indicator_results r
        JOIN _c_ids c ON c.id = r.submission_id ORDER BY r.submission_id, r.row
    """)


def blank(value: Any) -> bool:
    """None, NaN, NA or NaT: what pandas leaves in a cell that holds nothing."""
    if value is None:
        return True
    cls = value.__class__
    if cls is str or cls is int or cls is bool:
        return False
    if cls is float:
        return value != value
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def parse_time(text: Any) -> datetime | None:
    if blank(text) or not str(text).strip():
        return None
    return datetime.fromisoformat(str(text))


# ---- labels ----------------------------------------------------------------------------------
def choice_label(list_name: str, key: str) -> str:
    c = by_key(list_name).get(key)
    return f"{c.th} ({c.en})" if c else str(key)


def agency_frame(plan: Plan) -> pd.DataFrame:
    """The registry as a frame, in code order."""
    rows = [{
        "agency_code": a.code, "agency_name": a.name_th, "agency_type": a.agency_type,
        "affiliation": a.affiliation, "district": a.district,
        "emails": "; ".join(a.sender_emails),
    } for a in sorted(plan.agencies.values(), key=lambda a: a.code)]
    return pd.DataFrame(rows, columns=["agency_code", "agency_name", "agency_type",
                                       "affiliation", "district", "emails"])


def _dimension_labels(plan: Plan, dim: str, keys: list) -> dict:
    if dim == "strategy":
        return {k: (plan.strategies[k].label if k in plan.strategies else f"{k}. ?") for k in keys}
    if dim in ("budget_source", "expenditure_category", "affiliation"):
        return {k: choice_label(dim, k) for k in keys}
    if dim == "agency":
        return {k: (plan.agencies[k].name_th if k in plan.agencies else k) for k in keys}
    return {k: str(k) for k in keys}


# ---- budget ----------------------------------------------------------------------------------
def _rate(num: int, den: int) -> float | None:
    return None if den == 0 else num / den


@dataclass(frozen=True)
class Targets:
    """The plan's cumulative disbursement targets for the quarter, as fractions (0.54)."""

    overall: float | None
    current: float | None
    capital: float | None


def targets_for(plan: Plan, q: int) -> Targets:
    t = plan.disbursement.get(q)
    if t is None:
        return Targets(None, None, None)

    def frac(v: float | None) -> float | None:
        return None if v is None else v / 100.0
    return Targets(frac(t.overall_pct), frac(t.current_pct), frac(t.capital_pct))


def _behind(rate: float | None, target: float | None) -> bool | None:
    if rate is None or target is None:
        return None
    return rate < target


def budget_table(lines: pd.DataFrame, dim: str, plan: Plan, targets: Targets,
                 keys: list | None = None) -> pd.DataFrame:
    """Money per value of one dimension (integer satang), rates, targets and behind flags.

    ``keys`` lists rows to show even without money (every strategy of the plan).
    """
    col = {"strategy": "strategy_no", "agency": "agency_code"}.get(dim, dim)
    df = lines.assign(
        spent=lines["committed"] + lines["disbursed"],
        capital=lines["expenditure_category"].isin(CAPITAL_CATEGORIES),
    )
    for m in ("allocated", "disbursed"):
        df[f"{m}_capital"] = df[m].where(df["capital"], 0)
        df[f"{m}_current"] = df[m].where(~df["capital"], 0)
    money = ["allocated", "committed", "disbursed", "spent", "allocated_current",
             "disbursed_current", "allocated_capital", "disbursed_capital"]
    grouped = df.groupby(col, sort=True)[money].sum() if len(df) else pd.DataFrame(columns=money)
    all_keys = list(keys) if keys is not None else []
    seen = set(all_keys)
    all_keys += [k for k in grouped.index if k not in seen]
    if keys is None:
        all_keys = sorted(all_keys, key=str)
    grouped = grouped.reindex(all_keys, fill_value=0)
    labels = _dimension_labels(plan, dim, all_keys)
    rows = []
    values = {m: grouped[m].astype("int64").tolist() for m in money}
    for i, k in enumerate(grouped.index.tolist()):
        rec: dict[str, Any] = {"key": k, "label": labels.get(k, str(k))}
        for m in money:
            rec[m] = values[m][i]
        rec.update(rate_columns(rec, targets))
        rows.append(rec)
    return pd.DataFrame(rows, columns=["key", "label", *money, *RATE_COLUMNS])


RATE_COLUMNS = ["disbursement_rate", "spent_rate", "target", "behind",
                "rate_current", "target_current", "behind_current",
                "rate_capital", "target_capital", "behind_capital"]


def rate_columns(rec: dict[str, Any], targets: Targets) -> dict[str, Any]:
    """Rates and flags of a row holding allocated/committed/disbursed/spent (+ split) satang."""
    dr = _rate(rec["disbursed"], rec["allocated"])
    cur = _rate(rec["disbursed_current"], rec["allocated_current"])
    cap = _rate(rec["disbursed_capital"], rec["allocated_capital"])
    return {
        "disbursement_rate": dr,
        "spent_rate": _rate(rec["spent"], rec["allocated"]),
        "target": targets.overall,
        "behind": _behind(dr, targets.overall),
        "rate_current": cur,
        "target_current": targets.current,
        "behind_current": _behind(cur, targets.current),
        "rate_capital": cap,
        "target_capital": targets.capital,
        "behind_capital": _behind(cap, targets.capital),
    }


def total_row(table: pd.DataFrame, targets: Targets) -> dict[str, Any]:
    """The 'total' row of a budget table: integer sums, rates recomputed from the sums."""
    rec: dict[str, Any] = {"key": None, "label": "รวม (Total)"}
    for m in ["allocated", "committed", "disbursed", "spent", "allocated_current",
              "disbursed_current", "allocated_capital", "disbursed_capital"]:
        rec[m] = int(table[m].sum()) if len(table) else 0
    rec.update(rate_columns(rec, targets))
    return rec


# ---- indicators ------------------------------------------------------------------------------
def _provincial(values: list[float], unit: str) -> float | None:
    if not values:
        return None
    return float(sum(values)) if unit in SUMMABLE_UNITS else float(statistics.median(values))


def _quartiles(values: list[float]) -> tuple[float | None, float | None]:
    if len(values) < 2:
        return (values[0], values[0]) if values else (None, None)
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def indicator_table(plan: Plan, results: pd.DataFrame,
                    previous: pd.DataFrame | None) -> pd.DataFrame:
    """One row per plan indicator: who should report, who did, who met the target, and
    a provincial figure (a sum for count/baht units, else the median with the spread)."""
    rows = []
    prev_by_code: dict[str, list[float]] = {}
    if previous is not None and len(previous):
        for code, grp in previous.dropna(subset=["result"]).groupby("indicator_code"):
            prev_by_code[str(code)] = [float(v) for v in grp["result"]]
    # one pass over the results (not a mask per indicator: 420,000 rows at 30,000 agencies):
    # each indicator's (agency, result) pairs in the frame's order, which sums keep
    by_code: dict[Any, list[tuple[Any, Any]]] = {}
    if len(results):
        ok = results["result"].notna().tolist()
        for code, agency, value, present in zip(
                results["indicator_code"].tolist(), results["agency_code"].tolist(),
                results["result"].tolist(), ok, strict=True):
            if present:
                by_code.setdefault(code, []).append((agency, value))
    codes_by_type: dict[str, set[str]] = {}
    for a in plan.agencies.values():
        codes_by_type.setdefault(a.agency_type, set()).add(a.code)
    for ind in sorted(plan.indicators.values(), key=lambda i: _code_key(i.code)):
        expected: set[str] = set()
        for agency_type, codes in codes_by_type.items():
            if ind.applies_to(agency_type):
                expected |= codes
        values = [float(v) for agency, v in by_code.get(ind.code, ()) if agency in expected]
        met = sum(1 for v in values if ind.met(v))
        summable = ind.unit in SUMMABLE_UNITS
        figure = _provincial(values, ind.unit)
        q1, q3 = _quartiles(values)
        prev_source = None
        prev_figure = None
        if ind.code in prev_by_code:
            prev_figure = _provincial(prev_by_code[ind.code], ind.unit)
            prev_source = "ledger"
        elif ind.previous_result is not None:
            prev_figure = float(ind.previous_result)
            prev_source = "plan"
        change = None if (figure is None or prev_figure is None) else figure - prev_figure
        improved = None
        if change is not None:
            improved = change > 0 if ind.direction == "higher" else change < 0
        rows.append({
            "code": ind.code, "name": ind.name_th, "unit": ind.unit,
            "unit_label": choice_label("unit", ind.unit),
            "direction": ind.direction, "direction_label": choice_label("direction", ind.direction),
            "strategy_no": ind.strategy_no, "target": float(ind.target),
            "expected": len(expected), "reported": len(values), "met": met,
            "not_met": len(values) - met,
            "share_met": _rate(met, len(values)),
            "share_reported": _rate(len(values), len(expected)),
            "summable": summable,
            "figure": figure,
            "figure_kind": "sum" if summable else "median",
            "mean": (float(statistics.fmean(values)) if values and not summable else None),
            "min": min(values) if values else None,
            "q1": q1 if not summable else None,
            "q3": q3 if not summable else None,
            "max": max(values) if values else None,
            "previous": prev_figure, "previous_source": prev_source,
            "change": change, "improved": improved,
        })
    return pd.DataFrame(rows)


def _code_key(code: str) -> tuple:
    parts = []
    for p in str(code).replace("-", ".").split("."):
        parts.append((0, int(p), "") if p.isdigit() else (1, 0, p))
    return tuple(parts)


# ---- completeness ----------------------------------------------------------------------------
def completeness_frame(plan: Plan, subs: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """One row per registry agency: on_time / late / rejected (not yet fixed) / missing."""
    reg = agency_frame(plan)
    cur = current.set_index("agency_code") if len(current) else None
    bad = subs[subs["status"].isin(["rejected", "quarantined"])] if len(subs) else subs
    last_bad = (bad.sort_values(["received_at", "id"]).drop_duplicates("agency_code", keep="last")
                .set_index("agency_code") if len(bad) else None)
    cur_map = (current.set_index("agency_code")[["id", "received_at", "original_name", "late"]]
               .to_dict("index") if cur is not None else {})
    bad_map = (last_bad[["id", "received_at", "original_name", "reason", "feedback_path"]]
               .to_dict("index") if last_bad is not None else {})
    states, received, sub_ids, files, reasons, feedback = [], [], [], [], [], []
    for code in reg["agency_code"].tolist():
        r = cur_map.get(code)
        if r is not None:
            states.append("late" if int(r["late"]) else "on_time")
            reasons.append(None)
            feedback.append(None)
        else:
            r = bad_map.get(code)
            if r is not None:
                states.append("rejected")
                reasons.append(r["reason"])
                feedback.append(r["feedback_path"])
            else:
                states.append("missing")
                reasons.append(None)
                feedback.append(None)
        received.append(None if r is None else r["received_at"])
        sub_ids.append(None if r is None else int(r["id"]))
        files.append(None if r is None else r["original_name"])
    reg["state"] = states
    reg["received_at"] = received
    reg["submission_id"] = sub_ids
    reg["file"] = files
    reg["reason"] = reasons
    reg["feedback_path"] = feedback
    return reg


def completeness_by(comp: pd.DataFrame, dim: str) -> pd.DataFrame:
    """Expected / submitted / on time / late / rejected / missing per affiliation or district."""
    counts = pd.crosstab(comp[dim], comp["state"]) if len(comp) else pd.DataFrame()
    counts = counts.reindex(columns=list(COMPLETENESS_STATES), fill_value=0)
    rows = []
    for key, r in counts.sort_index().iterrows():
        rows.append(_completeness_row(key, {s: int(r[s]) for s in COMPLETENESS_STATES}))
    out = pd.DataFrame(rows, columns=["key", "expected", "submitted", *COMPLETENESS_STATES,
                                      "submitted_rate", "on_time_rate"])
    if dim == "affiliation":
        out.insert(1, "label", [choice_label("affiliation", k) for k in out["key"]])
    else:
        out.insert(1, "label", [str(k) for k in out["key"]])
    return out


def _completeness_row(key: Any, c: dict[str, int]) -> dict[str, Any]:
    expected = sum(c.values())
    submitted = c["on_time"] + c["late"]
    return {"key": key, "expected": expected, "submitted": submitted, **c,
            "submitted_rate": _rate(submitted, expected),
            "on_time_rate": _rate(c["on_time"], expected)}


def completeness_total(comp: pd.DataFrame) -> dict[str, Any]:
    c = {s: int((comp["state"] == s).sum()) for s in COMPLETENESS_STATES}
    row = _completeness_row(None, c)
    row["label"] = "รวม (Total)"
    return row


# ---- cross-quarter checks --------------------------------------------------------------------
@dataclass(frozen=True)
class Fell:
    """A cumulative figure lower than in the agency's accepted report of the previous quarter."""

    agency_code: str
    submission_id: int
    file: str
    project_code: str | None  # None: the agency's total
    row: int | None
    measure: str
    previous: int  # satang
    current: int

    def problem(self) -> Problem:
        spec = BUDGET.column(self.measure)
        letter = _col_letter(BUDGET, self.measure)
        label = spec.header if self.project_code else (
            f"รวม{spec.th}\ntotal {spec.en}")
        return catalog.problem(
            CROSS_QUARTER_CODE, file=self.file, sheet=BUDGET.name,
            cell=f"{letter}{self.row}" if self.row else None, column=label,
            value=baht_text(self.current), expected=baht_text(self.previous),
        )


def _col_letter(spec: Any, name: str) -> str:
    idx = [c.name for c in spec.columns].index(name) + spec.first_col
    letters = ""
    while idx:
        idx, rem = divmod(idx - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def baht_text(satang: int) -> str:
    """'1,234.50' from 123450 satang, exact."""
    sign = "-" if satang < 0 else ""
    whole, frac = divmod(abs(int(satang)), 100)
    return f"{sign}{whole:,}.{frac:02d}"


def cross_quarter_findings(cur_lines: pd.DataFrame, prev_lines: pd.DataFrame,
                           current: pd.DataFrame) -> list[Fell]:
    """Per project (matched by code) and per agency total, every NON_DECREASING figure that fell."""
    if not len(cur_lines) or not len(prev_lines):
        return []
    files = dict(zip(current["agency_code"], current["original_name"], strict=True))
    sub_of = dict(zip(current["agency_code"], current["id"], strict=True))
    out: list[Fell] = []
    agencies = sorted(set(cur_lines["agency_code"]) & set(prev_lines["agency_code"]))
    cur_g = cur_lines[cur_lines["agency_code"].isin(agencies)]
    prev_g = prev_lines[prev_lines["agency_code"].isin(agencies)]
    per_project_prev = prev_g.groupby(["agency_code", "project_code"])[list(MEASURES)].sum()
    cur_first = cur_g.drop_duplicates(["agency_code", "project_code"])
    per_project_cur = cur_g.groupby(["agency_code", "project_code"])[list(MEASURES)].sum()
    rows_of = dict(zip(zip(cur_first["agency_code"], cur_first["project_code"], strict=True),
                       cur_first["row"], strict=True))
    joined = per_project_cur.join(per_project_prev.add_suffix("_prev"), how="inner")
    for (agency, project), r in joined.iterrows():
        for m in NON_DECREASING:
            if int(r[m]) < int(r[f"{m}_prev"]):
                out.append(Fell(agency, int(sub_of[agency]), files[agency], str(project),
                                int(rows_of[(agency, project)]), m, int(r[f"{m}_prev"]),
                                int(r[m])))
    tot_cur = cur_g.groupby("agency_code")[list(MEASURES)].sum()
    tot_prev = prev_g.groupby("agency_code")[list(MEASURES)].sum()
    for agency in agencies:
        for m in NON_DECREASING:
            c, p = int(tot_cur.loc[agency, m]), int(tot_prev.loc[agency, m])
            if c < p:
                out.append(Fell(agency, int(sub_of[agency]), files[agency], None, None, m, p, c))
    return out


def record_cross_quarter_problems(conn_or_ledger: Any, fy: int, q: int) -> int:
    """Write crossquarter.cumulative-fell problems on the current submissions of (fy, q).

    Idempotent: the period's earlier cross-quarter problems are replaced, and each
    submission's warning count is kept in step. Returns how many problems it holds now.
    """
    conn, owned = connect(conn_or_ledger)
    try:
        current = current_submissions(conn, fy, q)
        findings: list[Fell] = []
        if q > 1 and len(current):
            prev = current_submissions(conn, fy, q - 1)
            findings = cross_quarter_findings(
                _with_agency(_lines_of(conn, list(current["id"])), current),
                _with_agency(_lines_of(conn, list(prev["id"])), prev), current)
        began = not conn.in_transaction
        if began:
            conn.execute("BEGIN IMMEDIATE")
        try:
            ids = [int(i) for i in current["id"]]
            old: dict[int, int] = {}
            for sid in ids:
                n = conn.execute("SELECT COUNT(*) FROM problems WHERE submission_id = ? AND code = ?",
                                 (sid, CROSS_QUARTER_CODE)).fetchone()[0]
                if n:
                    old[sid] = n
                    conn.execute("DELETE FROM problems WHERE submission_id = ? AND code = ?",
                                 (sid, CROSS_QUARTER_CODE))
            new: dict[int, int] = {}
            for f in findings:
                p = f.problem()
                conn.execute(
                    "INSERT INTO problems (submission_id, code, severity, sheet, cell, column_label,"
                    " value, message_th, message_en, fix_th, fix_en)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (f.submission_id, p.code, p.severity, p.sheet, p.cell, p.column, p.value,
                     p.message_th, p.message_en, p.fix_th, p.fix_en))
                new[f.submission_id] = new.get(f.submission_id, 0) + 1
            for sid in set(old) | set(new):
                delta = new.get(sid, 0) - old.get(sid, 0)
                if delta:
                    conn.execute("UPDATE submissions SET warnings = MAX(0, warnings + ?)"
                                 " WHERE id = ?", (delta, sid))
        except BaseException:
            if began:
                conn.execute("ROLLBACK")
            raise
        if began:
            conn.execute("COMMIT")
        return len(findings)
    finally:
        if owned:
            conn.close()


def _with_agency(lines: pd.DataFrame, subs: pd.DataFrame) -> pd.DataFrame:
    m = dict(zip(subs["id"].astype("int64"), subs["agency_code"], strict=True))
    out = lines.copy()
    out["agency_code"] = [m.get(int(s)) for s in out["submission_id"]] if len(out) else []
    return out


# ---- problems of the period ------------------------------------------------------------------
def period_problems(conn: sqlite3.Connection, fy: int, q: int) -> pd.DataFrame:
    """Every rejected, quarantined or warned submission of the period with its problems."""
    return _query(conn, """
        SELECT s.id AS submission_id, s.agency_code, s.original_name, s.received_at, s.status,
               s.reason, p.code, p.severity, p.sheet, p.cell, p.column_label, p.value,
               p.message_th, p.message_en, p.fix_th, p.fix_en
        FROM submissions s LEFT JOIN problems p ON p.submission_id = s.id
        WHERE s.fiscal_year = ? AND s.quarter = ? AND s.status != 'duplicate'
          AND (s.status IN ('rejected', 'quarantined') OR p.id IS NOT NULL)
        ORDER BY s.received_at, s.id, p.id
    """, (fy, q))


def duplicate_arrivals(conn: sqlite3.Connection, fy: int, q: int) -> int:
    """How many times a file of the period arrived again after its first arrival: the same
    bytes are one submission with several arrivals (no submission has status 'duplicate')."""
    row = conn.execute(
        "SELECT COUNT(a.id) - COUNT(DISTINCT s.id) FROM submissions s "
        "JOIN arrivals a ON a.submission_id = s.id WHERE s.fiscal_year = ? AND s.quarter = ?",
        (fy, q)).fetchone()
    return int(row[0] or 0)


# ---- the quarter -----------------------------------------------------------------------------
@dataclass
class QuarterFigures:
    """Everything the quarter's roll-up shows, computed once from the ledger."""

    plan: Plan
    fiscal_year: int
    quarter: int
    targets: Targets
    submissions: pd.DataFrame  # every submission of the period
    current: pd.DataFrame  # the counted one per agency
    lines: pd.DataFrame  # budget lines of counted submissions + agency attributes
    results: pd.DataFrame  # indicator results of counted submissions + agency attributes
    budget: dict[str, pd.DataFrame]  # dimension -> table (see budget_table)
    budget_total: dict[str, Any]
    indicators: pd.DataFrame
    completeness: pd.DataFrame  # per agency
    completeness_by: dict[str, pd.DataFrame]  # "affiliation", "district"
    completeness_total: dict[str, Any]
    cross_quarter: list[Fell]
    problems: pd.DataFrame
    as_of: datetime | None
    status_counts: dict[str, int] = field(default_factory=dict)

    @property
    def chase(self) -> pd.DataFrame:
        """Agencies to chase: missing or rejected-and-not-fixed, with contact e-mails."""
        c = self.completeness
        return c[c["state"].isin(["missing", "rejected"])].reset_index(drop=True)

    @property
    def indicator_share_met(self) -> float | None:
        """Of all results reported against the plan's indicators, the share meeting target."""
        t = self.indicators
        if not len(t):
            return None
        return _rate(int(t["met"].sum()), int(t["reported"].sum()))


def consolidate_quarter(ledger: Any, plan: Plan, fy: int, q: int) -> QuarterFigures:
    """The quarter's figures from the ledger (a path, connection or Ledger) and the plan."""
    conn, owned = connect(ledger)
    try:
        return _consolidate(conn, plan, fy, q)
    finally:
        if owned:
            conn.close()


def _consolidate(conn: sqlite3.Connection, plan: Plan, fy: int, q: int) -> QuarterFigures:
    reg = agency_frame(plan)
    subs = period_submissions(conn, fy, q)
    current = current_submissions(conn, fy, q)
    current = current[current["agency_code"].isin(set(reg["agency_code"]))].reset_index(drop=True)
    attrs = reg.set_index("agency_code")
    lines = _with_agency(_lines_of(conn, list(current["id"])), current)
    for a in ("agency_name", "agency_type", "affiliation", "district"):
        lines[a] = lines["agency_code"].map(attrs[a]) if len(lines) else []
    results = _with_agency(_results_of(conn, list(current["id"])), current)
    for a in ("agency_name", "agency_type", "affiliation", "district"):
        results[a] = results["agency_code"].map(attrs[a]) if len(results) else []
    if len(results):
        results["result"] = pd.to_numeric(results["result"], errors="coerce")
    targets = targets_for(plan, q)
    budget = {}
    for dim in DIMENSIONS:
        keys = None
        if dim == "strategy":
            keys = sorted(plan.strategies)
        elif dim == "agency":
            keys = list(reg["agency_code"])
        budget[dim] = budget_table(lines, dim, plan, targets, keys)
    prev_year = None
    prev_cur = current_submissions(conn, fy - 1, q)
    if len(prev_cur):
        prev_year = _results_of(conn, list(prev_cur["id"]))
        prev_year["result"] = pd.to_numeric(prev_year["result"], errors="coerce")
    comp = completeness_frame(plan, subs, current)
    fell: list[Fell] = []
    if q > 1 and len(current):
        prev = current_submissions(conn, fy, q - 1)
        fell = cross_quarter_findings(lines, _with_agency(_lines_of(conn, list(prev["id"])), prev),
                                      current)
    as_of = max((parse_time(t) for t in current["received_at"]), default=None)
    counts = {s: int((subs["status"] == s).sum()) for s in
              ("accepted", "superseded", "rejected", "quarantined")}
    counts["duplicate"] = duplicate_arrivals(conn, fy, q)
    return QuarterFigures(
        plan=plan, fiscal_year=fy, quarter=q, targets=targets, submissions=subs,
        current=current, lines=lines, results=results, budget=budget,
        budget_total=total_row(budget["agency"], targets),
        indicators=indicator_table(plan, results, prev_year),
        completeness=comp,
        completeness_by={d: completeness_by(comp, d) for d in ("affiliation", "district")},
        completeness_total=completeness_total(comp),
        cross_quarter=fell, problems=period_problems(conn, fy, q), as_of=as_of,
        status_counts=counts,
    )
