"""Database side of merging: rules, the candidate index, per-requester locks, merge records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import clock
from service.audit import record
from service.db import Database, insert_into
from service.domain.merging.duplicates import Fingerprint
from service.domain.merging.policy import DEFAULT_COMMENTS, MergeRules
from service.domain.moments import utc
from service.domain.states import LIVE_LINK_STATES, MergeState
from service.merging.models import Merge, MergeBand, MergeIndexEntry, MergeLock, MergeRefusal, MergeSettings
from service.merging.settings_input import as_json, check_floor, clean_settings
from service.models import TicketLink

ACCOUNT_SCOPE = 0
CANDIDATE_LIMIT = 50


def settings_row(session: Session, incident_id: int | None = None) -> MergeSettings | None:
    return session.get(MergeSettings, incident_id or ACCOUNT_SCOPE)


def rules_from(row: MergeSettings | None) -> MergeRules:
    if row is None:
        return MergeRules()
    comments = {
        kind: {**DEFAULT_COMMENTS[kind], **{k: v for k, v in (row.comments or {}).get(kind, {}).items() if v}}
        for kind in DEFAULT_COMMENTS
    }
    return MergeRules(
        enabled=row.enabled,
        window=timedelta(minutes=row.window_minutes),
        similarity_threshold=row.similarity_threshold,
        suggestion_floor=row.suggestion_floor,
        suggest_same_organization=row.suggest_same_organization,
        public_comments=row.public_comments,
        skip_tag=row.skip_tag,
        merge_after_agent_reply=row.merge_after_agent_reply,
        cross_requester_org_ids=frozenset(int(i) for i in row.cross_requester_org_ids or ()),
        intermediary_tags=frozenset(row.intermediary_tags or ()),
        intermediary_org_ids=frozenset(int(i) for i in row.intermediary_org_ids or ()),
        order_field_id=row.order_field_id,
        comments=comments,
    )


def rules_for(session: Session, incident_id: int | None) -> MergeRules:
    """An incident's own rules if it has any, else the account's, else the defaults."""
    row = settings_row(session, incident_id) if incident_id else None
    return rules_from(row or settings_row(session))


def save_settings(session: Session, incident_id: int | None, values: dict) -> MergeSettings:
    row = settings_row(session, incident_id)
    if row is None:
        defaults = MergeRules()
        row = MergeSettings(
            scope=incident_id or ACCOUNT_SCOPE,
            enabled=defaults.enabled,
            window_minutes=int(defaults.window.total_seconds() // 60),
            similarity_threshold=defaults.similarity_threshold,
            suggestion_floor=defaults.suggestion_floor,
            suggest_same_organization=defaults.suggest_same_organization,
            public_comments=defaults.public_comments,
            skip_tag=defaults.skip_tag,
            merge_after_agent_reply=False,
            cross_requester_org_ids=[],
            intermediary_tags=[],
            intermediary_org_ids=[],
            order_field_id=None,
            comments={},
        )
        session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    session.flush()
    return row


def change_settings(db: Database, incident_id: int | None, data: Mapping[str, object], *, actor: str) -> dict:
    """An admin's or a client's new merge settings (all incidents, or one), checked, saved and
    audited; returns them as the API shows them. Raises ``InvalidSettings``."""
    values = clean_settings(data)
    with db.transaction() as session:
        saved = rules_for(session, incident_id)
        check_floor(values, saved.suggestion_floor, saved.similarity_threshold)
        save_settings(session, incident_id, values)
        record(session, "merge.settings_changed", actor=actor, incident_id=incident_id, detail=values)
        return as_json(settings_row(session, incident_id), rules_for(session, incident_id))


def lock_requesters(session: Session, requester_ids: list[int]) -> None:
    """Take each requester's review lock, held until commit, in a constant number of statements:
    the missing rows are created (a row another worker is creating is waited for, not
    duplicated), then all are locked in id order, so two batches sharing requesters never
    deadlock. On SQLite the first write takes the database's single writer lock."""
    ids = sorted(set(requester_ids))
    if not ids:
        return
    now = clock.now()
    postgres = session.get_bind().dialect.name == "postgresql"
    session.execute(
        insert_into(session, MergeLock)
        .values([{"requester_id": i, "touched_at": now} for i in ids])
        .on_conflict_do_nothing()
    )
    if postgres:
        session.execute(
            select(MergeLock.requester_id)
            .where(MergeLock.requester_id.in_(ids))
            .order_by(MergeLock.requester_id)
            .with_for_update()
        )
    session.execute(update(MergeLock).where(MergeLock.requester_id.in_(ids)).values(touched_at=now))


