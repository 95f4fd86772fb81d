"""The language check: find unlawful collection language and debtor statements that must set a flag.

`check_text` normalises the text (full-width, traditional Chinese, see normalise.py), runs the rules of
the lexicon set that apply to the kind of text, drops negated matches ("我们不会上门", "we will not
visit") and those excused by a rule's `unless` terms in the same sentence, and reports each finding with
its span in the ORIGINAL text.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from arrears.compliance.language.lexicon import LexiconSet, Pattern, Rule, load_lexicons
from arrears.compliance.language.model import SEVERITY_ORDER, Finding, Kind, Severity
from arrears.compliance.language.normalise import normalise

__all__ = ["Finding", "check_text", "language_code"]

# After NFKC the full-width ，：；！？ are ASCII; 。、… stay as they are.
_SENTENCE_END = re.compile(r"[。!?;\n…]|\.(?=\s|$)")
_CLAUSE_END = re.compile(r"[。!?;\n…,、:]|\.(?=\s|$)")
_WORD = re.compile(r"[a-z0-9']+", re.IGNORECASE)
_NEGATION_LOOKBACK = 40


def language_code(language: str | None) -> str | None:
    """'zh-CN', 'zh_TW', 'zh' -> 'zh'; 'en-US' -> 'en'; None or '' -> None (every language)."""
    if not language:
        return None
    v = language.strip().lower()
    if v.startswith("zh"):
        return "zh"
    if v.startswith("en"):
        return "en"
    raise ValueError(f"unsupported language {language!r} (zh or en)")


@dataclass(frozen=True, slots=True)
class _Hit:
    rule: Rule
    start: int
    end: int


class _Text:
    """Normalised text with its sentence and clause boundaries."""

    def __init__(self, text: str) -> None:
        self.norm = normalise(text)
        self.text = self.norm.text
        self.sentence_ends = [m.start() for m in _SENTENCE_END.finditer(self.text)]
        self.clause_ends = [m.start() for m in _CLAUSE_END.finditer(self.text)]

    def sentence(self, start: int, end: int) -> tuple[int, int]:
        """Bounds of the sentence(s) holding [start, end)."""
        i = bisect_left(self.sentence_ends, start)
        lo = self.sentence_ends[i - 1] + 1 if i > 0 else 0
        j = bisect_left(self.sentence_ends, end)
        hi = self.sentence_ends[j] if j < len(self.sentence_ends) else len(self.text)
        return lo, hi

    def crosses_sentence(self, start: int, end: int) -> bool:
        """True when a sentence ends inside [start, end)."""
        i = bisect_left(self.sentence_ends, start)
        return i < len(self.sentence_ends) and self.sentence_ends[i] < end - 1

    def clause_start(self, pos: int) -> int:
        """Start of the clause that holds position pos."""
        i = bisect_right(self.clause_ends, pos - 1)
        return self.clause_ends[i - 1] + 1 if i > 0 else 0


def _negated(t: _Text, pos: int, lex: LexiconSet) -> bool:
    """True when a negation cue governs the text starting at pos (same clause, short gap, no blocker)."""
    begin = max(t.clause_start(pos), pos - _NEGATION_LOOKBACK)
    tail = t.text[begin:pos]
    if not tail:
        return False
    for neg in lex.negation:
        skip = [m.span() for m in neg.ignore.finditer(tail)] if neg.ignore is not None else []
        for cue in neg.cues.finditer(tail):
            if any(a < cue.end() and cue.start() < b for a, b in skip):
                continue
            gap = tail[cue.end():]
            size = len(_WORD.findall(gap)) if neg.words else len(gap.strip())
            if size > neg.max_gap:
                continue
            if neg.blockers is not None and neg.blockers.search(gap):
                continue
            return True
    return False


def _near(p: Pattern, t: _Text, lo: int, hi: int) -> Iterator[tuple[int, int, list[int]]]:
    occurrences = [list(g.finditer(t.text, lo, hi)) for g in p.groups]
    if any(not o for o in occurrences):
        return
    for anchor in occurrences[0]:
        chosen = [anchor]
        for others in occurrences[1:]:
            prev = chosen[-1]
            if p.ordered:
                after = [m for m in others if m.start() >= prev.end()]
                best = min(after, key=lambda m: m.start(), default=None)
            else:
                apart = [m for m in others
                         if all(m.end() <= c.start() or m.start() >= c.end() for c in chosen)]
                best = min(apart, key=lambda m: max(m.start() - anchor.end(), anchor.start() - m.end()),
                           default=None)
            if best is None:
                break
            chosen.append(best)
        if len(chosen) != len(p.groups):
            continue
        start, end = min(m.start() for m in chosen), max(m.end() for m in chosen)
        if end - start > p.within or t.crosses_sentence(start, end):
            continue
        yield start, end, [m.start() for m in chosen]


def _matches(rule: Rule, t: _Text, lo: int, hi: int) -> Iterator[tuple[int, int, list[int]]]:
    for p in rule.patterns:
        if p.regex is not None:
            for m in p.regex.finditer(t.text, lo, hi):
                if m.end() > m.start():
                    yield m.start(), m.end(), [m.start()]
        else:
            yield from _near(p, t, lo, hi)


@lru_cache(maxsize=8)
def _label_regex(lex: LexiconSet) -> re.Pattern[str] | None:
    if not lex.speakers:
        return None
    parts = [f"(?P<{role}>{regex.pattern})" for role, regex in sorted(lex.speakers.items())]
    return re.compile(r"^[ \t]*(?:\[[^\]\n]*\][ \t]*)?(?:" + "|".join(parts) + r")[^\n:]{0,16}:",
                      re.IGNORECASE | re.MULTILINE)


def _segments(t: _Text, lex: LexiconSet, kind: str) -> list[tuple[int, int, str | None]]:
    """(start, end, speaker) pieces: a transcript's lines belong to the agent or the debtor by their label."""
    whole: list[tuple[int, int, str | None]] = [(0, len(t.text), None)]
    label = _label_regex(lex) if kind == Kind.TRANSCRIPT else None
    if label is None:
        return whole
    marks = [(m.start(), m.end(), "agent" if m.group("agent") else "debtor") for m in label.finditer(t.text)]
    if not marks:
        return whole
    pieces: list[tuple[int, int, str | None]] = [(0, marks[0][0], None)] if marks[0][0] > 0 else []
    for i, (_s, body, who) in enumerate(marks):
        stop = marks[i + 1][0] if i + 1 < len(marks) else len(t.text)
        pieces.append((body, stop, who))
    return pieces


