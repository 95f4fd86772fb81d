"""The language check: categories, both scripts of Chinese, variants, negation, spans, flags, transcripts."""

from __future__ import annotations

import pytest

from arrears.compliance.language.detector import check_text, language_code
from arrears.compliance.language.lexicon import load_lexicons
from arrears.compliance.language.model import FLAG_CATEGORIES, Category, Finding


def cats(text: str, **kw: object) -> set[str]:
    return {f.category for f in check_text(text, **kw)}  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "category"), [
    ("再不还钱，小心你的腿。", "threat"),
    ("We know where your kids go to school.", "threat"),
    ("再不还就抓你去坐牢。", "false_legal"),
    ("A warrant has been issued for your arrest.", "false_legal"),
    ("我是派出所的民警。", "impersonation"),
    ("This is Officer Smith from the police department.", "impersonation"),
    ("你这个老赖。", "insult"),
    ("You deadbeat.", "insult"),
    ("你儿子欠钱不还。", "third_party_disclosure"),
    ("Your son owes us $3,000.", "third_party_disclosure"),
    ("我们会给你所有联系人发短信。", "public_shaming"),
    ("We'll text everyone in your contacts.", "public_shaming"),
    ("不还钱就天天打爆你的电话。", "call_flooding"),
    ("We'll keep calling you every hour until you pay.", "call_flooding"),
    ("没钱就找亲戚朋友借啊。", "borrow_elsewhere"),
    ("Take out a payday loan and pay us today.", "borrow_elsewhere"),
    ("你直接转到我个人微信上就行。", "personal_account"),
    ("Just send it to my personal Venmo.", "personal_account"),
    ("我们明天就上门找你。", "unannounced_visit"),
    ("We're sending someone to your house tonight.", "unannounced_visit"),
])
def test_each_category_is_detected_in_both_languages(text: str, category: str) -> None:
    assert category in cats(text)


def test_a_finding_carries_rule_severity_messages_and_the_original_span() -> None:
    text = "您好。再不还钱，小心你的腿！"
    [f] = check_text(text)
    assert isinstance(f, Finding)
    assert (f.rule_id, f.category, f.severity) == ("LC-THREAT-001", "threat", "high")
    assert text[f.start:f.end] == f.matched == "小心你的腿"
    assert f.message_zh and f.message_en and f.flag is None
    assert f.blocking and f.message("en") == f.message_en and f.message("zh-CN") == f.message_zh


@pytest.mark.parametrize(("traditional", "simplified"), [
    ("你已經被我們起訴了，法院傳票明天就到。", "你已经被我们起诉了，法院传票明天就到。"),
    ("不還錢就讓你全家不得安寧。", "不还钱就让你全家不得安宁。"),
    ("我們會給你所有聯繫人發短信。", "我们会给你所有联系人发短信。"),
    ("你直接轉到我個人微信上就行。", "你直接转到我个人微信上就行。"),
    ("我們明天就上門找你。", "我们明天就上门找你。"),
])
def test_traditional_script_is_found_like_simplified(traditional: str, simplified: str) -> None:
    trad, simp = check_text(traditional), check_text(simplified)
    assert trad and [f.rule_id for f in trad] == [f.rule_id for f in simp]
    for f in trad:  # spans point into the traditional text itself
        assert traditional[f.start:f.end] == f.matched


def test_full_width_letters_and_punctuation_are_normalised() -> None:
    text = "Ｗｅ　ｗｉｌｌ　ｋｅｅｐ　ｃａｌｌｉｎｇ　ｙｏｕ！"
    [f] = check_text(text)
    assert f.category == "call_flooding"
    assert text[f.start:f.end] == f.matched == "ｗｉｌｌ　ｋｅｅｐ　ｃａｌｌｉｎｇ"


def test_spaces_and_zero_width_characters_inside_chinese_do_not_hide_a_match() -> None:
    text = "你已经被 起 诉\u200b了"
    found = check_text(text)
    assert [f.category for f in found] == ["false_legal"]
    assert found[0].matched == text[found[0].start:found[0].end] == "已经被 起 诉"


@pytest.mark.parametrize("text", [
    "明天就起诉你。", "我们已经起诉你了。", "起诉书明天就寄到。",
    "你的案子已经立案了。", "法院马上强制执行。",
])
def test_co_occurrence_catches_word_order_variants(text: str) -> None:
    assert "false_legal" in cats(text)


@pytest.mark.parametrize("text", [
    "如协商不成，我司可能依法通过诉讼途径解决。",  # hedged, lawful
    "根据相关规定，逾期信息可能会报送至征信系统，影响您的个人信用记录。",  # truthful credit reporting
    "Late payments may be reported to the credit bureaus, which can affect your credit score.",
])
def test_lawful_statements_about_credit_and_legal_remedies_pass(text: str) -> None:
    assert check_text(text) == []


@pytest.mark.parametrize(("negated", "plain"), [
    ("我们不会上门打扰您。", "我们会上门找你。"),
    ("我们绝对不会去您的单位或家里。", "我们会去你的单位找你。"),
    ("请勿向第三方透露客户信息。", "你儿子欠钱不还。"),
    ("我行不会以任何理由要求您向个人账户转账。", "转到我个人账户上。"),
    ("We will not visit your home or workplace.", "We will visit your home tomorrow."),
    ("We never discuss your account with your boss.", "I'm going to call your boss."),
])
def test_negation_cancels_a_match(negated: str, plain: str) -> None:
    assert check_text(negated) == []
    assert check_text(plain) != []


