"""The post-incident report: what happened and what is done about it (written at resolution,
per language), the timeline of what customers were told, tickets per hour, how fast customers
were answered, merges, outreach's reach, the longest wait, and how customers rated the handling
against the account's baseline. For its page, CSV and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from integrations.base import HelpdeskPort
from service import clock
from service.domain.moments import utc
from service.domain.satisfaction import Satisfaction, Tally
from service.domain.states import LinkState, MergeState
from service.domain.tickets import SOLVED_STATUSES
from service.incidents.reads import links_per_hour
from service.incidents.satisfaction import RatingsCache, satisfaction_of
from service.merging.models import Merge
from service.models import Incident, StatusUpdate, TicketLink
from service.outreach.models import Campaign, Recipient

REPORT_HOURS = 24 * 14  # the chart covers up to two weeks of an incident


@dataclass(frozen=True)
class Reach:
    campaign: str
    purpose: str
    sent: int
    audience: int


@dataclass(frozen=True)
class Report:
    incident: Incident
    timeline: tuple[StatusUpdate, ...]
    per_hour: dict[datetime, int]
    linked: int
    unlinked: int
    unsolved: int
    # Seconds from the customer's first contact to IncidentDesk's answer (its link), over the
    # linked tickets: the median, the 90th percentile and the longest.
    median_answer_seconds: float | None
    p90_answer_seconds: float | None
    longest_wait_seconds: float | None
    merged: int
    outreach: tuple[Reach, ...]
    satisfaction: Satisfaction | None  # None: the helpdesk could not be read just now

    def figures(self) -> list[tuple[str, object]]:
        """The report's figures as (name, value) rows: its CSV and the API's ``figures``
        (satisfaction's are None while the helpdesk cannot be read)."""
        ours = self.satisfaction.incident if self.satisfaction else None
        baseline = self.satisfaction.baseline if self.satisfaction else None
        return [
            ("incident_id", self.incident.id),
            ("title", self.incident.title),
            ("declared_at", self.incident.created_at),
            ("resolved_at", self.incident.resolved_at),
            ("status_updates", len(self.timeline)),
            ("tickets_linked", self.linked),
            ("tickets_unlinked_by_agents", self.unlinked),
            ("tickets_unsolved", self.unsolved),
            ("median_seconds_to_answer", _round(self.median_answer_seconds)),
            ("p90_seconds_to_answer", _round(self.p90_answer_seconds)),
            ("longest_wait_seconds", _round(self.longest_wait_seconds)),
            ("duplicates_merged", self.merged),
            ("customers_reached_by_outreach", sum(r.sent for r in self.outreach)),
            *_tally_figures("satisfaction", ours),
            *_tally_figures("baseline", baseline),
        ]


def _tally_figures(prefix: str, tally: Tally | None) -> list[tuple[str, object]]:
    return [
        (f"{prefix}_rated", tally.rated if tally else None),
        (f"{prefix}_good_percent", tally.good_percent if tally else None),
        (f"{prefix}_bad_percent", tally.bad_percent if tally else None),
    ]


def _round(value: float | None) -> int | None:
    return None if value is None else round(value)


def _percentile(ordered: list[float], share: float) -> float | None:
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(session: Session, incident: Incident, helpdesk: HelpdeskPort, ratings: RatingsCache) -> Report:
    counts = dict(
        session.execute(
            select(TicketLink.state, func.count())
            .where(TicketLink.incident_id == incident.id)
            .group_by(TicketLink.state)
        ).all()
    )
    waits = sorted(
        max(0.0, (utc(linked) - utc(first or linked)).total_seconds())
        for linked, first in session.execute(
            select(TicketLink.linked_at, TicketLink.ticket_created_at).where(
                TicketLink.incident_id == incident.id, TicketLink.state == LinkState.LINKED
            )
        )
    )
    unsolved = session.scalar(
        select(func.count())
        .select_from(TicketLink)
        .where(
            TicketLink.incident_id == incident.id,
            TicketLink.state == LinkState.LINKED,
            TicketLink.ticket_status.not_in(sorted(SOLVED_STATUSES)),
        )
    )
    merged = session.scalar(
        select(func.count())
        .select_from(Merge)
        .where(Merge.incident_id == incident.id, Merge.state == MergeState.MERGED)
    )
    reach = tuple(
        Reach(name, purpose, int(sent or 0), int(total))
        for name, purpose, sent, total in session.execute(
            select(
                Campaign.name,
                Campaign.purpose,
                func.count(case((Recipient.state == "sent", 1))),
                func.count(Recipient.id),
            )
            .join(Recipient, Recipient.campaign_id == Campaign.id)
            .where(Campaign.incident_id == incident.id)
            .group_by(Campaign.id, Campaign.name, Campaign.purpose)
            .order_by(Campaign.id)
        )
    )
    return Report(
        incident=incident,
        timeline=tuple(incident.status_updates),
        per_hour=links_per_hour(session, [incident.id], REPORT_HOURS),
        linked=int(counts.get(LinkState.LINKED, 0)),
        unlinked=int(counts.get(LinkState.UNLINKED, 0)),
        unsolved=int(unsolved or 0),
        median_answer_seconds=_percentile(waits, 0.5),
        p90_answer_seconds=_percentile(waits, 0.9),
        longest_wait_seconds=waits[-1] if waits else None,
        merged=int(merged or 0),
        outreach=reach,
        satisfaction=_satisfaction(session, incident, helpdesk, ratings),
    )


def _satisfaction(
    session: Session, incident: Incident, helpdesk: HelpdeskPort, ratings: RatingsCache
) -> Satisfaction | None:
    found = satisfaction_of(session, helpdesk, ratings, [incident], clock.now())
    return None if found is None else found[incident.id]
