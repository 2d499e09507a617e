"""Overlap decoding and encoding with the swap work: FFmpeg releases the GIL, so on 2 cores a reader
and a writer thread fill the gaps left by the single-threaded parts (tracking, numpy post-processing)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
_DONE = object()
_POLL_S = 0.1


def prefetch(items: Iterable[T], depth: int = 8) -> Iterator[T]:
    """Iterate `items` in a background thread, `depth` items ahead; errors re-raise in the caller."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    errors: list[BaseException] = []

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        buffer.put(item, timeout=_POLL_S)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:
            errors.append(exc)
        finally:
            while not stop.is_set():
                try:
                    buffer.put(_DONE, timeout=_POLL_S)
                    break
                except queue.Full:
                    continue

    thread = threading.Thread(target=produce, name="faceswap-prefetch", daemon=True)
    thread.start()
    try:
        while (item := buffer.get()) is not _DONE:
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)
    if errors:
        raise errors[0]


class BackgroundSink(Generic[T]):
    """Call `consume(item)` for each `put` item in one background thread, in order."""

    def __init__(self, consume: Callable[[T], None], depth: int = 8) -> None:
        self._consume = consume
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._errors: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, name="faceswap-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not _DONE:
            if not self._errors:
                try:
                    self._consume(item)
                except BaseException as exc:
                    self._errors.append(exc)

    def put(self, item: T) -> None:
        if self._errors:
            raise self._errors[0]
        self._queue.put(item)

    def abort(self) -> None:
        """Stop after the item in progress, dropping the rest (used when the producer failed)."""
        self._errors.append(RuntimeError("aborted"))
        self._queue.put(_DONE)
        self._thread.join()

    def close(self) -> None:
        """Wait until every item is consumed; re-raise the first error."""
        self._queue.put(_DONE)
        self._thread.join()
        if self._errors:
            raise self._errors[0]
