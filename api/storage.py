"""SQLite storage of plans, their files, uploads and API keys.

The database is opened in WAL mode with ``synchronous=FULL``; every change is one transaction,
so a plan is either fully saved (its status, summary and every file) or not at all. The schema
is created and migrated here (``schema_version``): :data:`MIGRATIONS` is append-only.

One connection per call: sqlite3 connections are cheap, and the service's threads (requests,
the plan workers) never share one.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.errors import NotFoundError
from geo.errors import InputError

MIGRATIONS: tuple[str, ...] = (
    # 1: plans, their files, uploads, keys
    """
    CREATE TABLE plans (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
        progress REAL NOT NULL DEFAULT 0,
        stage TEXT,
        params TEXT NOT NULL,
        summary TEXT,
        error TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX plans_created ON plans (created_at);
    CREATE TABLE plan_files (
        plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        content BLOB NOT NULL,
        PRIMARY KEY (plan_id, name)
    );
    CREATE TABLE uploads (
        id TEXT PRIMARY KEY,
        filename TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        rows INTEGER NOT NULL,
        content BLOB NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        salt BLOB NOT NULL,
        hash BLOB NOT NULL,
        created_at REAL NOT NULL,
        revoked_at REAL
    );
    """,
    # 2: the plan whose staffed control points dispatch ranks beside the posts
    """
    CREATE TABLE active_plan (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
        activated_at REAL NOT NULL
    );
    """,
)

_PLAN_COLUMNS = "id, status, progress, stage, params, summary, error, created_at, updated_at"


@dataclass(frozen=True)
class PlanRow:
    id: str
    status: str
    progress: float
    stage: str | None
    params: dict[str, Any]
    summary: dict[str, Any] | None
    error: str | None
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class UploadRow:
    id: str
    filename: str
    size: int
    sha256: str
    rows: int
    created_at: float


@dataclass(frozen=True)
class KeyRow:
    id: str
    name: str
    salt: bytes
    hash: bytes
    created_at: float
    revoked_at: float | None


def _plan(row: sqlite3.Row) -> PlanRow:
    return PlanRow(
        id=row["id"],
        status=row["status"],
        progress=row["progress"],
        stage=row["stage"],
        params=json.loads(row["params"]),
        summary=json.loads(row["summary"]) if row["summary"] else None,
        error=row["error"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class Storage:
    """The service's database at ``path`` (created and migrated on construction)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
        self.migrate()

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        con.row_factory = sqlite3.Row
        con.execute("PRAGMA synchronous=FULL")
        con.execute("PRAGMA foreign_keys=ON")
        return con

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A connection inside ``BEGIN IMMEDIATE ... COMMIT`` (rolled back on error)."""
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        con = self._connect()
        try:
            yield con
        finally:
            con.close()

    # -- schema ---------------------------------------------------------------------------

    def schema_version(self) -> int:
        with self.reading() as con:
            con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = con.execute("SELECT MAX(version) AS v FROM schema_version").fetchone()
        return int(row["v"] or 0)

    def migrate(self) -> int:
        """Apply the migrations not applied yet, each in its own transaction."""
        current = self.schema_version()
        for version, script in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            with self.transaction() as con:
                for statement in script.split(";"):
                    if statement.strip():
                        con.execute(statement)
                con.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        return len(MIGRATIONS)

    # -- plans ----------------------------------------------------------------------------

    def create_plan(self, plan_id: str, params: dict[str, Any]) -> PlanRow:
        now = time.time()
        with self.transaction() as con:
            con.execute(
                "INSERT INTO plans (id, status, progress, params, created_at, updated_at) "
                "VALUES (?, 'queued', 0, ?, ?, ?)",
                (plan_id, json.dumps(params), now, now),
            )
        return self.get_plan(plan_id)

    def get_plan(self, plan_id: str) -> PlanRow:
        with self.reading() as con:
            row = con.execute(
                f"SELECT {_PLAN_COLUMNS} FROM plans WHERE id = ?", (plan_id,)
            ).fetchone()
        if row is None:
            msg = f"plan {plan_id!r} not found"
            raise NotFoundError(msg)
        return _plan(row)

    def list_plans(self, *, limit: int = 100, offset: int = 0) -> list[PlanRow]:
        with self.reading() as con:
            rows = con.execute(
                f"SELECT {_PLAN_COLUMNS} FROM plans ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [_plan(r) for r in rows]

    def set_progress(self, plan_id: str, progress: float, stage: str) -> None:
        """Progress of a running plan (no-op once it is finished or failed)."""
        with self.transaction() as con:
            con.execute(
                "UPDATE plans SET status = 'running', progress = ?, stage = ?, updated_at = ? "
                "WHERE id = ? AND status IN ('queued', 'running')",
                (progress, stage, time.time(), plan_id),
            )

    def finish_plan(self, plan_id: str, summary: dict[str, Any], files: dict[str, bytes]) -> None:
        """Store a finished plan's summary and files, and mark it done: one transaction."""
        with self.transaction() as con:
            con.execute("DELETE FROM plan_files WHERE plan_id = ?", (plan_id,))
            con.executemany(
                "INSERT INTO plan_files (plan_id, name, content) VALUES (?, ?, ?)",
                [(plan_id, name, data) for name, data in sorted(files.items())],
            )
            con.execute(
                "UPDATE plans SET status = 'done', progress = 1, stage = NULL, summary = ?, "
                "error = NULL, updated_at = ? WHERE id = ?",
                (json.dumps(summary), time.time(), plan_id),
            )

    def fail_plan(self, plan_id: str, error: str) -> None:
        with self.transaction() as con:
            con.execute(
                "UPDATE plans SET status = 'failed', error = ?, updated_at = ? "
                "WHERE id = ? AND status != 'done'",
                (error, time.time(), plan_id),
            )

    def fail_interrupted(self, reason: str) -> list[str]:
        """Mark every queued or running plan failed with ``reason``; returns their ids."""
        with self.transaction() as con:
            ids = [
                r["id"]
                for r in con.execute(
                    "SELECT id FROM plans WHERE status IN ('queued', 'running')"
                ).fetchall()
            ]
            con.execute(
                "UPDATE plans SET status = 'failed', error = ?, updated_at = ? "
                "WHERE status IN ('queued', 'running')",
                (reason, time.time()),
            )
        return ids

    def set_active_plan(self, plan_id: str) -> float:
        """Make a finished plan the active one; returns when. :class:`NotFoundError` if the
        plan is unknown, :class:`InputError` if it is not done."""
        now = time.time()
        with self.transaction() as con:
            row = con.execute("SELECT status FROM plans WHERE id = ?", (plan_id,)).fetchone()
            if row is None:
                msg = f"plan {plan_id!r} not found"
                raise NotFoundError(msg)
            if row["status"] != "done":
                msg = f"plan {plan_id!r} is {row['status']}: only a finished plan can be active"
                raise InputError(msg)
            con.execute(
                "INSERT INTO active_plan (id, plan_id, activated_at) VALUES (1, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET plan_id = excluded.plan_id, "
                "activated_at = excluded.activated_at",
                (plan_id, now),
            )
        return now

    def active_plan(self) -> tuple[str, float] | None:
        """The active plan's id and when it was made active, or None."""
        with self.reading() as con:
            row = con.execute("SELECT plan_id, activated_at FROM active_plan").fetchone()
        return None if row is None else (row["plan_id"], row["activated_at"])

    def clear_active_plan(self) -> bool:
        """No plan active any more; False if none was."""
        with self.transaction() as con:
            return con.execute("DELETE FROM active_plan").rowcount > 0

    def plan_file_names(self, plan_id: str) -> list[str]:
        with self.reading() as con:
            rows = con.execute(
                "SELECT name FROM plan_files WHERE plan_id = ? ORDER BY name", (plan_id,)
            ).fetchall()
        return [r["name"] for r in rows]

    def plan_file(self, plan_id: str, name: str) -> bytes:
        with self.reading() as con:
            row = con.execute(
                "SELECT content FROM plan_files WHERE plan_id = ? AND name = ?", (plan_id, name)
            ).fetchone()
        if row is None:
            msg = f"plan {plan_id!r} has no file {name!r}"
            raise NotFoundError(msg)
        return bytes(row["content"])

    def plan_files(self, plan_id: str) -> dict[str, bytes]:
        with self.reading() as con:
            rows = con.execute(
                "SELECT name, content FROM plan_files WHERE plan_id = ?", (plan_id,)
            ).fetchall()
        return {r["name"]: bytes(r["content"]) for r in rows}

    # -- uploads --------------------------------------------------------------------------

    def add_upload(
        self, upload_id: str, *, filename: str, sha256: str, rows: int, content: bytes
    ) -> UploadRow:
        now = time.time()
        with self.transaction() as con:
            con.execute(
                "INSERT INTO uploads (id, filename, size, sha256, rows, content, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (upload_id, filename, len(content), sha256, rows, content, now),
            )
        return UploadRow(upload_id, filename, len(content), sha256, rows, now)

    def get_upload(self, upload_id: str) -> tuple[UploadRow, bytes]:
        with self.reading() as con:
            row = con.execute("SELECT * FROM uploads WHERE id = ?", (upload_id,)).fetchone()
        if row is None:
            msg = f"upload {upload_id!r} not found"
            raise NotFoundError(msg)
        meta = UploadRow(
            row["id"], row["filename"], row["size"], row["sha256"], row["rows"], row["created_at"]
        )
        return meta, bytes(row["content"])

    # -- API keys -------------------------------------------------------------------------

    def add_key(self, key_id: str, *, name: str, salt: bytes, digest: bytes) -> KeyRow:
        now = time.time()
        with self.transaction() as con:
            con.execute(
                "INSERT INTO api_keys (id, name, salt, hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (key_id, name, salt, digest, now),
            )
        return KeyRow(key_id, name, salt, digest, now, None)

    def get_key(self, key_id: str) -> KeyRow | None:
        with self.reading() as con:
            row = con.execute("SELECT * FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        if row is None:
            return None
        return KeyRow(
            row["id"], row["name"], row["salt"], row["hash"], row["created_at"], row["revoked_at"]
        )

    def list_keys(self) -> list[KeyRow]:
        with self.reading() as con:
            rows = con.execute("SELECT * FROM api_keys ORDER BY created_at").fetchall()
        return [
            KeyRow(r["id"], r["name"], r["salt"], r["hash"], r["created_at"], r["revoked_at"])
            for r in rows
        ]

    def revoke_key(self, key_id: str) -> bool:
        with self.transaction() as con:
            cur = con.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (time.time(), key_id),
            )
        return cur.rowcount > 0