def _dedupe(hits: list[_Hit]) -> list[_Hit]:
    """One finding per place and category: the most severe rule wins an overlap."""
    ordered = sorted(hits, key=lambda h: (_rank(h), -(h.end - h.start), h.start))
    kept: list[_Hit] = []
    for hit in ordered:
        same = (k for k in kept if k.rule.category == hit.rule.category)
        if any(hit.start < k.end and k.start < hit.end for k in same):
            continue
        kept.append(hit)
    return sorted(kept, key=lambda h: (h.start, _rank(h), h.rule.id))


def _rank(hit: _Hit) -> int:
    return SEVERITY_ORDER[Severity(hit.rule.severity)]


def check_text(
    text: str,
    *,
    kind: str = "note",
    third_party: bool = False,
    language: str | None = None,
    lexicons: LexiconSet | None = None,
    lexicon_dirs: tuple[Path | str, ...] = (),
) -> list[Finding]:
    """Check one text; return its findings in text order, each with its span in the original text."""
    kind = Kind(kind).value
    lex = lexicons or load_lexicons(lexicon_dirs)
    rules = lex.select(kind, third_party, language_code(language))
    if not text or not rules:
        return []
    t = _Text(text)
    hits: list[_Hit] = []
    for lo, hi, speaker in _segments(t, lex, kind):
        for rule in rules:
            if (speaker == "agent" and rule.is_flag) or (speaker == "debtor" and not rule.is_flag):
                continue
            for start, end, elements in _matches(rule, t, lo, hi):
                if rule.negatable and any(_negated(t, e, lex) for e in elements):
                    continue
                if rule.unless is not None and rule.unless.search(t.text, *t.sentence(start, end)):
                    continue
                hits.append(_Hit(rule, start, end))
    findings = []
    for hit in _dedupe(_merge(hits)):
        start, end = t.norm.span(hit.start, hit.end)
        r = hit.rule
        findings.append(Finding(r.id, r.category, r.severity, start, end, text[start:end],
                                r.message_zh, r.message_en, r.flag))
    return findings


def _merge(hits: list[_Hit]) -> list[_Hit]:
    """Join overlapping hits of the same rule into one span."""
    by_rule: dict[str, list[_Hit]] = {}
    for hit in hits:
        by_rule.setdefault(hit.rule.id, []).append(hit)
    merged: list[_Hit] = []
    for group in by_rule.values():
        group.sort(key=lambda h: h.start)
        current = group[0]
        for hit in group[1:]:
            if hit.start < current.end:
                current = _Hit(current.rule, current.start, max(current.end, hit.end))
            else:
                merged.append(current)
                current = hit
        merged.append(current)
    return merged
