"""Phrase matching: which active incidents a ticket's text talks about, and in which words.

Semantics, for admins and agents alike:

- Text and phrases are compared in ``text.match_form``: case, accents, Hebrew niqqud and final
  letters, apostrophes and Unicode variants folded; punctuation, symbols and emoji separate words.
- A phrase matches where a word starts. Its words in between must match whole words; its last word
  may continue, so "checkout" matches "checkouts" and "плащане" matches "плащането", but
  "pay" does not match "repay".
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
hardly grows with the number of rules. A ticket that matches is folded a second time, character
by character, to map positions back to the original text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import ahocorasick

from service.domain.text import MappedText, mapped_match_form, match_form

HEBREW_PREFIX_LETTERS = "והבלמשכ"
MAX_HEBREW_PREFIX = 3


@dataclass(frozen=True)
class PhraseRule:
    incident_id: int
    phrase: str            # as the admin wrote it
    exclude: bool = False  # an exclusion phrase: a ticket containing it does not match this incident
    rule_id: int | None = None


@dataclass(frozen=True)
class PhraseHit:
    incident_id: int
    phrases: tuple[str, ...]   # the admin's phrases that matched, in rule order, no duplicates
    excerpts: tuple[str, ...]  # the customer's own words that matched (original text slices), same order


def _is_hebrew_word(word: str) -> bool:
    return "\u05d0" <= word[0] <= "\u05ea"


def _token_matches(token: str, word: str, whole: bool, may_have_prefix: bool) -> bool:
    """Whether a token of the text is ``word`` (or, when not ``whole``, begins with it),
    possibly after Hebrew one-letter prefixes."""
    readings = [token]
    if may_have_prefix:
        readings += [token[n:] for n in range(1, MAX_HEBREW_PREFIX + 1)
                     if len(token) > n and not token[:n].strip(HEBREW_PREFIX_LETTERS)]
    return any(r == word if whole else r.startswith(word) for r in readings)


class _Pattern:
    """One folded phrase and how to confirm an automaton hit on its key.

    The key is the whole folded phrase, unless a Hebrew word after the first may carry a prefix;
    then the key is the first word and a space, and the remaining words are compared token by
    token after the hit."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.first_may_have_prefix = _is_hebrew_word(words[0])
        tail_has_prefixes = any(_is_hebrew_word(w) for w in words[1:])
        self.key = f"{words[0]} " if tail_has_prefixes else " ".join(words)
        self.tail = words[1:] if tail_has_prefixes else []

    def confirm(self, text: str, start: int, end: int) -> int:
        """The end of the match that begins with the key at text[start:end], or -1."""
        if start and text[start - 1] != " ":
            if not self.first_may_have_prefix:
                return -1
            prefix = text[text.rfind(" ", 0, start) + 1:start]
            if len(prefix) > MAX_HEBREW_PREFIX or prefix.strip(HEBREW_PREFIX_LETTERS):
                return -1
        if not self.tail:
            return end
        position = end
        last = len(self.tail) - 1
        for index, word in enumerate(self.tail):
            token_end = text.find(" ", position)
            if token_end < 0:
                token_end = len(text)
            if not _token_matches(text[position:token_end], word, whole=index != last,
                                  may_have_prefix=_is_hebrew_word(word)):
                return -1
            position = token_end + 1
        return position - 1


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
                end = pattern.confirm(text, start, last_char + 1)
                if end >= 0:
                    for index in rule_indexes:
                        found[index] = (start, end)
        return found

    def _matching_incidents(self, found: dict[int, tuple[int, int]]) -> set[int]:
        matched = {self.rules[i].incident_id for i in found if not self.rules[i].exclude}
        excluded = {self.rules[i].incident_id for i in found if self.rules[i].exclude}
        return matched - excluded

    def match(self, text: str) -> dict[int, PhraseHit]:
        """Incidents with at least one phrase hit and no exclusion hit, keyed by incident id."""
        found = self._first_matches(match_form(text))
        if not self._matching_incidents(found):
            return {}
        mapped = mapped_match_form(text)
        found = self._first_matches(mapped.text)
        return self._hits(self._matching_incidents(found), found, mapped)

    def _hits(self, incidents: set[int], found: dict[int, tuple[int, int]],
              mapped: MappedText) -> dict[int, PhraseHit]:
        phrases: dict[int, dict[str, str]] = {incident_id: {} for incident_id in incidents}
        for index in sorted(found):
            rule = self.rules[index]
            if rule.exclude or rule.incident_id not in incidents:
                continue
            if rule.phrase not in phrases[rule.incident_id]:
                phrases[rule.incident_id][rule.phrase] = mapped.original_words(*found[index])
        return {incident_id: PhraseHit(incident_id, tuple(by_phrase), tuple(by_phrase.values()))
                for incident_id, by_phrase in phrases.items()}