@dataclass(frozen=True)
class Indexed:
    """A ticket as the candidate index keeps it, and what its lookup asks for."""

    ticket_id: int
    requester_id: int
    organization_id: int | None
    incident_id: int | None
    created_at: datetime
    fingerprint: Fingerprint
    since: datetime  # the oldest band-sharing ticket it is compared with


def index_tickets(session: Session, tickets: list[Indexed]) -> set[int]:
    """Add the tickets to the index (a ticket seen before only gains its incident); returns the
    ids that were new to it. One read and one write per table, whatever the batch size."""
    ids = [t.ticket_id for t in tickets]
    known = {
        e.ticket_id: e
        for e in session.scalars(select(MergeIndexEntry).where(MergeIndexEntry.ticket_id.in_(ids)))
    }
    new: set[int] = set()
    for ticket in tickets:
        entry = known.get(ticket.ticket_id)
        if entry is not None:
            if ticket.incident_id is not None and entry.incident_id is None:
                entry.incident_id = ticket.incident_id
            continue
        if ticket.ticket_id in new:
            continue
        new.add(ticket.ticket_id)
        session.add(
            MergeIndexEntry(
                ticket_id=ticket.ticket_id,
                requester_id=ticket.requester_id,
                organization_id=ticket.organization_id,
                incident_id=ticket.incident_id,
                ticket_created_at=ticket.created_at,
            )
        )
        session.add_all(
            MergeBand(band_key=key, ticket_id=ticket.ticket_id) for key in set(ticket.fingerprint.bands)
        )
    session.flush()
    return new


def _not_merged(ticket_id_column):
    return ~select(Merge.id).where(Merge.source_ticket_id == ticket_id_column).exists()


def candidates_for(session: Session, tickets: list[Indexed]) -> dict[int, list[int]]:
    """For each ticket, the tickets that may duplicate it and are not merged away: the
    requester's tickets of the same incident (ours and the link table's), and recent tickets
    sharing an LSH band from the same requester or the same organisation. (Strangers writing
    alike during an incident are not duplicates of each other; their tickets are not even
    compared, so a surge costs nothing.) Three queries for the whole batch, each through an
    index on requester or band; the rows are shared out per ticket here."""
    requesters = {t.requester_id for t in tickets}
    same_incident: dict[tuple[int, int], set[int]] = {}
    incidents = {t.incident_id for t in tickets if t.incident_id is not None}
    if incidents:
        for column_set, live in (
            ((MergeIndexEntry.ticket_id, MergeIndexEntry.requester_id, MergeIndexEntry.incident_id), None),
            ((TicketLink.ticket_id, TicketLink.requester_id, TicketLink.incident_id), TicketLink.state),
        ):
            ticket_id, requester_id, incident_id = column_set
            conditions = [requester_id.in_(requesters), incident_id.in_(incidents), _not_merged(ticket_id)]
            if live is not None:
                conditions.append(live.in_(LIVE_LINK_STATES))
            for found, requester, incident in session.execute(select(*column_set).where(*conditions)):
                same_incident.setdefault((requester, incident), set()).add(found)
    bands = {key for t in tickets for key in t.fingerprint.bands}
    sharing: list[tuple[int, int, int, int | None, datetime]] = []
    if bands:
        organizations = {t.organization_id for t in tickets if t.organization_id is not None}
        who = MergeIndexEntry.requester_id.in_(requesters)
        if organizations:
            who = or_(who, MergeIndexEntry.organization_id.in_(organizations))
        sharing = list(
            session.execute(
                select(
                    MergeBand.band_key,
                    MergeBand.ticket_id,
                    MergeIndexEntry.requester_id,
                    MergeIndexEntry.organization_id,
                    MergeIndexEntry.ticket_created_at,
                )
                .join(MergeIndexEntry, MergeIndexEntry.ticket_id == MergeBand.ticket_id)
                .where(
                    MergeBand.band_key.in_(bands),
                    MergeIndexEntry.ticket_created_at >= min(t.since for t in tickets),
                    who,
                    _not_merged(MergeBand.ticket_id),
                )
                .limit(CANDIDATE_LIMIT * sum(len(set(t.fingerprint.bands)) for t in tickets))
            )
        )
    found: dict[int, list[int]] = {}
    for ticket in tickets:
        mine = (
            set(same_incident.get((ticket.requester_id, ticket.incident_id), ()))
            if ticket.incident_id
            else set()
        )
        keys = set(ticket.fingerprint.bands)
        for key, other, requester, organization, created in sharing:
            if key not in keys or utc(created) < ticket.since:
                continue
            if requester == ticket.requester_id or (
                organization is not None and organization == ticket.organization_id
            ):
                mine.add(other)
        mine.discard(ticket.ticket_id)
        found[ticket.ticket_id] = sorted(mine)[-CANDIDATE_LIMIT:]
    return found


