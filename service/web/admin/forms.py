"""The "declare incident" form: what the admin typed, kept as typed, and turned into a draft."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from werkzeug.datastructures import MultiDict

from service.domain.incidents import SEVERITIES, IncidentDraft, InvalidIncident, clean_draft
from service.domain.text.customer_locales import CUSTOMER_LOCALES
from service.web.admin.text_locales import blank_texts, texts_from


@dataclass
class IncidentForm:
    title: str = ""
    severity: str = "major"
    default_locale: str = "en"
    phrases: str = ""
    status_texts: dict[str, str] = field(default_factory=blank_texts)
    shadow_mode: bool = False
    affected_products: str = ""
    affected_regions: str = ""
    started_at: str = ""  # datetime-local, read as UTC
    solve_group_id: str = ""
    solve_assignee_id: str = ""
    problem_ticket_id: str = ""  # an existing problem ticket to adopt; empty opens a new one

    severities = SEVERITIES
    default_locales = tuple(CUSTOMER_LOCALES)

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(self.status_texts)

    @classmethod
    def from_request(cls, form: MultiDict) -> IncidentForm:
        def text(name: str, default: str = "") -> str:
            # NUL cannot be typed and cannot be stored; a crafted request must not cause a 500.
            return form.get(name, default).replace("\x00", "")

        default_locale = text("default_locale", "en")
        given = texts_from(form, "status")
        return cls(
            title=text("title"),
            severity=text("severity", "major"),
            default_locale=default_locale,
            phrases=text("phrases"),
            status_texts={**blank_texts(given, [default_locale]), **given},
            shadow_mode=form.get("shadow_mode") == "on",
            affected_products=text("affected_products"),
            affected_regions=text("affected_regions"),
            started_at=text("started_at").strip(),
            solve_group_id=text("solve_group_id").strip(),
            solve_assignee_id=text("solve_assignee_id").strip(),
            problem_ticket_id=text("problem_ticket_id").strip().removeprefix("#"),
        )

    def to_draft(self) -> IncidentDraft:
        """Raises InvalidIncident with a message per field when something needs fixing."""
        errors: dict[str, list[str]] = {}
        started_at = None
        if self.started_at:
            try:
                started_at = datetime.fromisoformat(self.started_at)
            except ValueError:
                errors["started_at"] = ["Write the start time as date and time, e.g. 2026-11-22T14:00 (UTC)."]
        try:
            draft = clean_draft(
                title=self.title,
                phrases=self.phrases.splitlines(),
                status_texts=self.status_texts,
                severity=self.severity,
                default_locale=self.default_locale,
                shadow_mode=self.shadow_mode,
                affected_products=self.affected_products,
                affected_regions=self.affected_regions,
                started_at=started_at,
                solve_group_id=self.solve_group_id,
                solve_assignee_id=self.solve_assignee_id,
                problem_ticket_id=self.problem_ticket_id,
            )
        except InvalidIncident as invalid:
            raise InvalidIncident({**invalid.errors, **errors}) from None
        if errors:
            raise InvalidIncident(errors)
        return draft
