"""Quarter figures from the ledger: the latest accepted submission of each agency, summed.

Everything here works on integer satang and plain frames; rollup.py and status_page.py
only lay the figures out. Reports are cumulative, so a quarter's roll-up is the sum of
each agency's current (latest accepted) submission for that quarter; Q4 is the year.
The ledger is read with plain SQL (stable tables of ledger_schema.py), so this module
works on any ledger file, an open sqlite3 connection or a ``Ledger`` object.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from schemas import BUDGET
from schemas.choices import CAPITAL_CATEGORIES, by_key

from . import catalog
from .model import Problem
from .plan import Indicator, Plan

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


def carried_lines(ledger: Any, fy: int, quarter: int) -> dict[str, list[dict[str, Any]]]:
    """Agency code -> the budget lines (ledger keys, satang) of its last accepted report of
    the fiscal year before ``quarter``: what its next template carries forward."""
    conn, owned = connect(ledger)
    try:
        # a ledger the run has not yet migrated (the program was just upgraded) has no
        # output column: read it as empty rather than fail to write templates
        has_output = any(r[1] == "output_achieved"
                         for r in conn.execute("PRAGMA table_info(budget_lines)"))
        output = "b.output_achieved" if has_output else "NULL"
        rows = conn.execute(f"""
            SELECT s.agency_code, s.quarter, s.received_at, s.id, b.project_code,
                   b.project_name, b.strategy_no, b.budget_source, b.expenditure_category,
                   b.allocated, b.committed, b.disbursed, b.progress_status, b.remarks,
                   {output}
            FROM submissions s JOIN budget_lines b ON b.submission_id = s.id
            WHERE s.status = 'accepted' AND s.fiscal_year = ? AND s.quarter < ?
                  AND s.agency_code IS NOT NULL
            ORDER BY s.agency_code, s.quarter DESC, s.received_at DESC, s.id DESC, b.row
        """, (fy, quarter)).fetchall()
    finally:
        if owned:
            conn.close()
    names = ("project_code", "project_name", "strategy_no", "budget_source",
             "expenditure_category", "allocated", "committed", "disbursed", "progress_status",
             "remarks", "output_achieved")
    chosen: dict[str, int] = {}
    out: dict[str, list[dict[str, Any]]] = {}
    for agency, _q, _at, sid, *values in rows:
        if chosen.setdefault(agency, sid) != sid:
            continue  # an older report of the same agency
        out.setdefault(agency, []).append(dict(zip(names, values, strict=True)))
    return out


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
            "progress_status", "remarks", "output_achieved"]
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
    cols = ["submission_id", "row", "indicator_code", "result", "numerator", "denominator",
            "weight", "answer", "evidence"]
    if not ids:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS _c_ids (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM _c_ids")
    conn.executemany("INSERT INTO _c_ids VALUES (?)", [(int(i),) for i in ids])
    df = _query(conn, f"""
        SELECT {', '.join('r.' + c for c in cols)} FROM indicator_results r
        JOIN _c_ids c ON c.id = r.submission_id ORDER BY r.submission_id, r.row
    """)
    for c in ("result", "numerator", "denominator", "weight"):
        df[c] = pd.to_numeric(df[c], errors="coerce")
    return df


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
INDICATOR_BREAKDOWNS = ("affiliation", "district")


class Acc:
    """What one indicator's reports add up to (for the province, or one affiliation or
    district), by the kind's rule (schemas.choices.INDICATOR_KINDS): never a sum or a
    median of agencies' rates or averages."""

    __slots__ = ("n", "num", "den", "vw", "w", "v", "yes")

    def __init__(self) -> None:
        self.n = 0  # agencies that reported
        self.num = self.den = self.vw = self.w = self.v = 0.0
        self.yes = 0

    def add(self, kind: str, result: Any, num: Any, den: Any, weight: Any, answer: Any) -> bool:
        """Count one agency's inputs; False (not counted) when they are incomplete."""
        if kind == "percent_of_counts":
            if blank(num) or blank(den) or den < 0 or num > den:
                return False
            self.num += float(num)
            self.den += float(den)
        elif kind == "weighted_mean":
            if blank(result) or blank(weight) or weight <= 0:
                return False
            self.vw += float(result) * float(weight)
            self.w += float(weight)
        elif kind == "yes_no":
            if answer not in ("yes", "no"):
                return False
            self.yes += answer == "yes"
        else:  # count, amount, agency_mean
            if blank(result):
                return False
            self.v += float(result)
        self.n += 1
        return True

    def figure(self, kind: str) -> float | None:
        if not self.n:
            return None
        if kind == "percent_of_counts":
            return 100.0 * self.num / self.den if self.den > 0 else None
        if kind == "weighted_mean":
            return self.vw / self.w if self.w > 0 else None
        if kind == "yes_no":
            return 100.0 * self.yes / self.n
        if kind == "agency_mean":
            return self.v / self.n
        return self.v  # count, amount: the sum


