"""The dashboard: how the backlog of every active incident stands, and linked tickets per hour."""

from __future__ import annotations

from flask import Blueprint, render_template

from service import clock
from service.domain.reconcile import lag_seconds
from service.incidents.lifecycle_reads import incident_health
from service.incidents.reads import links_per_hour
from service.incidents.satisfaction import satisfaction_of
from service.incidents.store import active_incidents
from service.reconcile.store import synced_until
from service.web.admin.chart import MAX_HOURS, hourly_chart
from service.web.auth import login_required
from service.web.context import ratings_cache, services

bp = Blueprint("dashboard", __name__, url_prefix="/admin")


def age_in_words(seconds: float) -> tuple[int, int]:
    """(hours, minutes) of an age, for "oldest unsolved: 3 h 12 min"."""
    minutes = max(0, int(seconds // 60))
    return minutes // 60, minutes % 60


@bp.get("/dashboard")
@login_required
def show():
    with services().db.transaction() as db:
        incidents = sorted(active_incidents(db), key=lambda i: (i.created_at, i.id), reverse=True)
        rows = incident_health(db, incidents)
        chart = hourly_chart(links_per_hour(db, [i.id for i in incidents], MAX_HOURS))
        synced = synced_until(db)
        now = clock.now()
        satisfaction = satisfaction_of(db, services().helpdesk, ratings_cache(), incidents, now)
    ages = {
        row.incident.id: age_in_words((now - row.oldest_unsolved_at).total_seconds())
        for row in rows
        if row.oldest_unsolved_at
    }
    totals = {
        "linked": sum(r.linked for r in rows),
        "unsolved": sum(r.unsolved for r in rows),
        "unlinked": sum(r.unlinked for r in rows),
        "broadcasts": sum(r.broadcasts_running for r in rows),
    }
    lag = lag_seconds(now, synced)
    reconciler = {
        "on": services().settings.reconcile_seconds > 0,
        "lag": None if lag is None else (int(lag) // 60, int(lag) % 60),
    }
    return render_template(
        "dashboard/index.html",
        rows=rows,
        ages=ages,
        totals=totals,
        chart=chart,
        reconciler=reconciler,
        satisfaction=satisfaction,
    )
