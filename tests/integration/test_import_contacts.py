"""Importing contacts: consented contacts only, never an address book; upserts by contact_id or value."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from arrears.core.errors import InputRejected
from arrears.portfolio.importing.service import import_file
from arrears.portfolio.store import contact_points, debtors, import_rejects
from arrears.runtime import Runtime
from tests.integration.test_import_accounts import EXAMPLES, count, snapshot

HEADER = "contact_id,customer_id,relationship,contact_name,value,source,consent\n"


@pytest.fixture
def loaded(runtime: Runtime) -> Runtime:
    """The example accounts, imported."""
    import_file(runtime, "accounts", EXAMPLES / "accounts.csv")
    return runtime


def _file(tmp_path: Path, body: str, name: str = "c.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _point(rt: Runtime, external_id: str) -> object:
    with rt.engine.connect() as conn:
        return conn.execute(select(contact_points).where(contact_points.c.external_id == external_id)).one()


def test_example_contacts_then_unchanged(loaded: Runtime) -> None:
    before = count(loaded, contact_points)
    result = import_file(loaded, "contacts", EXAMPLES / "contacts.csv")
    assert (result.rows_new, result.rows_rejected) == (14, 0)
    assert count(loaded, contact_points) == before + 14
    spouse = _point(loaded, "CT-0001")
    assert (
        spouse.relationship,
        spouse.channel,
        spouse.value,
        spouse.source,
        spouse.consent,
        spouse.status,
    ) == ("spouse", "phone", "+8613912345678", "debtor_provided", "debtor_gave", "valid")
    assert spouse.consent_at is not None and spouse.consent_at.isoformat() == "2021-05-10T00:00:00+00:00"
    owner = _point(loaded, "CT-0012")
    assert (owner.relationship, owner.source, owner.consent) == ("owner", "contract", "contract_names")
    office = _point(loaded, "CT-0014")
    assert (office.channel, office.timezone) == ("address", "Asia/Hong_Kong")
    again = import_file(loaded, "contacts", EXAMPLES / "contacts.csv")
    assert (again.rows_new, again.rows_changed, again.rows_unchanged) == (0, 0, 14)


@pytest.mark.parametrize("source", ["通讯录", "address_book", "call log", "手机通讯录"])
def test_address_book_sources_are_refused_and_nothing_is_written(
    loaded: Runtime, tmp_path: Path, source: str
) -> None:
    path = _file(
        tmp_path,
        f"K1,P001,配偶,王丽,13912345678,本人提供,本人同意\nK2,P001,朋友,某人,13900000000,{source},本人同意\n",
    )
    before = snapshot(loaded)
    with pytest.raises(InputRejected) as caught:
        import_file(loaded, "contacts", path)
    assert snapshot(loaded) == before
    (problem,) = caught.value.problems
    assert (problem.row, problem.field) == (3, "source") and "address book" in problem.reason
    result = import_file(loaded, "contacts", path, quarantine=True)
    assert (result.rows_new, result.rows_rejected) == (1, 1)
    with loaded.engine.connect() as conn:
        assert conn.execute(select(import_rejects.c.row_number, import_rejects.c.field)).all() == [
            (3, "source")
        ]


def test_a_file_with_too_many_third_parties_for_one_debtor_is_refused_even_in_quarantine(
    loaded: Runtime, tmp_path: Path
) -> None:
    body = "".join(f"K{i},P002,朋友,朋友{i},1390000{i:04d},本人提供,本人同意\n" for i in range(11))
    path = _file(tmp_path, body)
    before = snapshot(loaded)
    for quarantine in (False, True):
        with pytest.raises(InputRejected, match="more than 10 third-party contacts"):
            import_file(loaded, "contacts", path, quarantine=quarantine)
    assert snapshot(loaded) == before
    assert (
        import_file(
            loaded, "contacts", _file(tmp_path, "".join(body.splitlines(True)[:10]), "ten.csv")
        ).rows_new
        == 10
    )


def test_database_checks(loaded: Runtime, tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "K1,NOBODY,配偶,王丽,13912345678,本人提供,本人同意\n"
        "K2,P001,财务,周会计,13912345679,合同,合同约定\n"
        "K3,B001,配偶,某人,13912345670,合同,合同约定\n"
        "K4,B001,财务,周会计,13912345671,合同,合同约定\n",
    )
    with pytest.raises(InputRejected) as caught:
        import_file(loaded, "contacts", path)
    reasons = {(p.row, p.field): p.reason for p in caught.value.problems}
    assert reasons[(2, "customer_id")] == "unknown customer: import the accounts file first"
    assert "company debtors only" in reasons[(3, "relationship")]
    assert "cannot belong to a company" in reasons[(4, "relationship")]
    assert len(reasons) == 3


def test_upsert_by_contact_id_and_adoption_of_the_accounts_phone(loaded: Runtime, tmp_path: Path) -> None:
    first = _file(
        tmp_path, "K1,P001,配偶,王丽,13912345678,本人提供,本人同意\nK2,P001,本人,,13812345678,合同,合同约定\n"
    )
    before = count(loaded, contact_points)
    result = import_file(loaded, "contacts", first)
    # K2 is the mobile the accounts file already gave: that point is adopted (and labelled), not duplicated
    assert (result.rows_new, result.rows_changed) == (1, 1)
    assert count(loaded, contact_points) == before + 1
    assert _point(loaded, "K2").value == "+8613812345678"
    second = _file(
        tmp_path,
        "K1,P001,配偶,王丽丽,13912345678,本人提供,本人同意\nK2,P001,本人,,13812345678,合同,合同约定\n",
        "c2.csv",
    )
    result = import_file(loaded, "contacts", second)
    assert (result.rows_changed, result.rows_unchanged) == (1, 1)
    assert _point(loaded, "K1").contact_name == "王丽丽"


def test_company_roles(loaded: Runtime) -> None:
    import_file(loaded, "contacts", EXAMPLES / "contacts.csv")
    with loaded.engine.connect() as conn:
        roles = (
            conn.execute(
                select(contact_points.c.relationship)
                .join(debtors)
                .where(debtors.c.external_id == "B001")
                .order_by(contact_points.c.relationship)
            )
            .scalars()
            .all()
        )
    assert roles == ["finance", "owner", "payables", "self", "self"]
