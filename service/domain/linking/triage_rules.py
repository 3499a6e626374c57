"""What an account (or one incident) counts as serious: the triage rules. Pure data; the
signals themselves are read in ``service.domain.linking.triage``."""

from __future__ import annotations

from dataclasses import dataclass

PRIORITIES = ("low", "normal", "high", "urgent")
VIP_TAG, THREAT_TAG, REPEAT_TAG = (
    "incidentdesk_vip",
    "incidentdesk_legal_or_safety",
    "incidentdesk_repeat_contact",
)
VALUE_TAG, WAITING_TAG = "incidentdesk_valuable_customer", "incidentdesk_long_wait"

# Words that mean a legal or safety threat, in the languages customers write in most; an
# account's own list (per incident or for all) replaces them.
DEFAULT_THREAT_PHRASES: tuple[str, ...] = (
    # English
    "lawyer", "attorney", "court", "sue", "lawsuit", "legal action", "injury", "injured", "hospital",
    "dangerous", "caught fire",
    # Hebrew
    "עורך דין", "עורכת דין", "תביעה", "בית משפט", "פציעה", "נפצע", "בית חולים", "מסוכן",
    # Bulgarian
    "адвокат", "съд", "съдебен иск", "нараняване", "наранен", "болница", "опасно",
    # Russian
    "юрист", "суд", "иск", "травма", "больница", "опасно",
    # Arabic: its attached prefixes (بـ "with", الـ "the") are not folded as Hebrew's are, so
    # the common forms are listed
    "محامي", "بمحامي", "المحامي", "محكمة", "المحكمة", "دعوى", "إصابة", "مستشفى", "المستشفى", "خطر",
)  # fmt: skip


@dataclass(frozen=True)
class TriageRules:
    vip_tags: frozenset[str] = frozenset({"vip"})
    vip_priority: str | None = "urgent"
    threat_phrases: tuple[str, ...] = DEFAULT_THREAT_PHRASES
    threat_priority: str | None = "urgent"
    repeat_contacts: int = 3  # this many earlier contacts make a repeat contact; 0 turns it off
    repeat_priority: str | None = "high"
    group_id: int | None = None  # where a ticket with any signal goes; None leaves it where it is
    # A valuable customer: a user (or organisation) field, by key, at or above a number.
    value_field: str = ""  # empty turns it off
    value_at_least: float = 0.0
    value_priority: str | None = "high"
    # A long wait: the ticket was created this many hours before it is linked; 0 turns it off.
    waiting_hours: float = 0.0
    waiting_priority: str | None = "high"


DEFAULT_TRIAGE = TriageRules()
