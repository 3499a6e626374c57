"""The offline language detector behind the domain's ``LanguageDetector`` port.

py3langid's model ships inside the package (no download, no network at run time), is loaded once
per process on first use, and is narrowed to the languages customers can be answered in, which
keeps a short text's confidence from being spread over the rest of its 140 languages (on the
benchmark's set the choices are the same either way; the confidences are higher).
``bench/language_detection_bench.py`` measures its accuracy and speed on short complaints.
"""

from __future__ import annotations

import threading
from typing import Any

from service.domain.text.customer_locales import CUSTOMER_LOCALES
from service.domain.text.locales import base_locale, customer_locale
from service.domain.text.reply_language import DetectedLanguage, LanguageDetector, profile_set_on_purpose

# How much of a long ticket is read: the language shows in its first lines.
MAX_CHARACTERS = 2000


class OfflineLanguageDetector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._identifier: Any = None

    def _model(self) -> Any:  # py3langid has no type hints
        with self._lock:
            if self._identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                known = set(identifier.labels)
                identifier.set_languages(sorted({base_locale(c) for c in CUSTOMER_LOCALES} & known))
                self._identifier = identifier
            return self._identifier

    def detect(self, text: str) -> DetectedLanguage | None:
        text = (text or "")[:MAX_CHARACTERS]
        if not any(ch.isalpha() for ch in text):
            return None
        language, confidence = self._model().classify(text)
        locale = customer_locale(language)
        return DetectedLanguage(locale, float(confidence)) if locale else None


def written_language(
    detector: LanguageDetector, *, profile_locale: str | None, account_locale: str, text: str
) -> DetectedLanguage | None:
    """The language of the customer's words, read only when their profile does not say."""
    if profile_set_on_purpose(profile_locale, account_locale):
        return None
    return detector.detect(text)
