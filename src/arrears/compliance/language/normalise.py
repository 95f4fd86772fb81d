"""Text normalisation for matching, with a map from every normalised position back to the original text.

Steps, character by character so offsets survive: NFKC (full-width letters, digits and punctuation become
ASCII), traditional Chinese to simplified through `t2s.tsv`, a few matching folds (您/妳 to 你, 她 to 他,
curly quotes to straight ones), zero-width characters dropped, and whitespace between two Chinese
characters dropped ("起 诉" matches 起诉).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

T2S_FILE = Path(__file__).resolve().parent / "t2s.tsv"

_FOLDS = {
    "您": "你", "妳": "你", "祢": "你", "她": "他",
    "\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "\u201c": '"', "\u201d": '"',
    "\u00a0": " ",
}
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")


@cache
def t2s_table() -> dict[str, str]:
    """The traditional-to-simplified character table shipped beside this module."""
    table: dict[str, str] = {}
    for number, line in enumerate(T2S_FILE.read_text(encoding="utf-8").splitlines(), start=1):
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or len(parts[0]) != 1 or len(parts[1]) != 1:
            raise ValueError(f"{T2S_FILE.name}: line {number}: expected 'X<TAB>Y' with one character each")
        table[parts[0]] = parts[1]
    return table


def is_cjk(ch: str) -> bool:
    """True for a CJK ideograph (the unified blocks and extension A)."""
    code = ord(ch)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF


@dataclass(frozen=True, slots=True)
class Normalised:
    """Normalised text and, for each of its characters, the index of the original character it came from."""

    text: str
    origin: tuple[int, ...]
    original: str

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalised [start, end) span back to the original text's [start, end)."""
        if start >= end:
            at = self.origin[start] if start < len(self.origin) else len(self.original)
            return at, at
        return self.origin[start], self.origin[end - 1] + 1


def fold_char(ch: str, table: dict[str, str]) -> str:
    """Normalise one character (may return zero or several characters)."""
    if ch in _ZERO_WIDTH:
        return ""
    out = unicodedata.normalize("NFKC", ch) if not ch.isascii() else ch
    if len(out) == 1:
        out = table.get(out, out)
        return _FOLDS.get(out, out)
    return "".join(_FOLDS.get(table.get(c, c), table.get(c, c)) for c in out)


def normalise(text: str) -> Normalised:
    """Normalise text for matching and keep the way back to the original offsets."""
    table = t2s_table()
    chars: list[str] = []
    origin: list[int] = []
    pending_space: list[tuple[str, int]] = []
    for index, ch in enumerate(text):
        folded = fold_char(ch, table)
        for piece in folded:
            if piece.isspace() and piece != "\n":
                pending_space.append((" ", index))
                continue
            if pending_space:
                prev_cjk = bool(chars) and is_cjk(chars[-1])
                if not (prev_cjk and is_cjk(piece)):
                    chars.append(" ")
                    origin.append(pending_space[0][1])
                pending_space = []
            chars.append(piece)
            origin.append(index)
    if pending_space:
        chars.append(" ")
        origin.append(pending_space[0][1])
    return Normalised("".join(chars), tuple(origin), text)


def normalise_pattern(text: str) -> str:
    """Normalise a lexicon term or regex the same way (without offsets); ASCII passes through unchanged."""
    table = t2s_table()
    return "".join(ch if ch.isascii() else fold_char(ch, table) for ch in text)
