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

The rules themselves live in ``folding``; ``codepage_folding`` is a faster route to the same
result for texts in one script. ``MappedText`` finds the original words with one regular
expression, checks each excerpt by folding it again, and falls back to folding the text
character by character when a character folds into more than one word (such as "½"); it is
meant for texts that have matched.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from itertools import accumulate

from service.domain.text.codepages import fold_collapsed
from service.domain.text.folding import APOSTROPHES, fold_words, word_spans

_NON_SPACE = re.compile(r"\S+")
_TRAILING_INVISIBLE = (
    APOSTROPHES
    + "".join(chr(cp) for cp in range(0x2000, 0x2070) if unicodedata.category(chr(cp)) == "Cf")
    + "\ufeff\u00ad"
)


def _collapsed(text: str, lookalikes: bool) -> str:
    if not text.isascii():
        folded = fold_collapsed(text, lookalikes)
        if folded is not None:
            return folded
    return " ".join(fold_words(text, lookalikes).split())


def normalize(text: str) -> str:
    """Case-, accent- and script-folded words separated by single spaces (see module doc)."""
    return _collapsed(text, lookalikes=False)


def match_form(text: str) -> str:
    """``normalize`` plus Cyrillic letters that look Latin written as Latin: what matching uses."""
    return _collapsed(text, lookalikes=True)


class _FoldedCharacters(dict[str, str]):
    """Each character's folded form, computed once per distinct character."""

    def __missing__(self, char: str) -> str:
        folded = self[char] = fold_words(char, lookalikes=True)
        return folded


_FOLDED_CHARACTERS = _FoldedCharacters()


def _word_spans_by_character(original: str) -> list[tuple[int, int]]:
    """The slow, exact way back: fold character by character and see where each word came from."""
    pieces = list(map(_FOLDED_CHARACTERS.__getitem__, original))
    piece_starts = list(accumulate(map(len, pieces), initial=0))  # in the folded text, per character
    spans = []
    for match in _NON_SPACE.finditer("".join(pieces)):
        start = bisect_right(piece_starts, match.start()) - 1
        # Take in the marks after the word's last letter (niqqud, accents), and the whole
        # character when the word ends inside its folded form ("½" folds to "1 2").
        end = bisect_right(piece_starts, match.end()) - 1
        if piece_starts[end] < match.end():
            end += 1
        spans.append((start, end))
    return spans


class MappedText:
    """A text's match form with the way back to the original: ``original_words(start, end)``
    returns the slice of the original text holding the words that positions start..end of the
    match form touch, whole words, without trailing apostrophes or invisible marks."""

    def __init__(self, original: str, folded: str | None = None) -> None:
        self.original = original
        self.text = match_form(original) if folded is None else folded
        self._word_count = self.text.count(" ") + 1 if self.text else 0
        self._spans: list[tuple[int, int]] | None = None
        self._exact = False

    def original_words(self, start: int, end: int) -> str:
        first_start = self.text.rfind(" ", 0, start) + 1
        last_end = self.text.find(" ", max(start, end - 1))
        if last_end < 0:
            last_end = len(self.text)
        first = self.text.count(" ", 0, first_start)
        last = first + self.text.count(" ", first_start, last_end)
        if self._spans is None:
            self._spans = word_spans(self.original)
        excerpt = self._slice(first, last)
        if not self._exact and (excerpt is None or match_form(excerpt) != self.text[first_start:last_end]):
            self._spans, self._exact = _word_spans_by_character(self.original), True
            excerpt = self._slice(first, last)
        return (excerpt or "").rstrip(_TRAILING_INVISIBLE)

    def _slice(self, first: int, last: int) -> str | None:
        spans = self._spans
        if spans is None or len(spans) != self._word_count:
            return None
        return self.original[spans[first][0] : spans[last][1]]


def mapped_match_form(text: str, folded: str | None = None) -> MappedText:
    """The match form of ``text`` (pass it as ``folded`` if already computed) and its map."""
    return MappedText(text, folded)


__all__ = ["normalize", "match_form", "mapped_match_form", "MappedText"]
