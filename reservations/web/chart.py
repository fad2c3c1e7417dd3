"""The capacity calendar as a server-side SVG bar chart: the geometry is computed here, the template only draws it
(no chart library, no script, no inline style; colours come from classes in kontor.css).

Each step is one stacked bar as tall as the zone's GPUs of the model: the free part at the bottom, the booked part
above it, so a step with nothing free still shows (and still has its tooltip).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from reservations.availability import CalendarRow

PLOT_WIDTH = 960
PLOT_HEIGHT = 200
LEFT = 44  # room for the GPU counts
TOP = 10
BOTTOM = 26  # room for the dates
WIDTH = LEFT + PLOT_WIDTH + 10
HEIGHT = TOP + PLOT_HEIGHT + BOTTOM
BAR_SHARE = 0.8  # of a step's width; the rest is the gap between bars
LOW_SHARE = 0.25  # less than this share free counts as scarce


def _coordinate(value: float) -> str:
    """SVG wants a dot as the decimal mark in every language: formatted here, never by the template's locale."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Bar:
    starts_at: datetime
    free_gpus: int
    total_gpus: int
    x: str
    width: str
    booked_y: str
    booked_height: str
    free_y: str
    free_height: str
    scarce: bool


@dataclass(frozen=True)
class XTick:
    at: datetime
    x: str


@dataclass(frozen=True)
class YTick:
    value: int
    y: str


@dataclass(frozen=True)
class Chart:
    """Bars, axis ticks and the frame; every coordinate is a ready string."""

    bars: list[Bar]
    x_ticks: list[XTick]
    y_ticks: list[YTick]
    by_day: bool
    total_gpus: int
    view_box: str = f"0 0 {WIDTH} {HEIGHT}"
    left: str = str(LEFT)
    right: str = str(LEFT + PLOT_WIDTH)
    baseline: str = str(TOP + PLOT_HEIGHT)
    y_label_x: str = str(LEFT - 6)
    x_label_y: str = str(HEIGHT - 8)


def fold_into_days(rows: list[CalendarRow]) -> list[CalendarRow]:
    """Hourly rows as one row per day in Germany: the fewest GPUs free at any hour of the day."""
    days: dict[date, CalendarRow] = {}
    for row in rows:
        day = timezone.localtime(row.starts_at).date()
        seen = days.get(day)
        days[day] = (
            row
            if seen is None
            else CalendarRow(seen.starts_at, max(seen.total_gpus, row.total_gpus), min(seen.free_gpus, row.free_gpus))
        )
    return list(days.values())


def _x_tick_indexes(rows: list[CalendarRow], by_day: bool) -> list[int]:
    if not by_day:  # hours: each midnight in Germany
        return [index for index, row in enumerate(rows) if timezone.localtime(row.starts_at).hour == 0]
    every = 7 if len(rows) <= 31 else 14
    return list(range(0, len(rows), every))


def capacity_chart(rows: list[CalendarRow], *, by_day: bool) -> Chart:
    total = max((row.total_gpus for row in rows), default=0)
    slot = PLOT_WIDTH / len(rows) if rows else PLOT_WIDTH
    bar_width = slot * BAR_SHARE
    bars = []
    for index, row in enumerate(rows):
        free = max(0, min(row.free_gpus, total))
        free_height = PLOT_HEIGHT * free / total if total else 0.0
        booked_height = PLOT_HEIGHT - free_height if total else 0.0
        bars.append(
            Bar(
                starts_at=row.starts_at,
                free_gpus=row.free_gpus,
                total_gpus=row.total_gpus,
                x=_coordinate(LEFT + index * slot + (slot - bar_width) / 2),
                width=_coordinate(bar_width),
                booked_y=_coordinate(TOP),
                booked_height=_coordinate(booked_height),
                free_y=_coordinate(TOP + booked_height),
                free_height=_coordinate(free_height),
                scarce=bool(total) and free < total * LOW_SHARE,
            )
        )
    x_ticks = [
        XTick(rows[index].starts_at, _coordinate(LEFT + index * slot + slot / 2))
        for index in _x_tick_indexes(rows, by_day)
    ]
    values = sorted({0, total // 2, total}) if total else [0]
    y_ticks = [
        YTick(value, _coordinate(TOP + PLOT_HEIGHT - (PLOT_HEIGHT * value / total if total else 0))) for value in values
    ]
    return Chart(bars=bars, x_ticks=x_ticks, y_ticks=y_ticks, by_day=by_day, total_gpus=total)
