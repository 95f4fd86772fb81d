"""Masking of personal data: phones, identity numbers, e-mails, names, addresses, contact values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.core.masking import mask_email, mask_identity, mask_name, mask_phone
from arrears.portfolio.reads import mask_address, mask_contact, mask_debtor_name


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+8613812345678", "+86 138****5678"),
        ("+862087654321", "+86 208***4321"),
        ("+8675512345678", "+86 755****5678"),
        ("13812345678", "138****5678"),
        ("", ""),
    ],
)
def test_mask_phone_keeps_three_and_four(e164: str, masked: str) -> None:
    assert mask_phone(e164) == masked


def test_mask_phone_short_numbers_still_hide_the_middle() -> None:
    assert mask_phone("+861234567") == "+86 12***67"
    assert "345" not in mask_phone("+861234567")


@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_a_chinese_mobile_never_shows_its_middle_digits(tail: str) -> None:
    number = "+86139" + tail
    masked = mask_phone(number)
    assert masked == "+86 139****" + tail[-4:]
    assert number.lstrip("+") not in masked.replace(" ", "")


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("110105199001011234", "1101**********1234"),
        ("91440300MA5FXXXX1X", "9144**********XX1X"),
        ("E12345678", "E123*5678"),
        ("A1234567", "A******7"),
        ("", ""),
    ],
)
def test_mask_identity_keeps_four_and_four(number: str, masked: str) -> None:
    assert mask_identity(number) == masked


@given(st.text(alphabet="0123456789X", min_size=9, max_size=40))
def test_mask_identity_keeps_length_and_hides_the_middle(number: str) -> None:
    masked = mask_identity(number)
    assert len(masked) == len(number)
    assert masked[:4] == number[:4] and masked[-4:] == number[-4:]
    assert set(masked[4:-4]) <= {"*"}


def test_mask_email_keeps_first_letter_and_domain() -> None:
    assert mask_email("zhangwei@example.com") == "z***@example.com"
    assert mask_email("not-an-email-address") == "not-" + "*" * 12 + "ress"


def test_mask_name_keeps_the_family_name() -> None:
    assert mask_name("张伟") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("Wei Zhang") == "Wei *****"
    assert mask_name("") == ""


def test_company_names_are_public_person_names_masked() -> None:
    assert mask_debtor_name("company", "深圳市前海某某贸易有限公司") == "深圳市前海某某贸易有限公司"
    assert mask_debtor_name("person", "李娜") == "李*"


def test_mask_address_keeps_only_the_coarse_part() -> None:
    assert mask_address("北京市朝阳区建国路88号3单元1201室") == "北京市朝阳区****"
    assert mask_address("12 Main Street, Apt 4, Springfield, USA") == "****, Springfield, USA"
    assert mask_address("12 Main Street") == "****"
    assert mask_address(None) is None
    assert mask_address("") == ""


def test_mask_contact_by_channel() -> None:
    assert mask_contact("phone", "+8613812345678") == "+86 138****5678"
    assert mask_contact("email", "li@example.cn") == "l***@example.cn"
    assert mask_contact("address", "上海市浦东新区世纪大道100号") == "上海市浦东新****"


def test_foreign_numbers_keep_their_country_code() -> None:
    from arrears.core.masking import mask_phone

    assert mask_phone("+12125550123") == "+1 212***0123"
    assert mask_phone("+85291234567") == "+852 912*4567"
