"""Phrase matching: which active incidents a ticket's text talks about, and in which words.

Semantics, for admins and agents alike:

- Text and phrases are compared in ``text.match_form``: case, accents, Hebrew niqqud and final
  letters, apostrophes and Unicode variants folded; punctuation, symbols and emoji separate words.
- A phrase matches where a word starts. Its last word may continue, so "checkout" matches
  "checkouts" and "плащане" matches "плащането", but "pay" does not match "repay". Its other
  words may take an inflected ending too, when they are long enough to be a stem (at least
  ``MIN_STEM`` letters and no digits, ending up to ``MAX_ENDING`` letters longer): "плащане не
  работи" matches "плащането не работи" and "payment fails" matches "payments failed", while a
  short word ("не", "can't") or a number must match whole.
- A Hebrew word in a phrase may carry up to three of the one-letter prefixes ו ה ב ל מ ש כ in the
  text, so "תשלום" matches "התשלום", "בתשלום", "ובתשלום" and "כשהתשלום".
- Multi-word phrases match across any run of whitespace and punctuation: "checkout fails" matches
  "Checkout... fails" and "checkout\\n\\nfails".
- An incident matches when at least one of its phrases matches and none of its exclusion phrases
  does. An exclusion only affects its own incident.
- A ``PhraseHit`` names the admin's phrases that matched, in rule order without duplicates, and
  for each the customer's own words at its first occurrence: a slice of the original text,
  extended to whole words (so "התשלום" or "checkouts", not the folded form).
- Phrases with no letters or digits (nothing left after folding) match nothing.

All incidents' phrases are compiled into one Aho-Corasick automaton, so the cost of a ticket
hardly grows with the number of rules. Only for a ticket that matches are the words of the
original text located, to cut the excerpts (``text.MappedText``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from service.domain.text.normalise import MappedText, mapped_match_form, match_form

HEBREW_PREFIX_LETTERS = "והבלמשכ"
MAX_HEBREW_PREFIX = 3
# An inner word of a phrase may be inflected: a stem of at least MIN_STEM letters followed by an
# ending of up to MAX_ENDING letters (Bulgarian articles and plurals, English -s/-ed/-ing,
# Hebrew plural and possessive endings).
MIN_STEM = 5
MAX_ENDING = 4
# Endings a stem is found under, in match form (lower case, Cyrillic letters that look Latin
# folded to Latin, Hebrew final letters folded): the last vowel of Bulgarian nouns and verbs
# ("плащане" → "плащан", so "плащанията" matches), English -s/-es/-ed/-ing, Hebrew
# feminine and plural endings. Longest first.
STEM_ENDINGS = (
    "ing",
    "ed",
    "es",
    "ים",
    "ות",
    "s",
    "a",
    "e",
    "i",
    "o",
    "u",
    "y",
    "и",
    "ъ",
    "я",
    "ю",
    "ה",
    "ת",
)


def stem(word: str) -> str:
    """The part of ``word`` an inflected form keeps: ``word`` less one ending, if what remains
    is still a stem of ``MIN_STEM`` - 1 letters. Words with digits are kept whole."""
    if len(word) < MIN_STEM or not word.isalpha():
        return word
    for ending in STEM_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM - 1:
            return word[: -len(ending)]
    return word


@dataclass(frozen=True)
class PhraseRule:
    incident_id: int
    phrase: str  # as the admin wrote it
    exclude: bool = False  # an exclusion phrase: a ticket containing it does not match this incident
    rule_id: int | None = None


@dataclass(frozen=True)
class PhraseHit:
    incident_id: int
    phrases: tuple[str, ...]  # the admin's phrases that matched, in rule order, no duplicates
    excerpts: tuple[str, ...]  # the customer's own words that matched (original text slices), same order


def _is_hebrew_word(word: str) -> bool:
    return "\u05d0" <= word[0] <= "\u05ea"


def _word_matches(token: str, word: str, ending: int | None) -> bool:
    """``token`` is ``word``, or ``word`` followed by at most ``ending`` letters (None: any)."""
    if ending == 0:
        return token == word
    return token.startswith(word) and (ending is None or len(token) - len(word) <= ending)


def _token_matches(token: str, word: str, ending: int | None, may_have_prefix: bool) -> bool:
    """Whether a token of the text is ``word`` with an allowed ending (see ``_word_matches``),
    possibly after Hebrew one-letter prefixes."""
    if _word_matches(token, word, ending):
        return True
    if may_have_prefix:
        for length in range(1, min(MAX_HEBREW_PREFIX, len(token) - 1) + 1):
            if token[length - 1] not in HEBREW_PREFIX_LETTERS:
                return False
            if _word_matches(token[length:], word, ending):
                return True
    return False


class _Pattern:
    """One folded phrase, the automaton key that finds it, and how to confirm a hit on the key.

    The key is the whole folded phrase when only its first word may carry a Hebrew prefix (the
    automaton then does all the work). Otherwise the key is the phrase's longest word, its
    "anchor", and the words around it are compared token by token after a hit."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.may_have_prefix = [_is_hebrew_word(w) for w in words]
        last = len(words) - 1
        # Each word is looked for as its stem, which may run on: an ending for a stem, nothing for
        # a short inner word, anything for a last word that is its own stem ("checkout...").
        self.stems = [stem(w) for w in words]
        self.endings: list[int | None] = [
            (None if self.stems[i] == w else MAX_ENDING)
            if i == last
            else (MAX_ENDING if len(w) >= MIN_STEM and w.isalpha() else 0)
            for i, w in enumerate(words)
        ]
        words = self.stems
        if not any(self.may_have_prefix[1:]) and not any(self.endings[:-1]) and self.endings[last] is None:
            self.anchor, self.key, self.lead = 0, " ".join(words), 0
            self.checks_neighbours = False
        else:
            self.anchor = max(range(len(words)), key=lambda i: len(words[i]))
            self.lead = 0 if self.may_have_prefix[self.anchor] or self.anchor == 0 else 1
            whole_inner_anchor = self.anchor < last and not self.endings[self.anchor]
            self.key = " " * self.lead + words[self.anchor] + (" " if whole_inner_anchor else "")
            self.checks_neighbours = True

    def confirm(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        """The span of the phrase whose key was found at text[start:end], or None."""
        word_start = start + self.lead
        token_start = text.rfind(" ", 0, word_start) + 1
        if token_start < word_start and not (
            self.may_have_prefix[self.anchor]
            and word_start - token_start <= MAX_HEBREW_PREFIX
            and not text[token_start:word_start].strip(HEBREW_PREFIX_LETTERS)
        ):
            return None
        if not self.checks_neighbours:
            return token_start, end
        first_start = token_start
        for index in range(self.anchor - 1, -1, -1):
            if first_start < 2:
                return None
            token_end = first_start - 1
            first_start = text.rfind(" ", 0, token_end) + 1
            if not _token_matches(
                text[first_start:token_end],
                self.stems[index],
                self.endings[index],
                self.may_have_prefix[index],
            ):
                return None
        position, last = end, len(self.words) - 1
        if self.anchor < last and self.endings[self.anchor]:  # the anchor may run on: to its token's end
            token_end = text.find(" ", end)
            if token_end < 0 or token_end - end > MAX_ENDING:
                return None
            position = token_end + 1
        elif self.anchor == last and self.endings[last] is not None:  # a stemmed last word: a short ending
            token_end = text.find(" ", end)
            if (len(text) if token_end < 0 else token_end) - end > MAX_ENDING:
                return None
        for index in range(self.anchor + 1, last + 1):
            token_end = text.find(" ", position)
            if token_end < 0:
                token_end = len(text)
            if not _token_matches(
                text[position:token_end], self.stems[index], self.endings[index], self.may_have_prefix[index]
            ):
                return None
            position = token_end + 1
        return first_start, max(end, position - 1)


class PhraseMatcher:
    """All active incidents' phrase rules, compiled once; ``match`` is safe to call from threads."""

    def __init__(self, rules: Iterable[PhraseRule]) -> None:
        self.rules: tuple[PhraseRule, ...] = tuple(rules)
        patterns: dict[str, _Pattern] = {}
        rules_by_phrase: dict[str, list[int]] = {}
        for index, rule in enumerate(self.rules):
            folded = match_form(rule.phrase)
            if not folded:
                continue
            if folded not in patterns:
                patterns[folded] = _Pattern(folded.split(" "))
            rules_by_phrase.setdefault(folded, []).append(index)
        patterns_by_key: dict[str, list[tuple[_Pattern, tuple[int, ...]]]] = {}
        for folded, pattern in patterns.items():
            patterns_by_key.setdefault(pattern.key, []).append((pattern, tuple(rules_by_phrase[folded])))
        self._automaton = ahocorasick.Automaton()
        for key, entries in patterns_by_key.items():
            self._automaton.add_word(key, (len(key), tuple(entries)))
        self._automaton.make_automaton()
        self._is_empty = not patterns_by_key

    def _first_matches(self, text: str) -> dict[int, tuple[int, int]]:
        """Rule index -> (start, end) of its first match in a folded text."""
        found: dict[int, tuple[int, int]] = {}
        if not text or self._is_empty:
            return found
        for last_char, (key_length, entries) in self._automaton.iter(text):
            start = last_char + 1 - key_length
            for pattern, rule_indexes in entries:
                if rule_indexes[0] in found:
                    continue
                span = pattern.confirm(text, start, last_char + 1)
                if span:
                    for index in rule_indexes:
                        found[index] = span
        return found

    def _matching_incidents(self, found: dict[int, tuple[int, int]]) -> set[int]:
        matched = {self.rules[i].incident_id for i in found if not self.rules[i].exclude}
        excluded = {self.rules[i].incident_id for i in found if self.rules[i].exclude}
        return matched - excluded

    def match(self, text: str) -> dict[int, PhraseHit]:
        """Incidents with at least one phrase hit and no exclusion hit, keyed by incident id."""
        folded = match_form(text)
        found = self._first_matches(folded)
        incidents = self._matching_incidents(found)
        if not incidents:
            return {}
        return self._hits(incidents, found, mapped_match_form(text, folded))

    def _hits(
        self, incidents: set[int], found: dict[int, tuple[int, int]], mapped: MappedText
    ) -> dict[int, PhraseHit]:
        phrases: dict[int, dict[str, str]] = {incident_id: {} for incident_id in incidents}
        for index in sorted(found):
            rule = self.rules[index]
            if rule.exclude or rule.incident_id not in incidents:
                continue
            if rule.phrase not in phrases[rule.incident_id]:
                phrases[rule.incident_id][rule.phrase] = mapped.original_words(*found[index])
        return {
            incident_id: PhraseHit(incident_id, tuple(by_phrase), tuple(by_phrase.values()))
            for incident_id, by_phrase in phrases.items()
        }
