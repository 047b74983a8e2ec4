"""The clock: settable, a job's `now` for automatic stamps, and a run's moving time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from coopcrm import clock

T0 = datetime(2031, 5, 4, 22, 30, tzinfo=UTC)  # 5 May, 00:30 in Paris
AS_OF = datetime(2040, 3, 15, 10, 0, tzinfo=UTC)


def test_day_of_is_the_paris_date():
    assert clock.day_of(T0).isoformat() == "2031-05-05"
    with clock.frozen(T0):
        assert clock.today() == clock.day_of(clock.now())


def test_stamping_sets_automatic_stamps_for_the_block_only():
    with clock.frozen(T0):
        assert clock.stamp() == T0
        with clock.stamping(AS_OF):
            assert clock.stamp() == AS_OF and clock.now() == T0
            with clock.stamping(AS_OF + timedelta(days=1)):
                assert clock.stamp() == AS_OF + timedelta(days=1)
            assert clock.stamp() == AS_OF
        assert clock.stamp() == T0


def test_stamping_belongs_to_its_thread():
    seen = []
    with clock.frozen(T0), clock.stamping(AS_OF):
        worker = threading.Thread(target=lambda: seen.append(clock.stamp()))
        worker.start()
        worker.join()
    assert seen == [T0]


def test_a_run_starts_at_its_now_and_moves_on_with_the_clock():
    with clock.frozen(T0):
        run = clock.running_from(AS_OF)
        assert run() == run() == AS_OF  # a frozen clock holds the run at its `now`
        clock.set_now(T0 + timedelta(minutes=20))
        assert run() == AS_OF + timedelta(minutes=20)
        assert clock.running_from(None)() == T0 + timedelta(minutes=20)