def agency_value(kind: str, result: Any, num: Any, den: Any, answer: Any) -> float | None:
    """One agency's own figure of an indicator (its rate, value or mean; 100/0 for yes/no)."""
    if kind == "percent_of_counts":
        return None if blank(num) or blank(den) or not den else 100.0 * float(num) / float(den)
    if kind == "yes_no":
        return None if answer not in ("yes", "no") else (100.0 if answer == "yes" else 0.0)
    return None if blank(result) else float(result)


def _verdict(ind: Indicator, figure: float | None, reported: int, expected: int) -> str:
    """achieved / not_achieved against the provincial target, or insufficient when fewer
    agencies reported than the plan's minimum share of those expected."""
    needed = max(1, math.ceil(expected * ind.min_reporting_pct / 100 - 1e-9))
    if figure is None or reported < needed:
        return "insufficient"
    return "achieved" if ind.met(figure) else "not_achieved"


INPUT_COLUMNS = ("result", "numerator", "denominator", "weight", "answer")


def asked_rows(plan: Plan, frames: dict[int, pd.DataFrame], quarter: int,
               expected: dict[str, set[str]]) -> pd.DataFrame:
    """The rows that count at ``quarter``: each indicator's from the quarter it is counted
    in, of the agencies it is asked of, in the plan's indicator order (``_rank``) and
    the ledger's row order within one; the inputs as floats (``answer`` yes / no / NA).
    One inner join instead of a test per row: a province of 30,000 has ~300,000 rows."""
    order = sorted(plan.indicators.values(), key=lambda i: _code_key(i.code))
    parts = []
    for cq in sorted({q for i in order if (q := i.counted_quarter(quarter)) is not None}):
        df = frames.get(cq)
        if df is None or not len(df):
            continue
        asked = pd.DataFrame(
            [(i.code, code, rank) for rank, i in enumerate(order)
             if i.counted_quarter(quarter) == cq for code in expected[i.code]],
            columns=["indicator_code", "agency_code", "_rank"])
        part = df.merge(asked, on=["indicator_code", "agency_code"], how="inner", sort=False)
        part["quarter"] = cq
        parts.append(part)
    cols = ["indicator_code", "agency_code", "_rank", "quarter", *INPUT_COLUMNS, "evidence"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    rows = pd.concat(parts, ignore_index=True)
    rows = rows.sort_values(["_rank", "quarter"], kind="stable").reset_index(drop=True)
    for c in (*INPUT_COLUMNS, "evidence"):
        if c not in rows.columns:
            rows[c] = None
    for c in ("result", "numerator", "denominator", "weight"):
        rows[c] = pd.to_numeric(rows[c], errors="coerce").astype(float)
    rows["answer"] = rows["answer"].where(rows["answer"].isin(["yes", "no"]))
    kinds = {i.code: i.kind for i in order}
    rows["kind"] = rows["indicator_code"].map(kinds)
    return rows


def _contributions(rows: pd.DataFrame) -> pd.DataFrame:
    """What each row adds to its Acc (see :meth:`Acc.add`, the same rule per kind): the
    count ``n`` (0 for incomplete inputs) and the sums."""
    kind, num, den = rows["kind"], rows["numerator"], rows["denominator"]
    result, weight, answer = rows["result"], rows["weight"], rows["answer"]
    pc, wm, yn = (kind == "percent_of_counts"), (kind == "weighted_mean"), (kind == "yes_no")
    other = ~(pc | wm | yn)
    ok_pc = pc & num.notna() & den.notna() & (den >= 0) & (num <= den)
    ok_wm = wm & result.notna() & weight.notna() & (weight > 0)
    ok_yn = yn & answer.notna()
    ok_v = other & result.notna()
    return pd.DataFrame({
        "n": (ok_pc | ok_wm | ok_yn | ok_v).astype("int64"),
        "num": num.where(ok_pc, 0.0), "den": den.where(ok_pc, 0.0),
        "vw": (result * weight).where(ok_wm, 0.0), "w": weight.where(ok_wm, 0.0),
        "yes": (ok_yn & (answer == "yes")).astype("int64"),
        "v": result.where(ok_v, 0.0),
    })


def _accumulate(rows: pd.DataFrame, agency_dims: dict[str, tuple[str, str]]
                ) -> dict[tuple[str, str | None, Any], Acc]:
    """An Acc per (indicator, dim, key), dim None for the province, from grouped sums of
    the asked rows' (:func:`asked_rows`) contributions (the rule per kind is Acc.add's)."""
    accs: dict[tuple[str, str | None, Any], Acc] = {}
    if not len(rows):
        return accs
    parts = _contributions(rows)
    parts["indicator_code"] = rows["indicator_code"]
    parts["affiliation"] = rows["agency_code"].map(lambda c: agency_dims[c][0])
    parts["district"] = rows["agency_code"].map(lambda c: agency_dims[c][1])
    sums = ["n", "num", "den", "vw", "w", "yes", "v"]
    for dim in (None, *INDICATOR_BREAKDOWNS):
        keys = ["indicator_code"] + ([dim] if dim else [])
        mine = parts if dim is None else parts[parts["n"] > 0]  # as Acc.add: counted rows
        grouped = mine.groupby(keys, sort=False)[sums].sum()
        for key, vals in zip(grouped.index.tolist(), grouped.itertuples(index=False),
                             strict=True):
            acc = Acc()
            acc.n, acc.num, acc.den, acc.vw, acc.w, acc.yes, acc.v = (
                int(vals.n), float(vals.num), float(vals.den), float(vals.vw), float(vals.w),
                int(vals.yes), float(vals.v))
            accs[(key, None, None) if dim is None else (key[0], dim, key[1])] = acc
    return accs


def expected_agencies(plan: Plan) -> dict[str, set[str]]:
    """Per indicator, the registry agencies it is asked of (type and levels taught)."""
    return {ind.code: {a.code for a in plan.agencies.values() if ind.applies_to(a)}
            for ind in plan.indicators.values()}


def previous_year_figures(conn: sqlite3.Connection, plan: Plan, fy: int,
                          expected: dict[str, set[str]]) -> dict[str, float]:
    """The previous fiscal year's consolidated figure per indicator, from the ledger: the
    latest quarter of that year in which the indicator was reported (Q4 = the year), by
    this plan's kind rule over the agencies it is asked of."""
    out: dict[str, float] = {}
    for q in (4, 3, 2, 1):
        todo = [i for i in plan.indicators.values() if i.code not in out]
        if not todo:
            break
        cur = current_submissions(conn, fy - 1, q)
        if not len(cur):
            continue
        rows = _with_agency(_results_of(conn, list(cur["id"])), cur)
        accs: dict[str, Acc] = {}
        kinds = {i.code: i.kind for i in todo}
        for code, agency, result, num, den, weight, answer in zip(*(
                rows[c].tolist() for c in ("indicator_code", "agency_code", *INPUT_COLUMNS)),
                strict=True):
            if code in kinds and agency in expected.get(code, ()):
                accs.setdefault(code, Acc()).add(kinds[code], _nan_none(result),
                                                 _nan_none(num), _nan_none(den),
                                                 _nan_none(weight), answer)
        for code, acc in accs.items():
            fig = acc.figure(kinds[code])
            if fig is not None:
                out[code] = fig
    return out


def _nan_none(v: Any) -> Any:
    return None if blank(v) else v


def indicator_table(plan: Plan, rows: pd.DataFrame, quarter: int, previous: dict[str, float],
                    expected: dict[str, set[str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per indicator: the provincial figure by its kind's rule, reporters against those
    expected, the verdict, and the change against the baseline (the previous fiscal year's
    figure from the ledger, else the plan's). Second frame: the same per affiliation and
    per district (long format). ``rows``: the counted results (:func:`asked_rows`)."""
    agency_dims = {a.code: (a.affiliation, a.district) for a in plan.agencies.values()}
    accs = _accumulate(rows, agency_dims)
    kinds = by_key("indicator_kind")
    verdicts = by_key("verdict")
    rows, breakdown = [], []
    for ind in sorted(plan.indicators.values(), key=lambda i: _code_key(i.code)):
        cq = ind.counted_quarter(quarter)
        n_expected = len(expected[ind.code])
        acc = accs.get((ind.code, None, None)) or Acc()
        figure = acc.figure(ind.kind) if cq is not None else None
        verdict = "not_due" if cq is None else _verdict(ind, figure, acc.n, n_expected)
        source = None
        baseline = None
        if ind.code in previous:
            baseline, source = previous[ind.code], "ledger"
        elif ind.previous_result is not None:
            baseline, source = float(ind.previous_result), "plan"
        change = None if (figure is None or baseline is None) else figure - baseline
        improved = None
        if change is not None and change != 0:
            improved = change > 0 if ind.direction == "higher" else change < 0
        elif change == 0:
            improved = False
        rows.append({
            "code": ind.code, "name": ind.name_th, "strategy_no": ind.strategy_no,
            "kind": ind.kind, "kind_label": kinds[ind.kind].th,
            "unit": ind.unit, "unit_label": choice_label("unit", ind.unit),
            "direction": ind.direction,
            "direction_label": choice_label("direction", ind.direction),
            "target": float(ind.target), "agency_target": ind.agency_target,
            "counted_quarter": cq, "academic_year": ind.academic_year,
            "expected": n_expected, "reported": acc.n if cq is not None else 0,
            "share_reported": _rate(acc.n, n_expected) if cq is not None else None,
            "figure": figure, "verdict": verdict, "verdict_label": verdicts[verdict].th,
            "previous": baseline, "previous_source": source,
            "change": change, "improved": improved,
        })
        if cq is None:
            continue
        for dim in INDICATOR_BREAKDOWNS:
            groups: dict[Any, int] = {}
            for code in expected[ind.code]:
                key = agency_dims[code][0 if dim == "affiliation" else 1]
                groups[key] = groups.get(key, 0) + 1
            labels = _dimension_labels(plan, dim, list(groups))
            for key in sorted(groups, key=str):
                sub = accs.get((ind.code, dim, key)) or Acc()
                fig = sub.figure(ind.kind)
                v = _verdict(ind, fig, sub.n, groups[key])
                breakdown.append({
                    "dimension": dim, "key": key, "label": labels.get(key, key),
                    "code": ind.code, "name": ind.name_th, "strategy_no": ind.strategy_no,
                    "expected": groups[key], "reported": sub.n, "figure": fig,
                    "target": float(ind.target), "verdict": v,
                    "verdict_label": verdicts[v].th})
    return pd.DataFrame(rows), pd.DataFrame(breakdown)


AGENCY_RESULT_COLUMNS = ["indicator_code", "agency_code", "agency_name", "kind", "numerator",
                         "denominator", "weight", "answer", "value", "agency_target", "met",
                         "evidence", "quarter"]


def agency_results_frame(plan: Plan, rows: pd.DataFrame) -> pd.DataFrame:
    """Each agency's own result per indicator counted at ``quarter`` (its rate, value or
    answer), with the agency target where the plan has one and whether it was met.
    Vectorised over :func:`asked_rows` (a dict per row cost ~10 s of a 30,000-agency
    night); the rule per kind is :func:`agency_value`'s."""
    if not len(rows):
        return pd.DataFrame(columns=AGENCY_RESULT_COLUMNS)
    names = {a.code: a.name_th for a in plan.agencies.values()}
    ind = plan.indicators
    code, kind = rows["indicator_code"], rows["kind"]
    num, den, answer = rows["numerator"], rows["denominator"], rows["answer"]
    rate = (100.0 * num / den).where(num.notna() & den.notna() & (den != 0))
    yes = answer.map({"yes": 100.0, "no": 0.0}).astype(float)
    value = rows["result"].where(~kind.isin(["percent_of_counts", "yes_no"]))
    value = value.where(kind != "percent_of_counts", rate).where(kind != "yes_no", yes)
    target = code.map(lambda c: ind[c].agency_target).astype(float)
    higher = code.map(lambda c: ind[c].direction == "higher")
    met = (value >= target).where(higher, value <= target)
    labels = {k: choice_label("yes_no", k) for k in ("yes", "no")}
    out = pd.DataFrame({
        "indicator_code": code, "agency_code": rows["agency_code"],
        "agency_name": rows["agency_code"].map(names).fillna(""), "kind": kind,
        "numerator": _none_for_nan(num), "denominator": _none_for_nan(den),
        "weight": _none_for_nan(rows["weight"]),
        "answer": _none_for_nan(answer.map(labels)),
        "value": _none_for_nan(value),
        "agency_target": _none_for_nan(target),
        "met": _none_for_nan(met.astype(object).where(value.notna() & target.notna())),
        "evidence": _none_for_nan(rows["evidence"].astype(object)),
        "quarter": rows["quarter"],
    })
    return out[AGENCY_RESULT_COLUMNS]


def _none_for_nan(col: pd.Series) -> pd.Series:
    """As the row-by-row version left them: None where nothing is, plain values elsewhere."""
    obj = col.astype(object)
    return obj.where(col.notna(), None)


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


def revised_lines(lines: pd.DataFrame, plan: Plan | None, quarter: int) -> pd.Series:
    """Lines of plan projects whose mid-year revision takes effect in ``quarter`` (by the
    responsible agency): their allocation may change to the revised one."""
    if plan is None or not plan.projects or not len(lines):
        return pd.Series(False, index=lines.index)
    keys = {(p.agency_code, p.code) for p in plan.projects.values()
            if p.revised_from_quarter == quarter and p.revised_allocation is not None}
    return pd.Series([(a, c) in keys for a, c in zip(lines["agency_code"], lines["project_code"],
                                                    strict=True)], index=lines.index, dtype=bool)


def cross_quarter_findings(cur_lines: pd.DataFrame, prev_lines: pd.DataFrame,
                           current: pd.DataFrame, plan: Plan | None = None,
                           quarter: int | None = None) -> list[Fell]:
    """Per project (matched by code) and per agency total, every NON_DECREASING figure that
    fell; an allocation changed by the plan's revision taking effect in ``quarter`` is no
    finding (committed and disbursed falling still are)."""
    if not len(cur_lines) or not len(prev_lines):
        return []
    if plan is not None and quarter is not None:
        revised = revised_lines(cur_lines, plan, quarter)
        if revised.any():  # the revised projects' allocation leaves the comparison
            cur_lines = cur_lines.assign(allocated=cur_lines["allocated"].where(~revised, 0))
            prev_revised = revised_lines(prev_lines, plan, quarter)
            prev_lines = prev_lines.assign(
                allocated=prev_lines["allocated"].where(~prev_revised, 0))
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


def record_cross_quarter_problems(conn_or_ledger: Any, fy: int, q: int,
                                  plan: Plan | None = None) -> int:
    """Write crossquarter.cumulative-fell problems on the current submissions of (fy, q);
    ``plan``: its mid-year revisions explain an allocation that changed.

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
                _with_agency(_lines_of(conn, list(prev["id"])), prev), current, plan, q)
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


# ---- projects, narrative, coverage ----------------------------------------------------------
NO_DATA = "no_data"


def passed_on_lines(lines: pd.DataFrame, plan: Plan) -> pd.Series:
    """Lines of plan projects the responsible agency passes on to agencies that report it
    themselves (โอนจัดสรรให้สถานศึกษา): counted by those agencies, not again here."""
    keys = {(p.agency_code, p.code) for p in plan.projects.values() if p.passed_on}
    if not keys or not len(lines):
        return pd.Series(False, index=lines.index, dtype=bool)
    return pd.Series([(a, c) in keys for a, c in zip(lines["agency_code"], lines["project_code"],
                                                    strict=True)], index=lines.index, dtype=bool)


def _progress(status: Any, allocated: int, disbursed: int) -> str:
    """The clerk's progress status; when left empty, read from the money."""
    if isinstance(status, str) and status:
        return status
    if disbursed <= 0:
        return "not_started"
    return "done" if allocated and disbursed >= allocated else "in_progress"


def _text_or_empty(v: Any) -> str:
    return "" if blank(v) else str(v)


def project_frame(plan: Plan, lines: pd.DataFrame, counted: set[str]) -> pd.DataFrame:
    """One row per plan project (its agency's accepted figures, or "no data" when the
    agency has none) and per unplanned activity of a counted agency (its lines grouped by
    agency and project name). ``lines``: the counted reports' budget lines, passed-on
    ones included (the responsible agency did spend them)."""
    agencies = plan.agencies
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rec in lines.to_dict("records") if len(lines) else []:
        by_key.setdefault((rec["agency_code"], str(rec["project_code"])), []).append(rec)
    rows: list[dict[str, Any]] = []

    def attrs(code: str) -> dict[str, Any]:
        a = agencies.get(code)
        return {"agency_code": code, "agency_name": a.name_th if a else code,
                "affiliation": a.affiliation if a else "", "district": a.district if a else ""}

    def money(recs: list[dict[str, Any]]) -> dict[str, Any]:
        out = {m: int(sum(int(r[m]) for r in recs)) for m in MEASURES}
        first = recs[0] if recs else {}
        out["progress"] = _progress(first.get("progress_status"), out["allocated"],
                                    out["disbursed"])
        out["output_achieved"] = "; ".join(_text_or_empty(r.get("output_achieved"))
                                           for r in recs if not blank(r.get("output_achieved")))
        out["remarks"] = "; ".join(_text_or_empty(r.get("remarks")) for r in recs
                                   if not blank(r.get("remarks")))
        return out

    planned_keys = set()
    for p in plan.projects.values():
        key = (p.agency_code, p.code)
        planned_keys.add(key)
        row: dict[str, Any] = {"strategy_no": p.strategy_no, "project_code": p.code,
                               "project": p.name_th, **attrs(p.agency_code), "in_plan": True,
                               "planned": p.planned, "output_target": p.output_target}
        if p.agency_code in counted:
            row.update(money(by_key.get(key, [])))
        else:
            row.update({m: pd.NA for m in MEASURES}, progress=NO_DATA, output_achieved="",
                       remarks="")
        rows.append(row)
    unplanned: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for key, recs in by_key.items():
        if key not in planned_keys:
            for r in recs:
                unplanned.setdefault((key[0], str(r["project_name"]).strip()), []).append(r)
    for (agency, name), recs in unplanned.items():
        no = recs[0].get("strategy_no")
        rows.append({"strategy_no": int(no) if not blank(no) else 0, "project_code": "",
                     "project": name, **attrs(agency), "in_plan": False, "planned": pd.NA,
                     "output_target": "", **money(recs)})
    if not rows:
        return empty_projects()
    df = pd.DataFrame(rows)
    for m in ("planned", *MEASURES):
        df[m] = df[m].astype("Int64")
    df["strategy_no"] = df["strategy_no"].astype("int64")
    df["in_plan"] = df["in_plan"].astype(bool)
    alloc = df["allocated"].astype("Float64")
    df["rate"] = (df["disbursed"].astype("Float64") / alloc.where(alloc > 0)).astype(
        "float64")
    df = df.sort_values(["strategy_no", "in_plan", "project_code", "agency_code", "project"],
                        ascending=[True, False, True, True, True], kind="stable")
    return df[list(PROJECT_COLUMNS)].reset_index(drop=True)


def project_counts(projects: pd.DataFrame) -> dict[str, int]:
    """Headline counts: projects done / in progress / not started / no data (cancelled
    projects count in the total only)."""
    progress = projects["progress"].tolist() if len(projects) else []
    out = {"total": len(progress)}
    for k in PROJECT_COUNT_KEYS[1:]:
        out[k] = progress.count(k)
    return out


def narrative_frame(conn: sqlite3.Connection, current: pd.DataFrame,
                    plan: Plan) -> pd.DataFrame:
    """Every narrative entry of the counted reports, with its agency, in agency and row
    order. Text was validated plain and bounded; whitespace is tidied here."""
    ids = [int(i) for i in current["id"]] if len(current) else []
    if not ids:
        return empty_narratives()
    agency_of = dict(zip(current["id"].astype("int64"), current["agency_code"], strict=True))
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT submission_id, row, kind, strategy_no, project_code, text "
                        f"FROM narratives WHERE submission_id IN ({marks}) "
                        f"ORDER BY submission_id, row", ids).fetchall()
    out = []
    for sid, _row, kind, no, project, text in rows:
        code = agency_of[int(sid)]
        a = plan.agencies.get(code)
        out.append({"kind": kind, "strategy_no": no, "project_code": project or "",
                    "agency_code": code, "agency_name": a.name_th if a else code,
                    "affiliation": a.affiliation if a else "",
                    "district": a.district if a else "", "text": " ".join(str(text).split())})
    if not out:
        return empty_narratives()
    df = pd.DataFrame(out, columns=list(NARRATIVE_COLUMNS))
    df["strategy_no"] = df["strategy_no"].astype("Int64")
    return df.sort_values(["agency_code"], kind="stable").reset_index(drop=True)


def coverage_of(plan: Plan, counted: set[str], passed_on: int, q: int) -> dict[str, Any]:
    """What the quarter's figures cover: agencies counted of expected, the plan's planned
    budget of the counted agencies of all, the revisions in effect, the budget passed on."""
    projects = list(plan.projects.values())
    return {
        "agencies_counted": len(counted & set(plan.agencies)),
        "agencies_expected": len(plan.agencies),
        "planned_covered": sum(p.planned for p in projects if p.agency_code in counted),
        "planned_total": sum(p.planned for p in projects),
        "revisions": [{"agency_code": p.agency_code, "project_code": p.code,
                       "from_quarter": p.revised_from_quarter, "allocated_before": p.planned,
                       "allocated_after": p.revised_allocation}
                      for p in projects if p.revised_in(q)],
        "passed_on": passed_on,
    }


def previous_year_budget(conn: sqlite3.Connection, fy: int, q: int) -> dict[str, Any] | None:
    """The previous fiscal year's allocation, disbursement and rate: the same quarter when
    the ledger has it, else that year's last quarter it has; None when it has none."""
    quarters = [r[0] for r in conn.execute(
        "SELECT DISTINCT quarter FROM submissions WHERE status = 'accepted' AND fiscal_year = ?"
        " AND agency_code IS NOT NULL", (fy - 1,))]
    if not quarters:
        return None
    pq = q if q in quarters else max(quarters)
    cur = current_submissions(conn, fy - 1, pq)
    lines = _lines_of(conn, list(cur["id"]))
    allocated, disbursed = int(lines["allocated"].sum()), int(lines["disbursed"].sum())
    return {"fiscal_year": fy - 1, "quarter": pq, "allocated": allocated,
            "disbursed": disbursed, "rate": disbursed / allocated if allocated else math.nan}


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


# ---- the figures of projects, narratives and coverage (issue #14 fills them; see
# docs/architecture.md): empty frames with the agreed columns until a computation fills them
PROJECT_COLUMNS: dict[str, str] = {
    "strategy_no": "int64", "project_code": "object", "project": "object",
    "agency_code": "object", "agency_name": "object", "affiliation": "object",
    "district": "object", "in_plan": "bool", "planned": "Int64", "allocated": "Int64",
    "committed": "Int64", "disbursed": "Int64", "rate": "float64", "progress": "object",
    "output_target": "object", "output_achieved": "object", "remarks": "object",
}
PROJECT_COUNT_KEYS = ("total", "done", "in_progress", "not_started", "no_data")
NARRATIVE_COLUMNS: dict[str, str] = {
    "kind": "object", "strategy_no": "Int64", "project_code": "object",
    "agency_code": "object", "agency_name": "object", "affiliation": "object",
    "district": "object", "text": "object",
}
NARRATIVE_KINDS = ("obstacle", "suggestion", "highlight")


def empty_frame(columns: dict[str, str]) -> pd.DataFrame:
    """No rows, the agreed columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in columns.items()})


def empty_projects() -> pd.DataFrame:
    return empty_frame(PROJECT_COLUMNS)


def empty_narratives() -> pd.DataFrame:
    return empty_frame(NARRATIVE_COLUMNS)


def empty_project_counts() -> dict[str, int]:
    return dict.fromkeys(PROJECT_COUNT_KEYS, 0)


def empty_coverage() -> dict[str, Any]:
    return {"agencies_counted": 0, "agencies_expected": 0, "planned_covered": 0,
            "planned_total": 0, "revisions": [], "passed_on": 0}


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
    indicators: pd.DataFrame  # one row per plan indicator (see indicator_table)
    indicator_breakdown: pd.DataFrame  # per affiliation and district, long format
    agency_indicators: pd.DataFrame  # each agency's own results (agency_results_frame)
    completeness: pd.DataFrame  # per agency
    completeness_by: dict[str, pd.DataFrame]  # "affiliation", "district"
    completeness_total: dict[str, Any]
    cross_quarter: list[Fell]
    problems: pd.DataFrame
    as_of: datetime | None
    status_counts: dict[str, int] = field(default_factory=dict)
    # projects, narratives, coverage, previous year: see PROJECT_COLUMNS / NARRATIVE_COLUMNS
    projects: pd.DataFrame = field(default_factory=empty_projects)
    project_counts: dict[str, int] = field(default_factory=empty_project_counts)
    narratives: pd.DataFrame = field(default_factory=empty_narratives)
    coverage: dict[str, Any] = field(default_factory=empty_coverage)
    previous_year: dict[str, Any] | None = None

    @property
    def chase(self) -> pd.DataFrame:
        """Agencies to chase: missing or rejected-and-not-fixed, with contact e-mails."""
        c = self.completeness
        return c[c["state"].isin(["missing", "rejected"])].reset_index(drop=True)

    @property
    def indicators_achieved(self) -> tuple[int, int]:
        """(indicators achieved, indicators due this quarter): the committee's headline
        "ตัวชี้วัดที่บรรลุเป้าหมาย x จาก N ตัวชี้วัดที่ถึงรอบรายงาน". Indicators with too few
        reporters count as due and not achieved."""
        t = self.indicators
        if not len(t):
            return 0, 0
        due = t[t["verdict"] != "not_due"]
        return int((due["verdict"] == "achieved").sum()), len(due)

    def indicators_by_strategy(self) -> list[dict[str, Any]]:
        """Per strategy: indicators, due, achieved, not achieved, too few reporters."""
        t = self.indicators
        out = []
        for s in sorted(self.plan.strategies.values(), key=lambda s: s.no):
            mine = t[t["strategy_no"] == s.no] if len(t) else t
            v = mine["verdict"].tolist() if len(mine) else []
            out.append({"strategy_no": s.no, "label": s.label, "indicators": len(v),
                        "due": sum(x != "not_due" for x in v),
                        "achieved": v.count("achieved"), "not_achieved": v.count("not_achieved"),
                        "insufficient": v.count("insufficient"), "not_due": v.count("not_due")})
        return out


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
    counted = set(current["agency_code"])
    projects = project_frame(plan, lines, counted)
    passed = passed_on_lines(lines, plan)
    passed_on = int(lines.loc[passed, "allocated"].sum()) if len(lines) else 0
    lines = lines[~passed].reset_index(drop=True)  # counted by the agencies it went to
    results = _with_agency(_results_of(conn, list(current["id"])), current)
    for a in ("agency_name", "agency_type", "affiliation", "district"):
        results[a] = results["agency_code"].map(attrs[a]) if len(results) else []
    frames = {q: results}
    for cq in {i.counted_quarter(q) for i in plan.indicators.values()} - {None, q}:
        cur = current_submissions(conn, fy, cq)
        cur = cur[cur["agency_code"].isin(set(reg["agency_code"]))].reset_index(drop=True)
        frames[cq] = _with_agency(_results_of(conn, list(cur["id"])), cur)
    targets = targets_for(plan, q)
    budget = {}
    for dim in DIMENSIONS:
        keys = None
        if dim == "strategy":
            keys = sorted(plan.strategies)
        elif dim == "agency":
            keys = list(reg["agency_code"])
        budget[dim] = budget_table(lines, dim, plan, targets, keys)
    expected = expected_agencies(plan)
    previous = previous_year_figures(conn, plan, fy, expected)
    counted_rows = asked_rows(plan, frames, q, expected)  # indicator rows counting at q
    indicators, indicator_breakdown = indicator_table(plan, counted_rows, q, previous, expected)
    comp = completeness_frame(plan, subs, current)
    fell: list[Fell] = []
    if q > 1 and len(current):
        prev = current_submissions(conn, fy, q - 1)
        fell = cross_quarter_findings(lines, _with_agency(_lines_of(conn, list(prev["id"])), prev),
                                      current, plan, q)
    as_of = max((parse_time(t) for t in current["received_at"]), default=None)
    counts = {s: int((subs["status"] == s).sum()) for s in
              ("accepted", "superseded", "rejected", "quarantined")}
    counts["duplicate"] = duplicate_arrivals(conn, fy, q)
    return QuarterFigures(
        plan=plan, fiscal_year=fy, quarter=q, targets=targets, submissions=subs,
        current=current, lines=lines, results=results, budget=budget,
        budget_total=total_row(budget["agency"], targets),
        indicators=indicators, indicator_breakdown=indicator_breakdown,
        agency_indicators=agency_results_frame(plan, counted_rows),
        completeness=comp,
        completeness_by={d: completeness_by(comp, d) for d in ("affiliation", "district")},
        completeness_total=completeness_total(comp),
        cross_quarter=fell, problems=period_problems(conn, fy, q), as_of=as_of,
        status_counts=counts, projects=projects, project_counts=project_counts(projects),
        narratives=narrative_frame(conn, current, plan),
        coverage=coverage_of(plan, counted, passed_on, q),
        previous_year=previous_year_budget(conn, fy, q),
    )
