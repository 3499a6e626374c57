"""The request budget never overspends in any 60 s span, frees as old grants age out and honours Retry-After."""

import bisect
import threading

import pytest

from service.db import Database
from service.helpdesk.budget import LocalRateBudget, SharedRateBudget
from tests.helpers import FakeClock


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    yield database
    database.dispose()


def test_budget_waits_for_the_next_window_when_spent(db):
    clock = FakeClock()
    budget = SharedRateBudget(db, per_minute=3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        budget.acquire()
    assert clock.slept == [] and budget.used_this_window() == 3
    budget.acquire()
    assert clock.now >= 1_000_080 and budget.used_this_window() == 1


def test_retry_after_blocks_every_process(db):
    clock = FakeClock()
    first = SharedRateBudget(db, per_minute=100, clock=clock, sleep=clock.sleep)
    second = SharedRateBudget(db, per_minute=100, clock=clock, sleep=clock.sleep)
    first.block_for(7)
    second.acquire()
    assert sum(clock.slept) == pytest.approx(7)


def test_concurrent_takers_never_exceed_the_limit(db):
    budget = SharedRateBudget(db, per_minute=40, clock=lambda: 1_000_020.0, sleep=lambda s: None)
    taken = []
    lock = threading.Lock()

    def take():
        for _ in range(20):
            if budget.try_take(1_000_020.0) == 0:
                with lock:
                    taken.append(1)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == 40 and budget.used_this_window() == 40


def test_local_budget_for_the_embedded_default_behaves_the_same():
    clock = FakeClock()
    budget = LocalRateBudget(per_minute=2, clock=clock, sleep=clock.sleep)
    budget.acquire()
    budget.acquire()
    budget.acquire()
    assert clock.now >= 1_000_080 and budget.used_this_window() == 1
    budget.block_for(5)
    before = clock.now
    budget.acquire()
    assert clock.now - before == pytest.approx(5)


def most_in_any_minute(granted):
    return max(bisect.bisect_left(granted, t + 60) - i for i, t in enumerate(granted))


def burst_from_second_50(try_take):
    """A taker asks every 100 ms for two and a half minutes, starting ten seconds before a minute ends."""
    granted, now = [], 1_000_050.0
    while now < 1_000_200.0:
        if try_take(now) == 0.0:
            granted.append(now)
        now += 0.1
    return granted


def test_a_burst_straddling_a_minute_never_takes_more_than_the_budget_in_any_60_seconds(db):
    for budget in (LocalRateBudget(per_minute=30), SharedRateBudget(db, per_minute=30)):
        granted = burst_from_second_50(budget.try_take)
        assert most_in_any_minute(granted) == 30
        assert len(granted) == 90  # and it keeps granting as the oldest grants age out: 3 x 30
        assert granted[30] >= granted[0] + 60


@pytest.mark.parametrize("kind", ["local", "shared"])
def test_a_request_can_take_several_grants_at_once_and_waits_until_all_fit(db, kind):
    """The Update Ticket share on an account that counts each ticket of an update_many: a
    request of n tickets takes n grants, all or none, waiting until enough old ones age out."""
    clock = FakeClock()
    make = LocalRateBudget if kind == "local" else lambda n, **kw: SharedRateBudget(db, n, **kw)
    budget = make(10, clock=clock, sleep=clock.sleep)
    budget.acquire(6)
    clock.now += 30
    budget.acquire(4)
    assert clock.slept == [] and budget.used_this_window() == 10
    budget.acquire(3)  # only the first six, 60 s old at 1_000_080, make room
    assert clock.now == pytest.approx(1_000_080) and budget.used_this_window() == 7
    with pytest.raises(ValueError, match="cannot grant 11 at once"):
        budget.acquire(11)


@pytest.mark.parametrize("kind", ["local", "shared"])
def test_a_share_can_keep_its_grants_longer_than_zendesks_minute(db, kind):
    """The Update Ticket share keeps grants 62 s, so a whole bulk update never reaches Zendesk
    while its own 60 s window still holds the previous one."""
    clock = FakeClock()
    if kind == "local":
        budget = LocalRateBudget(2, clock=clock, sleep=clock.sleep, window_seconds=62)
    else:
        budget = SharedRateBudget(db, 2, "update_ticket", clock=clock, sleep=clock.sleep, window_seconds=62)
    budget.acquire(2)
    budget.acquire(1)
    assert clock.now == pytest.approx(1_000_082) and budget.used_this_window() == 1
