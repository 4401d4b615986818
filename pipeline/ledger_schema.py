"""The ledger's tables (SQLite, WAL), as numbered migrations.

The ledger is the single source of truth for roll-ups. Money is INTEGER satang.
Times are ISO-8601 text in UTC ("2025-01-14T09:30:00+00:00"). A migration is never
edited once released: add a new one to MIGRATIONS instead.
"""

MIGRATIONS: list[str] = [
    # 1: arrivals, submissions, problems, accepted data
    """
    CREATE TABLE arrivals (            -- every time a file arrived (the same bytes may arrive twice)
        id            INTEGER PRIMARY KEY,
        sha256        TEXT NOT NULL,   -- content hash; the original is state/archive/<sha[:2]>/<sha>
        source        TEXT NOT NULL,   -- 'dropped' | 'eml' | 'maildir'
        source_path   TEXT NOT NULL,   -- where it was found, relative to the workspace
        original_name TEXT NOT NULL,   -- the file name as the sender gave it (display only)
        sender        TEXT,            -- From: address (lower case), NULL for dropped files
        message_id    TEXT,
        received_at   TEXT NOT NULL,   -- Date: header, or the file's mtime for dropped files
        collected_at  TEXT NOT NULL,
        UNIQUE (sha256, source_path, message_id)
    );
    CREATE TABLE submissions (         -- one per distinct file content (first arrival wins)
        id               INTEGER PRIMARY KEY,
        sha256           TEXT NOT NULL UNIQUE,
        arrival_id       INTEGER NOT NULL REFERENCES arrivals(id),
        original_name    TEXT NOT NULL,
        sender           TEXT,
        received_at      TEXT NOT NULL,
        agency_code      TEXT,
        fiscal_year      INTEGER,
        quarter          INTEGER,
        template_version TEXT,
        plan_fingerprint TEXT,
        status           TEXT NOT NULL CHECK (status IN
                           ('accepted','rejected','superseded','quarantined','duplicate')),
        reason           TEXT,         -- short Thai / English reason for the status
        late             INTEGER NOT NULL DEFAULT 0,
        errors           INTEGER NOT NULL DEFAULT 0,
        warnings         INTEGER NOT NULL DEFAULT 0,
        feedback_path    TEXT,         -- outbox-relative path of the feedback workbook
        decided_at       TEXT NOT NULL,
        superseded_by    INTEGER REFERENCES submissions(id)
    );
    CREATE INDEX submissions_period ON submissions (fiscal_year, quarter, agency_code, status);
    CREATE TABLE problems (
        id            INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        code          TEXT NOT NULL,
        severity      TEXT NOT NULL,
        sheet         TEXT,
        cell          TEXT,
        column_label  TEXT,
        value         TEXT,
        message_th    TEXT NOT NULL,
        message_en    TEXT NOT NULL,
        fix_th        TEXT NOT NULL,
        fix_en        TEXT NOT NULL
    );
    CREATE INDEX problems_submission ON problems (submission_id);
    CREATE TABLE budget_lines (        -- accepted data: one row per project of an accepted file
        submission_id        INTEGER NOT NULL REFERENCES submissions(id),
        row                  INTEGER NOT NULL,   -- Excel row in the sender's file
        project_code         TEXT NOT NULL,
        project_name         TEXT NOT NULL,
        strategy_no          INTEGER NOT NULL,
        budget_source        TEXT NOT NULL,      -- key: basic | strategic | other
        expenditure_category TEXT NOT NULL,      -- key: personnel | operating | investment | ...
        allocated            INTEGER NOT NULL,   -- satang
        committed            INTEGER NOT NULL,   -- satang
        disbursed            INTEGER NOT NULL,   -- satang
        progress_status      TEXT,
        remarks              TEXT,
        PRIMARY KEY (submission_id, row)
    );
    CREATE TABLE indicator_results (
        submission_id  INTEGER NOT NULL REFERENCES submissions(id),
        row            INTEGER NOT NULL,
        indicator_code TEXT NOT NULL,
        result         REAL,                     -- NULL when not reported
        evidence       TEXT,
        PRIMARY KEY (submission_id, row)
    );
    CREATE TABLE cover (               -- the cover sheet of accepted files (reporter contact)
        submission_id     INTEGER PRIMARY KEY REFERENCES submissions(id),
        reporter_name     TEXT,
        reporter_position TEXT,
        reporter_phone    TEXT,
        reporter_email    TEXT,
        report_date       TEXT
    );
    CREATE TABLE runs (
        id          INTEGER PRIMARY KEY,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        summary     TEXT               -- JSON of the run report
    );
    """,
]

# Submissions that count for a roll-up: the latest accepted one per agency and period.
CURRENT_SUBMISSIONS_SQL = """
    SELECT * FROM submissions
    WHERE status = 'accepted' AND fiscal_year = ? AND quarter = ?
"""
