"""A three-stage pipeline in threads: read pages ahead, age them here, write them behind.

The reader and the writer spend most of their time inside the database driver (sqlite3 and psycopg
release the GIL there), so reading page k+2 and writing page k overlap with aging page k+1.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")
_DONE = object()


@contextmanager
def prefetched(produce: Callable[[], Iterator[T]], depth: int = 2) -> Iterator[Iterator[T]]:
    """Run `produce()` in a thread, at most `depth` items ahead; errors surface in the consumer."""
    box: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        items = produce()
        try:
            for item in items:
                if not offer(item):
                    return
            offer(_DONE)
        except BaseException as exc:  # noqa: BLE001  (handed to the consumer, re-raised there)
            offer(exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    def consume() -> Iterator[T]:
        while True:
            item = box.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]

    thread = threading.Thread(target=work, name="aging-reader", daemon=True)
    thread.start()
    try:
        yield consume()
    finally:
        stop.set()
        thread.join()


class Behind(Generic[T]):
    """Hand work to one background thread, in order; its first error is raised by submit() or finish()."""

    def __init__(self, handle: Callable[[T], None], depth: int = 1) -> None:
        self._handle = handle
        self._box: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._cancelled = False
        self._thread = threading.Thread(target=self._work, name="aging-writer", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            item = self._box.get()
            if item is _DONE:
                return
            if self._error is None and not self._cancelled:
                try:
                    self._handle(item)  # type: ignore[arg-type]
                except BaseException as exc:  # noqa: BLE001  (re-raised in the submitting thread)
                    self._error = exc

    def submit(self, item: T) -> None:
        """Queue one item (blocks while the thread is `depth` items behind)."""
        if self._error is not None:
            raise self._error
        self._box.put(item)

    def cancel(self) -> None:
        """Skip whatever is still queued."""
        self._cancelled = True

    def finish(self) -> None:
        """Wait until everything submitted is handled; raise the first error, if any."""
        self._box.put(_DONE)
        self._thread.join()
        if self._error is not None:
            raise self._error


@contextmanager
def behind(handle: Callable[[T], None], depth: int = 1) -> Iterator[Behind[T]]:
    """A Behind worker that is always joined, also when the block fails."""
    worker = Behind(handle, depth)
    try:
        yield worker
    except BaseException:
        worker.cancel()
        try:
            worker.finish()
        except BaseException:  # noqa: BLE001,S110  (the block's own error is the one to report)
            pass
        raise
    worker.finish()
