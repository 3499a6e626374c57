"""The character rules of normalisation, applied to a whole text with C-level string operations.

``fold_words`` does everything ``text.normalize`` promises except collapsing whitespace: every
character is folded on its own (so folding a text equals folding its characters one by one and
joining them, which is what lets ``text.MappedText`` map positions back to the original), and
separators become spaces. Its output is a fixed point: folding it again changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import accumulate

HEBREW_FINAL_LETTERS = {"ך": "כ", "ם": "מ", "ן": "נ", "ף": "פ", "ץ": "צ"}
CYRILLIC_LOOKALIKES = {
    "а": "a",
    "е": "e",
    "о": "o",
    "р": "p",
    "с": "c",
    "у": "y",
    "х": "x",
    "і": "i",
    "ј": "j",
    "ѕ": "s",
}
APOSTROPHES = "'`\u2018\u2019\u201b\u02b9\u02bb\u02bc\u02bd\u2032\u05f3\u05f4\uff07"
# The acute accent would decompose into a space plus a mark; as an apostrophe it joins the word.
_ACUTE_ACCENT = "\u00b4"

_DIACRITIC_RANGES = (
    (0x0300, 0x036F),
    (0x0483, 0x0489),  # combining diacritics, Cyrillic
    (0x0591, 0x05BD),
    (0x05BF, 0x05BF),
    (0x05C1, 0x05C2),  # Hebrew cantillation and niqqud
    (0x05C4, 0x05C5),
    (0x05C7, 0x05C7),
    (0x0610, 0x061A),
    (0x064B, 0x065F),
    (0x0670, 0x0670),  # Arabic harakat
    (0x06D6, 0x06ED),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
    (0xFE00, 0xFE0F),  # variation selectors
)
# Outside the BMP only two blocks matter, each kept as one range so that the regular expressions
# stay fast: emoji and pictographs separate words; tags (flag sequences) and the supplementary
# variation selectors are dropped.
_ASTRAL_SEPARATORS = "[\U0001f000-\U0001faff]"
_ASTRAL_DROPPED = "[\U000e0000-\U000e01ef]"
_SEPARATOR_CATEGORIES = frozenset(
    {"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Co", "Cs"}
)


def _character_class(codepoints: list[int]) -> str:
    """A regular-expression character class for sorted codepoints, written as ranges."""
    ranges: list[list[int]] = []
    for cp in codepoints:
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"\\u{lo:04x}" if lo == hi else f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in ranges)
    return f"[{body}]"


def _build_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Characters to drop, and separators other than whitespace (``str.split`` takes care of
    that). BMP classes compile to bitmaps, which is what keeps the substitutions fast."""
    dropped = {cp for lo, hi in _DIACRITIC_RANGES for cp in range(lo, hi + 1)}
    dropped.update(map(ord, APOSTROPHES))
    separators = []
    for cp in range(0x10000):
        char = chr(cp)
        category = unicodedata.category(char)
        if category == "Cf":
            dropped.add(cp)
        elif category in _SEPARATOR_CATEGORIES and cp not in dropped and not char.isspace():
            separators.append(cp)
    return (
        re.compile(f"(?:{_character_class(sorted(dropped))}|{_ASTRAL_DROPPED})+"),
        re.compile(f"(?:{_character_class(separators)}|{_ASTRAL_SEPARATORS})+"),
    )


_DROPPED, _SEPARATORS = _build_patterns()
_ASCII_FOLD: dict[int, str | None] = {ord(c): " " for c in map(chr, range(128)) if not c.isalnum()}
_ASCII_FOLD.update({ord("'"): None, ord("`"): None})


def fold_words(text: str, lookalikes: bool) -> str:
    """Everything but collapsing: separators become spaces, dropped characters vanish."""
    if text.isascii():
        return text.casefold().translate(_ASCII_FOLD)
    folded = unicodedata.normalize("NFKD", text.replace(_ACUTE_ACCENT, "'")).casefold()
    folded = _DROPPED.sub("", folded)
    for final, ordinary in HEBREW_FINAL_LETTERS.items():
        folded = folded.replace(final, ordinary)
    if lookalikes:
        for cyrillic, latin in CYRILLIC_LOOKALIKES.items():
            folded = folded.replace(cyrillic, latin)
    return _SEPARATORS.sub(" ", folded)


def _original_word_pattern() -> re.Pattern[str]:
    """A word of the original text: from a character that does not fold to nothing, up to the
    next character that folds to a separator. BMP only (bitmaps keep it fast); see word_spans."""
    separating, dropping = [], []
    for cp in range(0x10000):
        char = chr(cp)
        if char.isalnum():
            continue
        folded = fold_words(char, lookalikes=True)
        if not folded:
            dropping.append(cp)
        elif folded.isspace():
            separating.append(cp)
    not_start = _character_class(sorted(separating + dropping))
    return re.compile(f"([^{not_start[1:-1]}][^{_character_class(separating)[1:-1]}]*)")


_ORIGINAL_WORD = _original_word_pattern()
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _bmp_stand_in(astral: re.Match[str]) -> str:
    folded = fold_words(astral.group(), lookalikes=True)
    return " " if folded.isspace() else "\u200b" if not folded else "a"


def word_spans(text: str) -> list[tuple[int, int]]:
    """Where each word of ``fold_words(text)`` comes from in ``text``, as (start, end): exact for
    text whose characters each fold into at most one word. A character such as "½" (which folds
    to "1 2") makes the two disagree, so callers check the words they take from it."""
    pieces = _ORIGINAL_WORD.split(_ASTRAL.sub(_bmp_stand_in, text))  # gap, word, gap, ..., word, gap
    bounds = list(accumulate(map(len, pieces), initial=0))
    return list(zip(bounds[1::2], bounds[2::2], strict=False))
