"""Template activation rules and the CLI's helpers (no database)."""

from __future__ import annotations

from arrears.compliance.language.cli import decode, line_col
from arrears.compliance.language.detector import check_text
from arrears.compliance.language.lexicon import load_lexicons
from arrears.compliance.language.templates import activation_problems


def problems(channel: str, body: str) -> list[str]:
    kind = {"sms": "sms", "email": "email", "script": "script", "voicemail": "voicemail"}[channel]
    return [p.code for p in activation_problems(channel, body, check_text(body, kind=kind), load_lexicons())]


def test_a_clean_sms_with_an_opt_out_line_may_be_activated() -> None:
    assert problems("sms", "【XX银行】您的账单已出，应还1,500.00元，请及时还款。回复TD退订") == []
    assert problems("sms", "ABC Bank: $120.00 is due on 04/10. Reply STOP to opt out.") == []
    email = "Dear customer, your statement is attached. Unsubscribe: https://x.example/u"
    assert problems("email", email) == []


def test_sms_and_email_need_an_opt_out_line() -> None:
    assert problems("sms", "【XX银行】您的账单已出，请及时还款。") == ["opt_out_missing"]
    assert problems("email", "Your statement is attached.") == ["opt_out_missing"]
    assert problems("script", "您好，请问是张先生本人吗？") == []


def test_abusive_language_blocks_activation() -> None:
    assert problems("sms", "再不还钱就上门找你。回复TD退订") == ["language_findings"]
    assert problems("script", "你这个老赖。") == ["language_findings"]


def test_flags_and_low_findings_do_not_block() -> None:
    body = "如客户说“别再给我打电话了”，请记录并上报。"
    assert problems("script", body) == []


def test_a_voicemail_is_a_short_limited_content_message() -> None:
    assert problems("voicemail", "您好，这里是XX公司的李明，请回电400-800-1234，谢谢。") == []
    assert problems("voicemail", "您好，您的信用卡已逾期，请尽快还款。") == ["language_findings"]
    assert problems("voicemail", "Hello, this is Amy from ABC Services. " * 10) == ["voicemail_too_long"]
    assert problems("voicemail", "   ") == ["empty_body"]


def test_decode_reads_utf8_gb18030_and_utf16_and_refuses_binary() -> None:
    text = "再不还钱，小心你的腿。客户称已还款，请核实流水号。"
    assert decode(text.encode("utf-8")) == text
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert decode(text.encode("utf-16")) == text
    assert decode(text.encode("gb18030")) == text
    assert decode(b"\x00\x01\x02binary") is None


def test_line_col_is_one_based_in_characters() -> None:
    text = "第一行\n第二行有问题"
    assert line_col(text, 0) == (1, 1)
    assert line_col(text, text.index("问题")) == (2, 5)
