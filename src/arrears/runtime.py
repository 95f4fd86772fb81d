"""The wiring every entry point shares: settings, the engine and the clock, built on demand."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from arrears.core.clock import Clock, SystemClock
from arrears.db import make_engine
from arrears.settings import Settings


@dataclass
class Runtime:
    """What a service needs from the outside world."""

    settings: Settings
    engine: Engine
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def build(cls, settings: Settings | None = None, clock: Clock | None = None) -> Runtime:
        """Create the engine for the settings (read from the environment when not given)."""
        settings = settings or Settings()
        engine = make_engine(settings)
        if clock is None and settings.clock == "manual":
            from arrears.sim.store import DatabaseClock  # simulation mode: the clock kept in the database

            clock = DatabaseClock(engine)
        return cls(settings=settings, engine=engine, clock=clock or SystemClock())
