"""Text normalisation for matching customers' words against admins' phrases.

``normalize(text)`` gives the form two texts are compared in:

- Unicode compatibility forms are unified (NFKD: full-width letters, ligatures, presentation
  forms) and case is folded (``casefold``: "Straße" -> "strasse").
- Diacritics are stripped: Latin accents ("café" -> "cafe"), Cyrillic marks, Hebrew niqqud and
  cantillation, Arabic harakat. This is uniform, so precomposed and decomposed input agree. It
  also folds Cyrillic "й" to "и" and "ё" to "е": the pairs it merges are mostly forms of one word
  (мой/мои, свой/свои, край), and it forgives customers who type without the breve.
- Hebrew final letters take their ordinary form (ך->כ, ם->מ, ן->נ, ף->פ, ץ->צ).
- Apostrophes of every kind, geresh and gershayim are dropped inside words, so "can't",
  "can’t" and "cant" are the same word; invisible format characters (RTL/LTR marks, zero-width
  joiners, soft hyphens, variation selectors) are dropped too.
- Every other punctuation mark, symbol (emoji included) and control character separates words;
  runs of separators and whitespace become one space, with none at either end.

``match_form(text)`` adds one step for matching: Cyrillic letters that look like Latin ones
(а е о р с у х і ј ѕ) are written as their Latin twins, so a word typed with a stray letter from
the other keyboard layout ("плащанетo" with a Latin "o") still matches.

``mapped_match_form(text)`` gives the same string plus a way back from positions in it to
slices of the original text, so an excerpt shows the customer's actual words.

The fast path runs only C-level string operations over the whole text; the mapped form works
character by character and is meant to be used only when a text has matched.
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from itertools import accumulate

HEBREW_FINAL_LETTERS = {"ך": "כ", "ם": "מ", "ן": "נ", "ף": "פ", "ץ": "צ"}
CYRILLIC_LOOKALIKES = {"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x",
                       "і": "i", "ј": "j", "ѕ": "s"}
APOSTROPHES = "'`\u2018\u2019\u201b\u02b9\u02bb\u02bc\u02bd\u2032\u05f3\u05f4\uff07"
# The acute accent would decompose into a space plus a mark; as an apostrophe it joins the word.
_ACUTE_ACCENT = "\u00b4"

_DIACRITIC_RANGES = (
    (0x0300, 0x036F), (0x0483, 0x0489),                      # combining diacritics, Cyrillic
    (0x0591, 0x05BD), (0x05BF, 0x05BF), (0x05C1, 0x05C2),    # Hebrew cantillation and niqqud
    (0x05C4, 0x05C5), (0x05C7, 0x05C7),
    (0x0610, 0x061A), (0x064B, 0x065F), (0x0670, 0x0670),    # Arabic harakat
    (0x06D6, 0x06ED),
    (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F),
    (0xFE00, 0xFE0F), (0xE0100, 0xE01EF),                    # variation selectors
    (0xE0000, 0xE007F),                                      # tag characters (emoji flags)
)
_SCANNED_PLANES = range(0, 0x20000)  # the BMP and the plane of emoji and historic symbols
_SEPARATOR_CATEGORIES = frozenset({"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk",
                                   "So", "Zs", "Zl", "Zp", "Cc", "Co", "Cs"})


def _character_class(codepoints: list[int]) -> str:
    """A regular-expression character class for sorted codepoints, written as ranges."""
    ranges: list[list[int]] = []
    for cp in codepoints:
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)
    return f"[{body}]"


def _build_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    dropped = {cp for lo, hi in _DIACRITIC_RANGES for cp in range(lo, hi + 1)}
    dropped.update(map(ord, APOSTROPHES))
    separators = []
    for cp in _SCANNED_PLANES:
        category = unicodedata.category(chr(cp))
        if category == "Cf":
            dropped.add(cp)
        elif category in _SEPARATOR_CATEGORIES and cp not in dropped:
            separators.append(cp)
    for lo, hi in ((0x1F000, 0x1FAFF),):  # emoji blocks, assigned or not yet
        separators.extend(cp for cp in range(lo, hi + 1) if cp not in dropped)
    return (re.compile(_character_class(sorted(dropped)) + "+"),
            re.compile(_character_class(sorted(set(separators))) + "+"))


_DROPPED, _SEPARATORS = _build_patterns()
_ASCII_FOLD = {ord(c): " " for c in map(chr, range(128)) if not c.isalnum()}
_ASCII_FOLD.update({ord("'"): None, ord("`"): None})
_NON_SPACE = re.compile(r"\S+")
_TRAILING_INVISIBLE = APOSTROPHES + "".join(
    chr(cp) for cp in range(0x2000, 0x2070) if unicodedata.category(chr(cp)) == "Cf") + "\ufeff\u00ad"


def _fold_words(text: str, lookalikes: bool) -> str:
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


def normalize(text: str) -> str:
    """Case-, accent- and script-folded words separated by single spaces (see module doc)."""
    return " ".join(_fold_words(text, lookalikes=False).split())


def match_form(text: str) -> str:
    """``normalize`` plus Cyrillic letters that look Latin written as Latin: what matching uses."""
    return " ".join(_fold_words(text, lookalikes=True).split())


class _FoldedCharacters(dict):
    """Each character's folded form, computed once per distinct character."""

    def __missing__(self, char: str) -> str:
        folded = self[char] = _fold_words(char, lookalikes=True)
        return folded


_FOLDED_CHARACTERS = _FoldedCharacters()


class MappedText:
    """A text's match form with the way back to the original: ``original_words(start, end)``
    returns the slice of the original text holding the words that positions start..end of the
    match form touch, whole words, without surrounding apostrophes or invisible marks."""

    def __init__(self, original: str) -> None:
        pieces = list(map(_FOLDED_CHARACTERS.__getitem__, original))
        folded = "".join(pieces)
        self.original = original
        # _piece_starts[i]: where original character i begins in ``folded``.
        self._piece_starts = list(accumulate(map(len, pieces), initial=0))
        self._word_spans = [m.span() for m in _NON_SPACE.finditer(folded)]
        self.text = " ".join(folded[a:b] for a, b in self._word_spans)
        self._word_starts = list(accumulate((b - a + 1 for a, b in self._word_spans), initial=0))

    def word_index(self, position: int) -> int:
        return bisect_right(self._word_starts, position) - 1

    def original_words(self, start: int, end: int) -> str:
        first, last = self.word_index(start), self.word_index(max(start, end - 1))
        folded_start, folded_end = self._word_spans[first][0], self._word_spans[last][1]
        original_start = bisect_right(self._piece_starts, folded_start) - 1
        # Take in the marks that follow the word's last letter (niqqud, accents)...
        original_end = bisect_right(self._piece_starts, folded_end) - 1
        # ...and the whole character when the word ends inside its folded form ("½" -> "1 2").
        if self._piece_starts[original_end] < folded_end:
            original_end += 1
        return self.original[original_start:original_end].rstrip(_TRAILING_INVISIBLE)


def mapped_match_form(text: str) -> MappedText:
    return MappedText(text)


__all__ = ["normalize", "match_form", "mapped_match_form", "MappedText",
           "HEBREW_FINAL_LETTERS", "CYRILLIC_LOOKALIKES", "APOSTROPHES"]
