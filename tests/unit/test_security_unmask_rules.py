"""The rules of an unmask request: known fields, in a fixed order, and a real reason."""

from __future__ import annotations

import pytest

from arrears.core.errors import InputRejected
from arrears.users.unmask import MAX_REASON, MIN_REASON, PiiField, check_request

REASON = "debtor asked to confirm the number"


def test_fields_are_deduplicated_and_ordered() -> None:
    fields, reason = check_request(["name", "phone", "identity", "phone", "email"], REASON)
    assert fields == [PiiField.PHONE, PiiField.IDENTITY, PiiField.EMAIL, PiiField.NAME]
    assert reason == REASON


def test_whitespace_in_the_reason_is_collapsed() -> None:
    _, reason = check_request(["phone"], "  debtor   asked\tto\nconfirm  ")
    assert reason == "debtor asked to confirm"


@pytest.mark.parametrize("reason", [None, "", "          ", "short", "a b c d e", "\t\t\t\t\t\t\t\t\t\t\tx"])
def test_a_reason_of_fewer_than_ten_characters_is_refused(reason: str | None) -> None:
    with pytest.raises(InputRejected) as caught:
        check_request(["phone"], reason)
    assert [p.field for p in caught.value.problems] == ["reason"]


def test_the_reason_limits() -> None:
    assert check_request(["phone"], "x" * MIN_REASON)[1] == "x" * MIN_REASON
    assert check_request(["phone"], "x" * MAX_REASON)[1] == "x" * MAX_REASON
    with pytest.raises(InputRejected, match="at most"):
        check_request(["phone"], "x" * (MAX_REASON + 1))


def test_control_characters_are_refused() -> None:
    with pytest.raises(InputRejected, match="control"):
        check_request(["phone"], "confirm the\x00number please")


@pytest.mark.parametrize("fields", [[], ["password"], ["Phone"], ["phone", "id_number"]])
def test_unknown_or_no_fields_are_refused(fields: list[str]) -> None:
    with pytest.raises(InputRejected) as caught:
        check_request(fields, REASON)
    assert {p.field for p in caught.value.problems} == {"fields"}


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InputRejected) as caught:
        check_request(["salary"], "no")
    assert sorted(p.field for p in caught.value.problems) == ["fields", "reason"]
    assert "unmask refused" in str(caught.value)
