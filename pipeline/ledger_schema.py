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

MIGRATIONS.append(
    # 2: inbox items already processed (fast reruns); arrivals keyed per attachment part and
    # linked to their submission (a duplicate arrival points at the submission it repeats).
    # SQLite cannot change a UNIQUE constraint in place, so arrivals is rebuilt (the ledger
    # runs migrations with foreign keys off and checks them afterwards).
    """
    CREATE TABLE inbox_items (         -- an inbox item (file, .eml, Maildir message) processed
        source_path  TEXT NOT NULL,    -- relative to the workspace
        size         INTEGER NOT NULL,
        mtime_ns     INTEGER NOT NULL,
        processed_at TEXT NOT NULL,
        PRIMARY KEY (source_path, size, mtime_ns)
    );
    CREATE TABLE arrivals_v2 (
        id             INTEGER PRIMARY KEY,
        sha256         TEXT NOT NULL,
        source         TEXT NOT NULL,  -- 'dropped' | 'eml' | 'maildir'
        source_path    TEXT NOT NULL,
        part_index     INTEGER NOT NULL DEFAULT 0,  -- attachment number within a message
        original_name  TEXT NOT NULL,  -- as the sender named it (display only)
        safe_name      TEXT,           -- sanitised name (no path, no control characters)
        sender         TEXT,
        sender_display TEXT,
        message_id     TEXT,
        received_at    TEXT NOT NULL,
        collected_at   TEXT NOT NULL,
        submission_id  INTEGER REFERENCES submissions(id)
    );
    INSERT INTO arrivals_v2 (id, sha256, source, source_path, original_name, sender, message_id,
                             received_at, collected_at, submission_id)
        SELECT a.id, a.sha256, a.source, a.source_path, a.original_name, a.sender, a.message_id,
               a.received_at, a.collected_at,
               (SELECT s.id FROM submissions s WHERE s.sha256 = a.sha256)
        FROM arrivals a;
    DROP TABLE arrivals;
    ALTER TABLE arrivals_v2 RENAME TO arrivals;
    CREATE UNIQUE INDEX arrivals_part
        ON arrivals (source_path, part_index, sha256, COALESCE(message_id, ''));
    CREATE INDEX arrivals_sha ON arrivals (sha256);
    CREATE INDEX arrivals_submission ON arrivals (submission_id);
    """
)

MIGRATIONS.append(
    # 3: feedback workbooks still to write. A rejected (or quarantined) file's row is added in
    # the transaction that records it and removed once its feedback workbook is in the outbox,
    # so the run can write them after the ledger (beside the roll-ups, on a spare core) and a
    # run killed in between leaves them owed to the next run, never forgotten.
    """
    CREATE TABLE feedback_owed (
        submission_id INTEGER PRIMARY KEY REFERENCES submissions(id),
        target        TEXT NOT NULL,   -- outbox-relative path of the feedback workbook
        source        TEXT NOT NULL,   -- the archived original, relative to the workspace
        display_name  TEXT NOT NULL,   -- the file name as the sender gave it
        format        TEXT NOT NULL,   -- xlsx, xlsm, xls, ods... (from the bytes)
        problems      TEXT NOT NULL    -- JSON list of the problems to annotate, in order
    );
    """
)

MIGRATIONS.append(
    # 4: parse deaths and the poison quarantine. A file whose parse killed a reader child, or
    # was being parsed when a run died (a marker left in state/parsing/), gets a row here; at
    # two deaths it is quarantined by its SHA-256 and never parsed again automatically, until
    # the office releases it (`edurollup release SHA256`).
    """
    CREATE TABLE parse_deaths (
        sha256         TEXT PRIMARY KEY,
        deaths         INTEGER NOT NULL DEFAULT 0,  -- child deaths + runs that died parsing it
        last_code      TEXT NOT NULL,   -- file.reader-crashed | file.reader-memory | file.timeout
        last_detail    TEXT NOT NULL,
        last_at        TEXT NOT NULL,
        quarantined_at TEXT,            -- set at the second death; NULL again once released
        released_at    TEXT
    );
    """
)

MIGRATIONS.append(
    # 5: indicator inputs by kind (schemas.choices.INDICATOR_KINDS): the province's figure is
    # computed from them (sum of numerators / sum of denominators, weighted mean...), never
    # from agencies' rates; "result" stays the value of count, amount and mean kinds.
    """
    ALTER TABLE indicator_results ADD COLUMN numerator REAL;
    ALTER TABLE indicator_results ADD COLUMN denominator REAL;
    ALTER TABLE indicator_results ADD COLUMN weight REAL;
    ALTER TABLE indicator_results ADD COLUMN answer TEXT;   -- yes | no (yes/no kind)
    """
)

MIGRATIONS.append(
    # 6: the plan's project register reaches the reports: each budget line's output target
    # (from the plan, as the template showed it) and output achieved; and the narrative
    # sheet (ปัญหาอุปสรรค, ข้อเสนอแนะ, ผลงานเด่น) of accepted files.
    """
    ALTER TABLE budget_lines ADD COLUMN output_target TEXT;
    ALTER TABLE budget_lines ADD COLUMN output_achieved TEXT;
    CREATE TABLE narratives (
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        row           INTEGER NOT NULL,   -- Excel row in the sender's file
        kind          TEXT NOT NULL,      -- obstacle | suggestion | highlight
        strategy_no   INTEGER,            -- NULL: not tied to a strategy
        project_code  TEXT,               -- NULL: not tied to a project
        text          TEXT NOT NULL,      -- plain, bounded (schemas/narrative.py)
        PRIMARY KEY (submission_id, row)
    );
    """
)