def incidents_of(session: Session, ticket_ids: set[int]) -> dict[int, int]:
    """The incident each ticket is (being) linked to, from the link table and the index."""
    if not ticket_ids:
        return {}
    found = dict(
        session.execute(
            select(MergeIndexEntry.ticket_id, MergeIndexEntry.incident_id).where(
                MergeIndexEntry.ticket_id.in_(ticket_ids), MergeIndexEntry.incident_id.is_not(None)
            )
        ).all()
    )
    found.update(
        session.execute(
            select(TicketLink.ticket_id, TicketLink.incident_id).where(
                TicketLink.ticket_id.in_(ticket_ids), TicketLink.state.in_(LIVE_LINK_STATES)
            )
        ).all()
    )
    return found


def merged_into(session: Session, ticket_ids: list[int]) -> dict[int, Merge]:
    rows = session.scalars(select(Merge).where(Merge.source_ticket_id.in_(ticket_ids)))
    return {row.source_ticket_id: row for row in rows}


def reserve(session: Session, merge: Merge) -> bool:
    """Insert the merge as 'applying'; False when the source is merged (or merging) already."""
    try:
        with session.begin_nested():
            session.add(merge)
            session.flush()
        return True
    except IntegrityError:
        return False


def note_refusal(
    session: Session,
    *,
    ticket_id: int,
    other_id: int,
    incident_id: int | None,
    kind: str,
    reason: str,
    evidence: dict,
) -> bool:
    """Keep one row per pair and kind (a replay refuses again, but is not listed twice)."""
    exists = session.scalar(
        select(MergeRefusal.id).where(
            MergeRefusal.ticket_id == ticket_id,
            MergeRefusal.other_ticket_id == other_id,
            MergeRefusal.kind == kind,
        )
    )
    if exists:
        return False
    try:
        with session.begin_nested():
            session.add(
                MergeRefusal(
                    ticket_id=ticket_id,
                    other_ticket_id=other_id,
                    incident_id=incident_id,
                    kind=kind,
                    reason=reason,
                    evidence=evidence,
                )
            )
            session.flush()
        return True
    except IntegrityError:
        return False


def prune_index(session: Session, older_than: datetime, limit: int = 500) -> None:
    """Forget up to ``limit`` tickets created before ``older_than`` (beyond every window)."""
    old = list(
        session.scalars(
            select(MergeIndexEntry.ticket_id)
            .where(MergeIndexEntry.ticket_created_at < older_than)
            .limit(limit)
        )
    )
    if old:
        session.execute(delete(MergeBand).where(MergeBand.ticket_id.in_(old)))
        session.execute(delete(MergeIndexEntry).where(MergeIndexEntry.ticket_id.in_(old)))


def drop_stale_reservations(session: Session, ticket_ids: list[int], older_than: timedelta) -> None:
    """A merge left 'applying' by a crashed worker: forget it so the ticket is reviewed again."""
    session.execute(
        delete(Merge).where(
            or_(Merge.source_ticket_id.in_(ticket_ids), Merge.target_ticket_id.in_(ticket_ids)),
            Merge.state == MergeState.APPLYING,
            Merge.created_at < clock.now() - older_than,
        )
    )


def listing(
    session: Session, incident_id: int | None, limit: int = 200
) -> tuple[list[Merge], list[MergeRefusal]]:
    """The newest merges and refusals of an incident, or of every incident and none."""
    merges, refusals = select(Merge), select(MergeRefusal)
    if incident_id is not None:
        merges = merges.where(Merge.incident_id == incident_id)
        refusals = refusals.where(MergeRefusal.incident_id == incident_id)
    return (
        list(session.scalars(merges.order_by(Merge.id.desc()).limit(limit))),
        list(session.scalars(refusals.order_by(MergeRefusal.id.desc()).limit(limit))),
    )
