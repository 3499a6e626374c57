"""The shared request budget never overspends, rolls over each minute and honours Retry-After."""

import threading

import pytest

from service.db import Database
from service.helpdesk.budget import LocalRateBudget, SharedRateBudget


class FakeClock:
    """Time is the one thing faked here: the budget's waits are minutes long."""

    def __init__(self, now=1_000_020.0):
        self.now = now
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


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
