"""Audit filters, anchors and the CLI's parsing: bad input refused; values bound, never spliced into SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import typer
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from arrears.core.errors import InputRejected
from arrears.users.audit_cli import parse_entity, parse_moment
from arrears.users.audit_service import ChainBreakView, ChainReport, _details, check_filter, parse_anchor
from arrears.users.audit_store import AuditFilter, _where
from arrears.users.store import audit_log

AT = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
HASH = "ab" * 32


def test_a_valid_filter_passes() -> None:
    check_filter(AuditFilter(entity_type="debtor", entity_id="7", actor="li", action="payment.*", since=AT,
                             until=AT + timedelta(days=1), before_seq=10), 50)


@pytest.mark.parametrize(("f", "limit", "field"), [
    (AuditFilter(entity_type="x" * 33), 50, "entity_type"),
    (AuditFilter(entity_id="1" * 65), 50, "entity_id"),
    (AuditFilter(actor="a\x00b"), 50, "actor"),
    (AuditFilter(action="hold.set' OR '1'='1"), 50, "action"),
    (AuditFilter(action="payment.*.*"), 50, "action"),
    (AuditFilter(action="%"), 50, "action"),
    (AuditFilter(since=datetime(2026, 3, 31)), 50, "since"),  # noqa: DTZ001 - naive on purpose
    (AuditFilter(since=AT, until=AT), 50, "until"),
    (AuditFilter(before_seq=0), 50, "before_seq"),
    (AuditFilter(before_seq=2**63), 50, "before_seq"),
    (AuditFilter(), 0, "limit"),
    (AuditFilter(), 501, "limit"),
])
def test_bad_filters_are_refused_naming_the_field(f: AuditFilter, limit: int, field: str) -> None:
    with pytest.raises(InputRejected) as caught:
        check_filter(f, limit)
    assert field in {p.field for p in caught.value.problems}


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_filter_values_are_bound_parameters(dialect: object) -> None:
    evil = "x' OR '1'='1"
    query = select(audit_log).where(*_where(AuditFilter(entity_type=evil, entity_id=evil, actor=evil,
                                                        action="pay_ment.*", since=AT, before_seq=5)))
    compiled = query.compile(dialect=dialect)  # type: ignore[arg-type]
    assert evil not in str(compiled)
    assert evil in compiled.params.values()
    assert any(str(v).startswith("pay/_ment.") for v in compiled.params.values())  # LIKE wildcards escaped


def test_a_star_selects_an_action_family_and_no_star_an_exact_action() -> None:
    family = str(select(audit_log).where(*_where(AuditFilter(action="payment.*"))).compile())
    exact = str(select(audit_log).where(*_where(AuditFilter(action="payment.post"))).compile())
    assert "LIKE" in family and "LIKE" not in exact


@pytest.mark.parametrize("text", ["12:" + HASH, " 12 : " + HASH.upper() + " "])
def test_anchors_parse(text: str) -> None:
    assert parse_anchor(text) == (12, HASH)


@pytest.mark.parametrize("text", ["", "12", "12:" + HASH[:-1], "x:" + HASH, "12:" + "g" * 64, HASH])
def test_bad_anchors_are_refused(text: str) -> None:
    with pytest.raises(InputRejected, match="SEQ:HASH"):
        parse_anchor(text)


def test_details_that_are_not_an_object_are_kept_visible() -> None:
    assert _details('{"a":1}') == {"a": 1}
    assert _details("[1,2]") == {"_value": [1, 2]}
    assert _details("not json") == {"_unparsed": "not json"}


def _report(**over: object) -> ChainReport:
    values: dict[str, object] = dict(checked=3, head_seq=3, head_hash=HASH, breaks=(), guard_installed=True,
                                     verified_at=AT)
    values.update(over)
    return ChainReport(**values)  # type: ignore[arg-type]


def test_the_report_names_the_earliest_break() -> None:
    assert _report().intact and _report().first_break is None
    breaks = (ChainBreakView(5, "gap"), ChainBreakView(2, "altered"), ChainBreakView(2, "link"))
    report = _report(breaks=breaks)
    assert not report.intact and report.first_break == ChainBreakView(2, "altered")


def test_an_anchor_problem_breaks_an_otherwise_intact_chain() -> None:
    report = _report(anchor=(9, HASH), anchor_problem="anchored record 9 is missing")
    assert not report.intact and report.first_break == ChainBreakView(9, "anchored record 9 is missing")


def test_cli_moments() -> None:
    assert parse_moment("2026-03-31", "--since") == AT.replace(hour=0)
    assert parse_moment("2026-03-31T10:00:00", "--since") == AT
    shanghai = parse_moment("2026-03-31T18:00:00+08:00", "--since")
    assert shanghai == AT and shanghai.tzinfo == timezone(timedelta(hours=8))  # type: ignore[union-attr]
    assert parse_moment(None, "--since") is None and parse_moment("  ", "--since") is None
    with pytest.raises(typer.BadParameter, match="not a date"):
        parse_moment("yesterday", "--since")


def test_cli_entities() -> None:
    assert parse_entity("debtor") == ("debtor", None)
    assert parse_entity("debtor:42") == ("debtor", "42")
    assert parse_entity(":42") == (None, "42")
    assert parse_entity(None) == (None, None)
