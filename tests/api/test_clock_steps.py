"""Issue 9 §8: how much simulated time each call to the test server asks for during an advance
(api/clock_jobs.py `StepSize`): a day first, doubled while steps come back quickly (an idle
stack's two years in a few dozen calls), halved while one is slow (a busy stack never waits
minutes on one call), within an hour and a month."""

from __future__ import annotations

from api.clock_jobs import DAY_MS, MAX_STEP_MS, MIN_STEP_MS, StepSize


def _steps(total_ms: int, took: float) -> list[int]:
    size, done, steps = StepSize(DAY_MS), 0, []
    while done < total_ms:
        step = min(size.ms, total_ms - done)
        steps.append(step)
        size.took(took)
        done += step
    return steps


def test_quick_steps_double_up_to_a_month() -> None:
    steps = _steps(742 * DAY_MS, took=0.01)
    assert steps[:6] == [DAY_MS, 2 * DAY_MS, 4 * DAY_MS, 8 * DAY_MS, 16 * DAY_MS, 32 * DAY_MS]
    assert max(steps) == MAX_STEP_MS == 32 * DAY_MS
    assert sum(steps) == 742 * DAY_MS and len(steps) == 28  # not 742 calls


def test_slow_steps_halve_down_to_an_hour() -> None:
    size = StepSize(8 * DAY_MS)
    for _ in range(20):
        size.took(60.0)
    assert size.ms == MIN_STEP_MS == DAY_MS // 24
    size.took(1.0)  # neither quick nor slow: unchanged
    assert size.ms == MIN_STEP_MS
    size.took(0.1)
    assert size.ms == 2 * MIN_STEP_MS


def test_steps_stay_whole_milliseconds_and_end_exactly() -> None:
    total = round(23.104166215277775 * DAY_MS)  # the bench's "until 09:30 on the 10th"
    steps = _steps(total, took=0.01)
    assert all(isinstance(s, int) and s > 0 for s in steps)
    assert sum(steps) == total
