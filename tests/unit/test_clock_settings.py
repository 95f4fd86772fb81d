"""The injectable clock, aware-UTC storage type and the settings class."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from arrears.core.clock import FixedClock, SystemClock, require_aware, today
from arrears.core.tables import UtcDateTime
from arrears.settings import Settings


def test_fixed_clock_stands_still_and_advances() -> None:
    clock = FixedClock(datetime(2026, 3, 31, 23, 30, tzinfo=timezone(timedelta(hours=8))))
    assert clock.now() == datetime(2026, 3, 31, 15, 30, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    clock.advance(timedelta(hours=9))
    assert today(clock).isoformat() == "2026-04-01"


def test_clocks_refuse_naive_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        require_aware(datetime(2026, 1, 1), "due moment")


def test_system_clock_is_aware() -> None:
    assert SystemClock().now().utcoffset() == timedelta(0)


class _Dialect:
    def __init__(self, name: str) -> None:
        self.name = name


def test_utc_datetime_column_stores_utc_and_refuses_naive() -> None:
    col = UtcDateTime()
    local = datetime(2026, 5, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    stored = col.process_bind_param(local, _Dialect("sqlite"))  # type: ignore[arg-type]
    assert stored == datetime(2026, 5, 1, 1, 0)  # naive UTC text in SQLite
    assert col.process_result_value(stored, _Dialect("sqlite")) == local  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="naive"):
        col.process_bind_param(datetime(2026, 5, 1), _Dialect("postgresql"))  # type: ignore[arg-type]


def test_settings_default_to_sqlite_under_var(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = Settings(database_url="", var_dir=tmp_path)
    assert s.is_sqlite
    assert s.effective_database_url == f"sqlite:///{tmp_path.as_posix()}/arrears.db"


def test_settings_accept_plain_postgresql_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARREARS_DATABASE_URL", "postgresql://app@db.internal:5432/arrears")
    s = Settings()
    assert s.effective_database_url == "postgresql+psycopg://app@db.internal:5432/arrears"
    assert not s.is_sqlite


def test_bucket_thresholds_must_ascend() -> None:
    with pytest.raises(ValidationError, match="ascending"):
        Settings(bucket_thresholds=[30, 30, 90])
