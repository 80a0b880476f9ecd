"""Terminal progress bars that count things (records, papers) with a rate and a time left."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn
from rich.text import Text


def _unit(task: Task) -> str:
    return str(task.fields.get("unit", ""))


def _rate(task: Task) -> float | None:
    """Items per second: the recent speed while running, the average over the whole task once finished."""
    if not task.finished and task.speed:
        return task.speed
    elapsed = task.finished_time if task.finished else task.elapsed
    return task.completed / elapsed if elapsed else None


class CountColumn(ProgressColumn):
    """``1,234 / ~5,000 records``: done, and the total when known (``~`` when it is an estimate)."""

    def render(self, task: Task) -> Text:
        """The count cell."""
        if not _unit(task):
            return Text("")
        done = f"{int(task.completed):,}"
        if task.total is not None and not task.finished:
            done += f" / {'~' if task.fields.get('estimated') else ''}{int(task.total):,}"
        return Text(f"{done} {_unit(task)}", style="progress.download")


class RateColumn(ProgressColumn):
    """``850 records/s``."""

    def render(self, task: Task) -> Text:
        """The rate cell."""
        rate = _rate(task)
        if not _unit(task) or rate is None or not task.completed:
            return Text("")
        return Text(f"{rate:,.0f} {_unit(task)}/s", style="progress.data.speed")


class EtaColumn(ProgressColumn):
    """``ETA 0:01:20`` while running with a known total, ``in 0:02:03`` once finished."""

    def render(self, task: Task) -> Text:
        """The time cell."""
        if task.finished:
            seconds = task.finished_time or task.elapsed or 0.0
            return Text(f"in {_clock(seconds)}", style="progress.elapsed")
        remaining = task.time_remaining
        return Text("" if remaining is None else f"ETA {_clock(remaining)}", style="progress.remaining")


def _clock(seconds: float) -> str:
    whole = int(seconds)
    if whole == 0 and seconds > 0:
        return f"{seconds:.1f}s"
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def counting_progress(console: Console) -> Progress:
    """A progress display whose tasks count ``unit`` (a task field) with a rate and an ETA."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), CountColumn(), RateColumn(), EtaColumn(),
                    console=console, transient=False)
