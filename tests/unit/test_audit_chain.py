"""The audit chain's hashing is deterministic and covers every field."""

from __future__ import annotations

from datetime import UTC, datetime

from arrears.users.audit import GENESIS, canonical, link_hash

AT = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)


def _h(**over: object) -> str:
    args = dict(prev_hash=GENESIS, seq=1, at=AT, actor="li", actor_role="collector", action="hold.set",
                entity_type="debtor", entity_id="7", details_json=canonical({"b": 1, "a": "x"}))
    args.update(over)
    return link_hash(**args)  # type: ignore[arg-type]


def test_canonical_json_sorts_keys_and_keeps_chinese() -> None:
    assert canonical({"b": 1, "a": "争议"}) == '{"a":"争议","b":1}'


def test_hash_changes_with_every_field() -> None:
    base = _h()
    assert base == _h()
    for change in ({"prev_hash": "1" * 64}, {"seq": 2}, {"actor": "wang"}, {"action": "hold.lift"},
                   {"entity_id": "8"}, {"details_json": canonical({"a": "y", "b": 1})},
                   {"at": datetime(2026, 3, 31, 10, 1, tzinfo=UTC)}):
        assert _h(**change) != base, change
