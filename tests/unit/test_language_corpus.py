"""The labelled corpus: every abusive line raises its categories, every polite line raises nothing.

Precision and recall are counted over category labels: a true positive is an expected category found,
a false negative an expected category missed, a false positive a category found that the line does not
expect (nor list under `may`); any finding on a clean line is a false positive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from arrears.compliance.language.detector import check_text

DATA = Path(__file__).parent / "data"
CORPUS = yaml.safe_load((DATA / "language_corpus.yaml").read_text(encoding="utf-8"))
HOLDOUT = yaml.safe_load((DATA / "language_holdout.yaml").read_text(encoding="utf-8"))


def _found(entry: dict[str, Any]) -> set[str]:
    findings = check_text(entry["text"], kind=entry.get("kind", "note"),
                          third_party=entry.get("third_party", False))
    for f in findings:
        assert entry["text"][f.start:f.end] == f.matched
    return {f.category for f in findings}


def _ids(section: list[dict[str, Any]]) -> list[str]:
    return [f"{i:03d}-{e['lang']}" for i, e in enumerate(section)]


def score(corpus: dict[str, list[dict[str, Any]]]) -> dict[str, float]:
    """True and false positives and negatives, precision and recall over a corpus."""
    tp = fp = fn = clean_alarms = 0
    for entry in corpus["abusive"]:
        found, expect = _found(entry), set(entry["expect"])
        tp += len(found & expect)
        fn += len(expect - found)
        fp += len(found - expect - set(entry.get("may", [])))
    for entry in corpus["clean"]:
        found = _found(entry)
        fp += len(found)
        clean_alarms += bool(found)
    return {"tp": tp, "fp": fp, "fn": fn, "clean_alarms": clean_alarms,
            "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0}


def test_the_corpus_is_big_enough_and_covers_every_category_and_script() -> None:
    abusive, clean = CORPUS["abusive"], CORPUS["clean"]
    assert len(abusive) >= 150 and len(clean) >= 80
    categories = {c for e in abusive for c in e["expect"]}
    assert len(categories) == 16
    for category in categories:
        langs = {e["lang"] for e in abusive if category in e["expect"]}
        assert langs == {"zh", "zht", "en"}, (category, langs)
    assert {e["lang"] for e in clean} == {"zh", "zht", "en"}


@pytest.mark.parametrize("entry", CORPUS["abusive"] + HOLDOUT["abusive"],
                         ids=_ids(CORPUS["abusive"]) + ["h" + i for i in _ids(HOLDOUT["abusive"])])
def test_abusive_line(entry: dict[str, Any]) -> None:
    found = _found(entry)
    assert set(entry["expect"]) <= found, f"missed {set(entry['expect']) - found}"
    assert found <= set(entry["expect"]) | set(entry.get("may", [])), f"unexpected {found}"


@pytest.mark.parametrize("entry", CORPUS["clean"] + HOLDOUT["clean"],
                         ids=_ids(CORPUS["clean"]) + ["h" + i for i in _ids(HOLDOUT["clean"])])
def test_clean_line_raises_nothing(entry: dict[str, Any]) -> None:
    assert _found(entry) == set()


@pytest.mark.parametrize("corpus", [CORPUS, HOLDOUT], ids=["corpus", "holdout"])
def test_precision_and_recall(corpus: dict[str, list[dict[str, Any]]]) -> None:
    s = score(corpus)
    print(f"\nlanguage check: precision {s['precision']:.3f}, recall {s['recall']:.3f}, {s}")
    assert s["recall"] >= 0.9 and s["precision"] >= 0.9 and s["clean_alarms"] == 0
