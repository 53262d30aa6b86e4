"""The database: schema created and migrated once, finished plans kept, interrupted failed."""

from __future__ import annotations

import sqlite3

import pytest

from api.errors import NotFoundError
from api.storage import MIGRATIONS, Storage


def test_schema_created_once_in_wal(tmp_path):
    s = Storage(tmp_path / "p.db")
    assert s.schema_version() == len(MIGRATIONS)
    Storage(tmp_path / "p.db")  # migrating again changes nothing
    con = sqlite3.connect(tmp_path / "p.db")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == len(MIGRATIONS)


def test_plan_lifecycle(tmp_path):
    s = Storage(tmp_path / "p.db")
    s.create_plan("a", {"x": 1})
    s.create_plan("b", {"x": 2})
    s.set_progress("a", 0.5, "working")
    s.finish_plan("a", {"ok": True}, {"plan.json": b"{}", "gpx/L1_00.gpx": b"<gpx/>"})
    s.set_progress("b", 0.2, "working")
    assert s.fail_interrupted("stopped") == ["b"]
    a, b = s.get_plan("a"), s.get_plan("b")
    assert (a.status, a.summary, a.progress) == ("done", {"ok": True}, 1.0)
    assert (b.status, b.error) == ("failed", "stopped")
    assert s.plan_file("a", "gpx/L1_00.gpx") == b"<gpx/>"
    s.set_progress("b", 0.9, "late")  # an orphaned worker cannot revive a failed plan
    assert s.get_plan("b").status == "failed"
    with pytest.raises(NotFoundError, match="not found"):
        s.get_plan("zzz")


def test_failed_transaction_leaves_nothing(tmp_path):
    s = Storage(tmp_path / "p.db")
    s.create_plan("a", {})
    with pytest.raises(sqlite3.IntegrityError):
        s.finish_plan("a", {}, {"f": None})  # type: ignore[dict-item]
    assert s.get_plan("a").status == "queued" and s.plan_file_names("a") == []
