"""Points arithmetic (pure): severity, repeat ×1.5, expiry, the ladder."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance import points as pts

T = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("base", "repeat", "expected"),
    [
        (1, False, 1),
        (2, False, 2),
        (6, False, 6),
        (12, False, 12),
        (24, False, 24),
        (1, True, 2),
        (2, True, 3),
        (6, True, 9),
        (12, True, 18),
        (24, True, 36),
    ],
)
def test_deduction_by_severity_and_repeat_rounds_up_to_the_half_point(base, repeat, expected):
    assert pts.deduction_half(base, repeat=repeat) == expected


@given(st.integers(min_value=1, max_value=1000))
def test_repeat_is_one_and_a_half_times_rounded_up(base):
    got = pts.deduction_half(base, repeat=True)
    assert got * 2 >= base * 3 > (got - 1) * 2  # the smallest half-point count ≥ 1.5 × base


def test_deductions_expire_after_365_days_except_s4():
    assert pts.expiry_for(T, severity="S2") == T + timedelta(days=365)
    assert pts.expiry_for(T, severity="S4") is None
    d = pts.Deduction(T, pts.expiry_for(T, severity="S3"), 12)
    assert pts.points_lost([d], T) == 12
    assert pts.points_lost([d], T + timedelta(days=364, hours=23)) == 12
    assert pts.points_lost([d], T + timedelta(days=365)) == 0
    assert pts.points_lost([d], T - timedelta(seconds=1)) == 0


@pytest.mark.parametrize(
    ("lost", "step"),
    [
        (0, pts.Step.NONE),
        (5, pts.Step.NONE),
        (6, pts.Step.WARNING),
        (11, pts.Step.WARNING),
        (12, pts.Step.NO_NEW_LISTINGS),
        (17, pts.Step.NO_NEW_LISTINGS),
        (18, pts.Step.SELLING_SUSPENDED),
        (23, pts.Step.SELLING_SUSPENDED),
        (24, pts.Step.CLOSED),
        (40, pts.Step.CLOSED),
    ],
)
def test_ladder_thresholds_in_half_points(lost, step):
    assert pts.ladder_step(lost) == step


def test_one_decision_crossing_several_steps_applies_only_the_most_severe():
    assert pts.step_for_decision(0, 24) == pts.Step.CLOSED
    assert pts.step_for_decision(4, 19) == pts.Step.SELLING_SUSPENDED
    assert pts.step_for_decision(12, 14) == pts.Step.NONE  # still at 6+: nothing new


@given(st.integers(0, 60), st.integers(1, 40))
def test_a_decision_never_applies_a_step_below_where_the_user_ends(before, half):
    step = pts.step_for_decision(before, before + half)
    assert step in (pts.Step.NONE, pts.ladder_step(before + half))
    if pts.ladder_step(before + half) > pts.ladder_step(before):
        assert step == pts.ladder_step(before + half)


@given(
    st.lists(
        st.tuples(st.integers(0, 800), st.sampled_from([1, 2, 6, 12, 24])), min_size=1, max_size=12
    ),
    st.integers(0, 1200),
)
def test_points_lost_is_the_sum_of_deductions_within_their_window(items, day):
    deductions = [
        pts.Deduction(T + timedelta(days=d), None if h == 24 else T + timedelta(days=d + 365), h)
        for d, h in items
    ]
    at = T + timedelta(days=day)
    expected = sum(h for d, h in items if d <= day and (h == 24 or day < d + 365))
    assert pts.points_lost(deductions, at) == expected
    assert pts.points_left(expected) == max(0, 24 - expected)


@given(
    st.lists(
        st.tuples(st.integers(0, 400), st.sampled_from([1, 2, 6, 12])), min_size=1, max_size=10
    ),
    st.integers(0, 400),
)
def test_below_threshold_at_is_the_first_moment_the_points_drop_below(items, day):
    deductions = [
        pts.Deduction(T + timedelta(days=d), T + timedelta(days=d + 365), h) for d, h in items
    ]
    at = T + timedelta(days=day)
    moment = pts.below_threshold_at(deductions, 24, at)
    assert moment is not None and moment >= at
    assert pts.points_lost(deductions, moment) < 24
    if moment > at:
        assert pts.points_lost(deductions, moment - timedelta(seconds=1)) >= 24


def test_an_s4_deduction_keeps_the_points_down_for_ever():
    d = [pts.Deduction(T, None, 24)]
    assert pts.below_threshold_at(d, 24, T) is None


def test_half_points_display():
    assert [pts.format_half(h) for h in (0, 1, 3, 24)] == ["0", "0.5", "1.5", "12"]
