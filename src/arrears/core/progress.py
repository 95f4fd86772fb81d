"""A progress callback that services accept so the CLI can draw a bar and the web can ignore it."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Told how much of a long job is done."""

    def __call__(self, done: int, total: int | None = None, label: str = "") -> None:
        """Report `done` units of `total` (None when unknown)."""
        ...


def no_progress(done: int, total: int | None = None, label: str = "") -> None:
    """A progress sink that does nothing."""
    return None
