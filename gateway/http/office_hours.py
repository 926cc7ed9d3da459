"""Office hours: when the archive API is closed.

``LEAD_ARCHIVE_OFFICE_HOURS`` is a comma-separated list of ``DAYS HH:MM-HH:MM`` items, DAYS a
day (``mon``) or a range (``mon-fri``, ``fri-mon`` wraps); each range is [start, end); ``24:00``
is allowed as an end; an end before its start runs past midnight into the next day
(``mon-fri 22:00-06:00``); ``none`` means never closed.

Times are wall-clock times in the configured zone, so the window follows DST changes; the
seconds until the office closes are computed in UTC.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from gateway.errors import ConfigError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
_ITEM = re.compile(r"^([a-z]{3})(?:-([a-z]{3}))?\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class Interval:
    """Closed from ``start`` to ``end`` minutes after midnight of weekday ``day`` (0 = Monday);
    ``end`` may exceed one day for ranges past midnight."""

    day: int
    start: int
    end: int

    def offset(self, weekday: int, minute: int) -> int:
        return ((weekday - self.day) % 7) * MINUTES_PER_DAY + minute

    def contains(self, weekday: int, minute: int) -> bool:
        return self.start <= self.offset(weekday, minute) < self.end


@dataclass(frozen=True)
class Schedule:
    intervals: tuple[Interval, ...]
    source: str = "none"

    @classmethod
    def parse(cls, text: str, what: str = "LEAD_ARCHIVE_OFFICE_HOURS") -> Schedule:
        text = text.strip().lower()
        if text == "none":
            return cls((), "none")
        intervals: list[Interval] = []
        for raw in text.split(","):
            item = " ".join(raw.split())
            match = _ITEM.match(item)
            if not match:
                raise ConfigError(
                    f"{what}: {item!r} is not 'DAYS HH:MM-HH:MM' (e.g. mon-fri 08:00-18:00)"
                )
            first, last, sh, sm, eh, em = match.groups()
            for day in (first, last or first):
                if day not in DAYS:
                    raise ConfigError(f"{what}: {day!r} is not a day ({', '.join(DAYS)})")
            start = _minutes(int(sh), int(sm), what, item, allow_24=False)
            end = _minutes(int(eh), int(em), what, item, allow_24=True)
            if start == end:
                raise ConfigError(f"{what}: {item!r} starts and ends at the same time")
            if end < start:
                end += MINUTES_PER_DAY
            d0, d1 = DAYS.index(first), DAYS.index(last or first)
            for k in range((d1 - d0) % 7 + 1):
                intervals.append(Interval((d0 + k) % 7, start, end))
        return cls(tuple(intervals), text)

    @classmethod
    def from_call_time(cls, hhmm: Sequence[int], call_time_id: str = "") -> Schedule:
        """VICIdial's ``vicidial_call_times`` row: the default start/stop pair, then Monday to
        Sunday. A day's pair overrides the default unless both are 0; ``2400``/``2400`` means
        no calling that day. The API is closed while calls are made."""
        if len(hhmm) != 16:
            raise ConfigError("a call time needs the default pair and seven day pairs")
        default = (int(hhmm[0]), int(hhmm[1]))
        intervals = []
        for day in range(7):
            start, stop = int(hhmm[2 + 2 * day]), int(hhmm[3 + 2 * day])
            if (start, stop) == (0, 0):
                start, stop = default
            if (start, stop) == (2400, 2400):
                continue
            begin, end = _hhmm(start), _hhmm(stop)
            if begin < end:
                intervals.append(Interval(day, begin, end))
        return cls(tuple(intervals), f"call time {call_time_id}".strip())

    def closed_until(self, now: datetime, zone: ZoneInfo) -> datetime | None:
        """When ``now`` is inside office hours: the moment the office closes (in UTC).
        Otherwise None. Adjacent or overlapping items count as one closed stretch."""
        local = now.astimezone(zone).replace(tzinfo=None)
        end: datetime | None = None
        for _ in range(8 * max(1, len(self.intervals))):
            later = self._end_of_stretch(local if end is None else end)
            if later is None:
                break
            end = later
        if end is None:
            return None
        return end.replace(tzinfo=zone).astimezone(UTC)

    def seconds_until_open(self, now: datetime, zone: ZoneInfo) -> int | None:
        until = self.closed_until(now, zone)
        if until is None:
            return None
        return max(1, math.ceil((until - now.astimezone(UTC)).total_seconds()))

    def _end_of_stretch(self, wall: datetime) -> datetime | None:
        minute = wall.hour * 60 + wall.minute
        midnight = datetime.combine(wall.date(), time())
        ends = [
            midnight
            - timedelta(minutes=iv.offset(wall.weekday(), minute) - minute)
            + timedelta(minutes=iv.end)
            for iv in self.intervals
            if iv.contains(wall.weekday(), minute)
        ]
        return max(ends) if ends else None


def _hhmm(value: int) -> int:
    hour, minute = divmod(value, 100)
    if minute > 59 or not 0 <= hour <= 24 or (hour == 24 and minute):
        raise ConfigError(f"vicidial_call_times: {value} is not an HHMM time")
    return hour * 60 + minute


def _minutes(hour: int, minute: int, what: str, item: str, *, allow_24: bool) -> int:
    if allow_24 and (hour, minute) == (24, 0):
        return MINUTES_PER_DAY
    if hour > 23 or minute > 59:
        raise ConfigError(f"{what}: {item!r} has an invalid time")
    return hour * 60 + minute
