"""Which language a reply is written in, and why: the requester's profile language when someone
set it apart from the account's default, otherwise the language the customer wrote in.

Zendesk gives every new user the account's default language, so a profile that says exactly
that tells nothing about the customer; a different one was chosen on purpose. The detection
itself is behind ``LanguageDetector`` (the service's offline detector), so this stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from service.domain.text.locales import customer_locale, locale_name

# Below this a detection is a guess: the profile's language stands.
MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class DetectedLanguage:
    locale: str  # a customer-text code (``ru``, ``pt``)
    confidence: float  # 0..1


class LanguageDetector(Protocol):
    def detect(self, text: str) -> DetectedLanguage | None:
        """The language ``text`` is written in, or None when it cannot tell."""


class LanguageSource(StrEnum):
    PROFILE = "profile"  # set apart from the account's default
    DETECTED = "detected"  # from the customer's own words
    ACCOUNT_DEFAULT = "account_default"  # nothing better known


@dataclass(frozen=True)
class ReplyLanguage:
    locale: str | None  # what to look for first; the texts' fallback chain does the rest
    source: LanguageSource
    confidence: float | None = None


def profile_set_on_purpose(profile_locale: str | None, account_locale: str | None) -> bool:
    """A profile language other than the account's default (the one every new user gets)."""
    profile = customer_locale(profile_locale)
    return profile is not None and profile != customer_locale(account_locale or "en")


def reply_language(
    *, profile_locale: str | None, account_locale: str | None, detected: DetectedLanguage | None
) -> ReplyLanguage:
    if profile_set_on_purpose(profile_locale, account_locale):
        return ReplyLanguage(customer_locale(profile_locale), LanguageSource.PROFILE)
    if detected is not None and detected.confidence >= MIN_CONFIDENCE and customer_locale(detected.locale):
        return ReplyLanguage(customer_locale(detected.locale), LanguageSource.DETECTED, detected.confidence)
    return ReplyLanguage(
        customer_locale(profile_locale) or customer_locale(account_locale), LanguageSource.ACCOUNT_DEFAULT
    )


def explain_language(
    choice: ReplyLanguage, answered_in: str, *, account_locale: str | None, detected: DetectedLanguage | None
) -> str:
    """The internal note's line on the reply's language."""
    account = account_locale or "en"
    if choice.source is LanguageSource.PROFILE:
        why = f"the requester's profile language, set apart from the account's default ({account})"
    elif choice.source is LanguageSource.DETECTED:
        why = (
            f"the language the customer wrote in (detected, confidence {choice.confidence:.2f}); "
            f"their profile has the account's default ({account})"
        )
    else:
        guess = (
            f"; the text looked like '{detected.locale}' with confidence {detected.confidence:.2f}, too unsure"
            if detected is not None
            else ""
        )
        why = f"the account's default ({account}): the profile has no language of its own{guess}"
    line = f"Language: '{answered_in}' ({locale_name(answered_in)}), {why}."
    if choice.locale and customer_locale(choice.locale) != answered_in:
        line += f" No text in '{choice.locale}' yet, so its fallback was used."
    return line
