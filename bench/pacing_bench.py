"""Pacing over any 60 s: the most requests the budget grants in any one-minute span.

Run: ``.venv/bin/python -m bench.pacing_bench`` (a few seconds; ``--postgres URL`` also runs the
budget shared through PostgreSQL, in a schema of its own that is dropped afterwards).

A burst starts at second 50 of a minute: a taker asks for a request every 50 ms for three
minutes of simulated time (the clock is simulated, the budget code and its database are real),
as a surge would. For each budget the output gives the requests granted, the most granted in any
60 s span (every grant starts a span) and the share of the plan's limit that leaves to agents in
the worst span. The baseline, in the same run, is the fixed one-minute window the budget used
before (a counter reset at each minute's start), written out here: it grants a full minute's
budget in the last ten seconds of one minute and another in the first seconds of the next.
Issue 15's target: never more than the budget in any 60 s span.
"""

from __future__ import annotations

import argparse
import bisect

from bench.databases import migrated
from service.db import Database
from service.helpdesk.budget import LocalRateBudget, SharedRateBudget

PER_MINUTE = 160  # IncidentDesk's share of a 200/min plan: 40 left to agents
PLAN = 200
START = 1_800_000_050.0  # second 50 of a minute
STEP = 0.05
DURATION = 180.0


class FixedWindow:
    """The baseline: a counter per calendar minute."""

    def __init__(self, per_minute: int):
        self.per_minute, self.window, self.used = per_minute, 0, 0

    def try_take(self, now: float) -> float:
        window = int(now // 60) * 60
        if window != self.window:
            self.window, self.used = window, 0
        if self.used < self.per_minute:
            self.used += 1
            return 0.0
        return window + 60 - now


def burst(try_take) -> list[float]:
    granted, now = [], START
    while now < START + DURATION:
        if try_take(now) == 0.0:
            granted.append(now)
        now += STEP
    return granted


def busiest_minute(granted: list[float]) -> int:
    return max(bisect.bisect_left(granted, t + 60) - i for i, t in enumerate(granted))


def report(name: str, granted: list[float]) -> tuple[str, int]:
    worst = busiest_minute(granted)
    left = PLAN - worst
    return (
        f"| {name} | {len(granted)} | {worst} | {left} ({left / PLAN:.0%}) |",
        worst,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pacing_bench")
    parser.add_argument("--postgres", metavar="URL", help="also run the budget shared through PostgreSQL")
    args = parser.parse_args(argv)
    rows = [report("fixed one-minute window (before, baseline)", burst(FixedWindow(PER_MINUTE).try_take))]
    rows.append(report("in-process budget (SQLite default)", burst(LocalRateBudget(PER_MINUTE).try_take)))
    with migrated(name="pacing") as url:
        db = Database(url)
        rows.append(report("shared budget on SQLite", burst(SharedRateBudget(db, PER_MINUTE).try_take)))
        db.dispose()
    if args.postgres:
        with migrated(args.postgres, name="pacing") as url:
            db = Database(url)
            rows.append(
                report("shared budget on PostgreSQL", burst(SharedRateBudget(db, PER_MINUTE).try_take))
            )
            db.dispose()
    print(
        f"budget {PER_MINUTE}/min of a {PLAN}/min plan; a request asked for every {STEP * 1000:.0f} ms from second 50, for {DURATION:.0f} s"
    )
    print("| budget | granted | most in any 60 s | left to agents in that span |")
    print("|---|---:|---:|---:|")
    for line, _ in rows:
        print(line)
    baseline = rows[0][1]
    worst = max(w for _, w in rows[1:])
    print(
        f"worst 60 s span: {worst} granted against {baseline} for the fixed window ({baseline / worst:.2f}x)"
    )
    met = worst <= PER_MINUTE
    print(f"target (never more than {PER_MINUTE} in any 60 s): {'met' if met else 'not met'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
