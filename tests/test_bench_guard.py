"""The bench guard CI runs after the suite (bench/guard.py): its verdicts, not its timings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import guard
from bench.guard import Limit, Measured

START = "cold start ÷ one-label"


def test_a_figure_over_its_ceiling_is_named_with_its_ceiling_and_target() -> None:
    limits = {START: Limit(START, target=1.5, baseline=3.6, margin=1.25)}
    (failure,) = guard.judge([Measured(START, 5.4, (5.4,))], limits)
    assert failure.startswith("cold start ÷ one-label = 5.40, over the guard's ceiling 4.50")
    assert "baseline 3.60 × margin 1.25" in failure and "#27 target ≤ 1.50" in failure
    assert guard.judge([Measured(START, 4.4, (4.4,))], limits) == []


def test_the_ceiling_follows_the_target_once_it_is_met() -> None:
    assert Limit(START, target=1.5, baseline=3.6, margin=1.25).ceiling == pytest.approx(4.5)
    # Lowered to the target (or below it) after an improvement: the target holds the line.
    assert Limit(START, target=1.5, baseline=1.2, margin=1.25).ceiling == pytest.approx(1.875)


def test_the_shipped_limits_catch_a_start_up_made_half_as_slow_again() -> None:
    limits = guard.load_limits()
    assert set(limits) == {
        START,
        "cold start CPU ÷ one-label CPU",
        "first frame ÷ one-label",
        "first frame CPU ÷ one-label CPU",
        "save, encrypted ÷ plain",
        "sync bytes ÷ floor",
    }
    for limit in limits.values():
        # Room for a loaded machine's noise, and still below what a 1.5× slower step measures.
        assert 1.0 < limit.margin < 1.5, limit.name
    start = limits[START]
    assert guard.judge([Measured(START, start.baseline * 1.5, ())], limits)
    assert not guard.judge([Measured(START, start.baseline, ())], limits)


def test_the_guard_exits_1_and_says_which_figure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = guard.load_limits()[START].baseline
    monkeypatch.setattr(guard, "tiny_profile", lambda: Path("unused.db"))
    monkeypatch.setattr(
        guard, "MEASURES", {"start": lambda _: [Measured(START, baseline * 1.5, (baseline * 1.5,))]}
    )
    assert guard.main([]) == 1
    out, err = capsys.readouterr()
    assert out.startswith(f"FAIL {START}: ")
    assert f"bench guard: {START} = {baseline * 1.5:.2f}, over the guard's ceiling" in err
    with pytest.raises(SystemExit):
        guard.main(["--only", "nonsense"])
