"""Sentences the domain says to people (refusals, rule explanations), sayable in any UI language.

A module names its sentences once, in English, at the top::

    NO_MESSAGE = sentence("campaign.no_message", "write the message before launching")

and says one with ``NO_MESSAGE(**values)``. What it gets is a ``Phrase``: the English sentence
itself (a ``str``, so the API, logs and the agents' internal notes use it as before) that also
remembers its key and values. The admin UI says it in the visitor's language from the catalog
entry ``phrase.<key>``, falling back to the English where a catalog lacks it; a test checks that
every sentence defined has an entry, with the same placeholders, in every UI catalog.

A sentence that depends on a number gives its English forms as ``{"one": ..., "other": ...}``
and names the number with ``count_of``; English uses "one" exactly for 1 (the CLDR rule for
English), the other catalogs their own CLDR forms. A value may itself be a phrase (a state's
name), or a tuple of them (the actions still possible): each is said in the same language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

CATALOG_PREFIX = "phrase."


class Phrase(str):
    key: str
    values: Mapping[str, object]

    def __new__(cls, key: str, english: str, values: Mapping[str, object]) -> Phrase:
        made = super().__new__(cls, english)
        made.key = key
        made.values = dict(values)
        return made


@dataclass(frozen=True)
class Sentence:
    key: str
    english: str | Mapping[str, str]
    count_of: str | None = None

    def forms(self) -> tuple[str, ...]:
        return (self.english,) if isinstance(self.english, str) else tuple(self.english.values())

    def __call__(self, **values: object) -> Phrase:
        english = self.english
        if not isinstance(english, str):
            english = english["one"] if values.get(self.count_of or "") == 1 else english["other"]
        shown = {name: listed(v) if isinstance(v, tuple) else v for name, v in values.items()}
        return Phrase(self.key, english.format(**shown), values)


def listed(items: tuple[object, ...]) -> str:
    """A tuple value (of phrases, say) as the sentence shows it: ``a, b``."""
    return ", ".join(map(str, items))


DEFINED: dict[str, Sentence] = {}


def sentence(key: str, english: str | Mapping[str, str], count_of: str | None = None) -> Sentence:
    """Define (once, at import) the sentence ``key`` with its English."""
    made = Sentence(key, english, count_of)
    if DEFINED.setdefault(key, made) != made:
        raise ValueError(f"the sentence {key!r} is defined twice, differently")
    return made
