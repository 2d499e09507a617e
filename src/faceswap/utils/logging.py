"""Console output through rich: progress bars, summaries and one-line errors."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

T = TypeVar("T")

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)


def console_error(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)


@contextlib.contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[], None]]:
    """A rich progress bar (transient on non-terminals) advanced by calling the yielded function."""
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    columns.append(TimeRemainingColumn())
    with Progress(*columns, console=console, transient=not console.is_terminal) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


def progress(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Wrap an iterable in a progress bar."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with progress_bar(description, total) as advance:
        for item in items:
            yield item
            advance()


def print_summary(title: str, rows: dict[str, object]) -> None:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in rows.items():
        table.add_row(str(key), str(value))
    console.print(table)
