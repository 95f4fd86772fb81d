"""The read-ahead / write-behind threads of an aging run: order kept, errors surfaced, nothing left over."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from arrears.portfolio.aging.pipeline import behind, prefetched


def test_prefetched_yields_everything_in_order() -> None:
    with prefetched(lambda: iter(range(100)), depth=3) as items:
        assert list(items) == list(range(100))


def test_prefetched_raises_the_producers_error_in_the_consumer() -> None:
    def produce() -> Iterator[int]:
        yield 1
        raise ValueError("reader broke")

    with pytest.raises(ValueError, match="reader broke"), prefetched(produce) as items:
        list(items)


def test_prefetched_stops_and_closes_the_producer_when_the_consumer_stops_early() -> None:
    closed = threading.Event()

    def produce() -> Iterator[int]:
        try:
            yield from range(1_000_000)
        finally:
            closed.set()

    with prefetched(produce, depth=1) as items:
        assert next(items) == 0
    assert closed.is_set()


def test_behind_handles_in_order_and_finishes() -> None:
    seen: list[int] = []
    with behind(seen.append) as worker:
        for i in range(50):
            worker.submit(i)
    assert seen == list(range(50))


def test_behind_raises_the_workers_error() -> None:
    def handle(item: int) -> None:
        if item == 3:
            raise RuntimeError("writer broke")

    with pytest.raises(RuntimeError, match="writer broke"), behind(handle) as worker:
        for i in range(10):
            worker.submit(i)


def test_behind_skips_queued_work_when_the_block_fails() -> None:
    seen: list[int] = []
    started = threading.Event()

    def handle(item: int) -> None:
        started.set()
        threading.Event().wait(0.3)  # still busy with item 1 when the block fails
        seen.append(item)

    with pytest.raises(KeyError), behind(handle, depth=1) as worker:
        worker.submit(1)
        started.wait(5)
        worker.submit(2)
        raise KeyError("aging broke")
    assert seen == [1]
