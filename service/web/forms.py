"""The "declare incident" form: what the admin typed, kept as typed, and turned into a draft."""
from __future__ import annotations

from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from service.domain.incident_input import SEVERITIES, IncidentDraft, clean_draft
from service.domain.locales import SUPPORTED_LOCALES


@dataclass
class IncidentForm:
    title: str = ""
    severity: str = "major"
    default_locale: str = "en"
    phrases: str = ""
    status_texts: dict[str, str] = field(default_factory=lambda: {lang: "" for lang in SUPPORTED_LOCALES})
    shadow_mode: bool = False

    severities = SEVERITIES
    locales = SUPPORTED_LOCALES

    @classmethod
    def from_request(cls, form: MultiDict) -> "IncidentForm":
        return cls(
            title=form.get("title", ""),
            severity=form.get("severity", "major"),
            default_locale=form.get("default_locale", "en"),
            phrases=form.get("phrases", ""),
            status_texts={lang: form.get(f"status_{lang}", "") for lang in SUPPORTED_LOCALES},
            shadow_mode=form.get("shadow_mode") == "on",
        )

    def to_draft(self) -> IncidentDraft:
        """Raises InvalidIncident with a message per field when something needs fixing."""
        return clean_draft(title=self.title, phrases=self.phrases.splitlines(),
                           status_texts=self.status_texts, severity=self.severity,
                           default_locale=self.default_locale, shadow_mode=self.shadow_mode)
