"""Management's digest of the backlog, as one chat message. Pure.

"IncidentDesk: 2 active incidents · 37 unanswered contacts (+5 since the last digest) · the
earliest unanswered contact is from 08:12 UTC on 2026-12-02", then a line per incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

# The digest's own ticket, when it goes by e-mail through the helpdesk, carries this tag:
# IncidentDesk never links or answers a ticket with it.
DIGEST_TAG = "incidentdesk_digest"


def digest_subject(moment: datetime) -> str:
    return f"IncidentDesk backlog digest, {_when(moment)}"


@dataclass(frozen=True)
class DigestLine:
    title: str
    linked: int
    unsolved: int
    earliest_unanswered_contact: datetime | None


def _when(moment: datetime) -> str:
    return f"{moment:%H:%M} UTC on {moment:%Y-%m-%d}"


def trend(unsolved: int, before: int | None) -> str:
    if before is None:
        return ""
    change = unsolved - before
    return " (no change since the last digest)" if change == 0 else f" ({change:+d} since the last digest)"


def digest_text(lines: Sequence[DigestLine], unsolved_before: int | None) -> str:
    unsolved = sum(line.unsolved for line in lines)
    contacts = [line.earliest_unanswered_contact for line in lines if line.earliest_unanswered_contact]
    head = [
        f"IncidentDesk: {len(lines)} active incident{'s' if len(lines) != 1 else ''}",
        f"{unsolved} unanswered contact{'s' if unsolved != 1 else ''}{trend(unsolved, unsolved_before)}",
    ]
    if contacts:
        head.append(f"the earliest unanswered contact is from {_when(min(contacts))}")
    body = [
        f"• {line.title}: {line.unsolved} unsolved of {line.linked} linked"
        + (
            f", earliest {_when(line.earliest_unanswered_contact)}"
            if line.earliest_unanswered_contact
            else ""
        )
        for line in lines
    ]
    return "\n".join([" · ".join(head), *body])
