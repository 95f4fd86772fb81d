"""Normalisation keeps a map back to the original offsets."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from arrears.compliance.language.normalise import normalise, normalise_pattern, t2s_table


def test_traditional_characters_that_matter_are_mapped() -> None:
    table = t2s_table()
    pairs = {"債": "债", "訴": "诉", "還": "还", "錢": "钱", "電": "电", "話": "话", "師": "师", "隊": "队",
             "員": "员", "門": "门", "騙": "骗", "報": "报", "條": "条", "際": "际", "鄰": "邻", "親": "亲",
             "屬": "属", "單": "单", "係": "系", "聯": "联", "絡": "络", "罰": "罚"}
    for trad, simp in pairs.items():
        assert table[trad] == simp
    assert len(table) > 2500


def test_full_width_traditional_and_folds() -> None:
    n = normalise("您好，妳還錢！ＡＢＣ１２３")
    assert n.text == "你好,你还钱!ABC123"
    assert len(n.origin) == len(n.text)


def test_spans_map_back_through_expansions_and_removals() -> None:
    text = "a\u200bb ㈱ 起 诉"
    n = normalise(text)
    assert n.text == "ab (株) 起诉"
    start = n.text.index("起诉")
    assert n.span(start, start + 2) == (text.index("起"), text.index("诉") + 1)
    paren = n.text.index("(株)")
    assert n.span(paren, paren + 3) == (text.index("㈱"), text.index("㈱") + 1)


def test_patterns_are_normalised_like_text_but_ascii_is_untouched() -> None:
    assert normalise_pattern("還錢(\\d+)您") == "还钱(\\d+)你"


@given(st.text(max_size=60))
def test_every_normalised_span_maps_inside_the_original(text: str) -> None:
    n = normalise(text)
    assert len(n.origin) == len(n.text)
    assert list(n.origin) == sorted(n.origin)
    for i in range(len(n.text)):
        start, end = n.span(i, i + 1)
        assert 0 <= start < end <= len(text)