@pytest.mark.parametrize("text", [
    "不还钱就去你家。",  # the 不 belongs to the condition, not to the visit
    "你不接电话，我们就上门。",
    "If you don't pay, we will come to your house.",
    "Don't make us come to your house.",
    "你信不信我找人弄死你？",  # an A-not-A question is not a negation
    "你是不是脑子坏掉了？",
])
def test_a_condition_is_not_a_negation(text: str) -> None:
    assert check_text(text) != []


def test_third_party_context_turns_any_mention_of_the_debt_into_a_disclosure() -> None:
    text = "请转告他尽快处理欠款。"
    assert "third_party_disclosure" in cats(text, third_party=True)
    assert "third_party_disclosure" not in cats("你的欠款今天需要处理。")
    assert cats("您好，请他方便时回电400-800-1234，谢谢。", third_party=True) == set()
    assert cats("Please ask John to call me back at 800-555-0100.", third_party=True) == set()
    assert "third_party_disclosure" in cats("Please let her know her payment is overdue.", third_party=True)


def test_telling_a_relative_is_a_disclosure_in_any_context() -> None:
    assert "third_party_disclosure" in cats("你老公信用卡逾期三个月了。")
    assert "third_party_disclosure" in cats("Tell your husband his credit card is three months past due.")


def test_voicemail_must_not_mention_the_debt() -> None:
    debt = "您好，这里是XX银行，您的信用卡已逾期，请尽快还款。"
    assert cats(debt, kind="voicemail") == {"third_party_disclosure"}
    assert cats("您好，这里是XX公司的李明，请回电400-800-1234。", kind="voicemail") == set()
    assert cats("Your balance of $120 is overdue.", kind="voicemail") == {"third_party_disclosure"}
    assert cats("您好，您的信用卡已逾期，请尽快还款。", kind="note") == set()


@pytest.mark.parametrize(("text", "category", "flag"), [
    ("别再给我打电话了！", "cease_request", "cease_request"),
    ("Stop calling me.", "cease_request", "cease_request"),
    ("我已经请了律师，有事找我律师。", "attorney", "legal_representation"),
    ("I have a lawyer.", "attorney", "legal_representation"),
    ("这笔钱不是我借的，我不认。", "dispute", "dispute"),
    ("I dispute this debt.", "dispute", "dispute"),
    ("我的卡被盗刷了。", "dispute", "fraud_claim"),
    ("你打错了，我不认识这个人。", "wrong_number", "wrong_party"),
    ("Wrong number.", "wrong_number", "wrong_party"),
    ("别给我家里人打电话。", "no_family_contact", "no_family_contact"),
    ("Don't call my family.", "no_family_contact", "no_family_contact"),
    ("不要打到我单位去。", "no_work_contact", "inconvenient_place"),
    ("Don't call me at work.", "no_work_contact", "inconvenient_place"),
])
def test_debtor_statements_set_a_flag(text: str, category: str, flag: str) -> None:
    found = check_text(text)
    assert {(f.category, f.severity, f.flag) for f in found} == {(category, "flag", flag)}
    assert not any(f.blocking for f in found)


def test_flag_rules_do_not_read_scripts_and_skip_hypotheticals() -> None:
    assert check_text("别再给我打电话了！", kind="script") == []
    assert check_text("如果您对这笔欠款有异议，可以拨打客服热线。") == []
    assert check_text("您是否已经委托律师？") == []
    assert check_text("我没有请律师。") == []


def test_transcript_lines_are_judged_by_speaker() -> None:
    text = ("[00:00:03] 坐席：我们会一直打到你还钱为止。\n"
            "客户：你们再这样骚扰我，我就报警抓你们。\n"
            "客户：别再给我打电话了！\n"
            "坐席：别再给我打电话了这种话我们不会记录的")
    found = check_text(text, kind="transcript")
    assert [(f.category, text[f.start:f.end]) for f in found] == [
        ("call_flooding", "一直打到你还"), ("cease_request", "别再给我打电话")]
    line_of = [text.count("\n", 0, f.start) for f in found]
    # the agent's threat and the debtor's request; not the debtor's 报警抓, not the agent's quote
    assert line_of == [0, 2]


def test_language_filter_and_codes() -> None:
    text = "再不还钱，小心你的腿。You deadbeat."
    assert cats(text) == {"threat", "insult"}
    assert cats(text, language="zh-CN") == {"threat"}
    assert cats(text, language="en") == {"insult"}
    assert language_code("zh_TW") == "zh" and language_code("en-US") == "en" and language_code(None) is None
    with pytest.raises(ValueError):
        language_code("fr")


def test_overlapping_matches_of_one_category_give_one_finding() -> None:
    found = check_text("你已经被我们起诉了，已经立案了")
    assert all(f.category == "false_legal" for f in found)
    spans = sorted((f.start, f.end) for f in found)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_empty_and_clean_texts() -> None:
    assert check_text("") == []
    assert check_text("您好，请问是张伟先生本人吗？") == []
    with pytest.raises(ValueError):
        check_text("x", kind="letter")


def test_every_category_has_rules_in_both_languages() -> None:
    rules = load_lexicons().rules
    for category in Category:
        langs = {r.lang for r in rules if r.category == category}
        assert langs & {"zh", "any"} and langs & {"en", "any"}, category
        if category in FLAG_CATEGORIES:
            assert all(r.severity == "flag" and r.flag for r in rules if r.category == category)
