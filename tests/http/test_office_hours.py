"""Office hours: parsing, boundaries, overnight ranges, DST, ``none`` and ``24:00``."""

from __future__ import annotations

from datetime import UTC as UTC_TZ
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from gateway.errors import ConfigError
from gateway.http.office_hours import Schedule

UTC = ZoneInfo("UTC")


def at(text: str, zone: ZoneInfo = UTC) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def wait(schedule: str, when: datetime, zone: ZoneInfo = UTC) -> int | None:
    return Schedule.parse(schedule).seconds_until_open(when, zone)


# 2026-11-23 is a Monday.
@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2026-11-23T07:59:59", None),  # before the start
        ("2026-11-23T08:00:00", 36000),  # start is inside: [start, end)
        ("2026-11-23T17:59:59", 1),
        ("2026-11-23T18:00:00", None),  # end is outside
        ("2026-11-28T12:00:00", None),  # Saturday
        ("2026-11-27T12:00:00", 21600),  # Friday
    ],
)
def test_weekday_boundaries(when: str, expected: int | None) -> None:
    assert wait("mon-fri 08:00-18:00", at(when)) == expected


def test_none_is_never_closed() -> None:
    assert Schedule.parse("none").closed_until(at("2026-11-23T12:00:00"), UTC) is None


def test_24_00_runs_to_midnight_and_joins_the_next_day() -> None:
    schedule = "mon-fri 08:00-24:00, tue-sat 00:00-02:00"
    # Monday 23:00 → closed until Tuesday 02:00 (three hours), the two items are one stretch
    assert wait(schedule, at("2026-11-23T23:00:00")) == 3 * 3600
    assert wait(schedule, at("2026-11-24T01:59:00")) == 60


def test_overnight_range_runs_into_the_next_day() -> None:
    schedule = "fri 22:00-06:00"
    assert wait(schedule, at("2026-11-27T21:59:00")) is None
    assert wait(schedule, at("2026-11-27T22:00:00")) == 8 * 3600
    assert wait(schedule, at("2026-11-28T05:00:00")) == 3600  # Saturday morning
    assert wait(schedule, at("2026-11-28T06:00:00")) is None


def test_day_range_wraps_the_week() -> None:
    schedule = "sat-mon 10:00-11:00"
    assert wait(schedule, at("2026-11-29T10:30:00")) == 1800  # Sunday
    assert wait(schedule, at("2026-11-23T10:30:00")) == 1800  # Monday
    assert wait(schedule, at("2026-11-24T10:30:00")) is None  # Tuesday


def test_dst_spring_forward_counts_real_seconds() -> None:
    paris = ZoneInfo("Europe/Paris")
    # Sunday 2026-03-29 02:00 → 03:00 in Paris: 23 real hours from 00:00 to 24:00
    when = datetime(2026, 3, 28, 23, 0, tzinfo=UTC_TZ)  # 00:00 Paris, Sunday
    assert wait("sun 00:00-24:00", when, paris) == 23 * 3600


def test_dst_fall_back_counts_real_seconds() -> None:
    paris = ZoneInfo("Europe/Paris")
    # Sunday 2026-10-25: 03:00 → 02:00, 25 real hours in the day
    when = datetime(2026, 10, 24, 22, 0, tzinfo=UTC_TZ)  # 00:00 Paris, Sunday
    assert wait("sun 00:00-24:00", when, paris) == 25 * 3600


def test_zone_is_applied() -> None:
    new_york = ZoneInfo("America/New_York")
    when = datetime(2026, 11, 23, 14, 0, tzinfo=UTC_TZ)  # 09:00 in New York
    assert wait("mon-fri 08:00-18:00", when, new_york) == 9 * 3600
    assert wait("mon-fri 08:00-18:00", when.replace(hour=12), new_york) is None


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "mon",
        "mon 8:00-18:00",
        "mon-fri 08:00",
        "xyz 08:00-18:00",
        "mon 25:00-26:00",
        "mon 08:00-08:00",
        "mon 24:00-02:00",
        "mon 08:60-09:00",
        "mon-fri 08:00-18:00,",
    ],
)
def test_bad_schedules_name_the_item(bad: str) -> None:
    with pytest.raises(ConfigError, match="LEAD_ARCHIVE_OFFICE_HOURS"):
        Schedule.parse(bad)


def test_case_and_spaces_are_forgiven() -> None:
    assert Schedule.parse(" Mon-Fri  08:00-18:00 , SAT 09:00-12:00 ").intervals


# vicidial_call_times: default pair, then Monday … Sunday pairs
DEFAULT_9_TO_21 = [900, 2100] + [0, 0] * 7


def test_call_time_default_pair_applies_to_every_day() -> None:
    schedule = Schedule.from_call_time(DEFAULT_9_TO_21, "9am-9pm")
    assert schedule.seconds_until_open(at("2026-11-23T10:00:00"), UTC) == 11 * 3600
    assert schedule.seconds_until_open(at("2026-11-29T20:59:00"), UTC) == 60  # Sunday
    assert schedule.seconds_until_open(at("2026-11-23T21:00:00"), UTC) is None


def test_call_time_day_pairs_override_and_2400_means_no_calls() -> None:
    values = [900, 2100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1000, 1400, 2400, 2400]
    schedule = Schedule.from_call_time(values)
    assert schedule.seconds_until_open(at("2026-11-28T09:30:00"), UTC) is None  # Saturday
    assert schedule.seconds_until_open(at("2026-11-28T13:00:00"), UTC) == 3600
    assert schedule.seconds_until_open(at("2026-11-29T12:00:00"), UTC) is None  # Sunday off
    assert schedule.seconds_until_open(at("2026-11-27T12:00:00"), UTC) == 9 * 3600  # Friday


def test_call_time_with_a_bad_value_is_refused() -> None:
    with pytest.raises(ConfigError, match="HHMM"):
        Schedule.from_call_time([960, 2100] + [0, 0] * 7)
