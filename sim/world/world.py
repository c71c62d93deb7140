"""The simulated world: one SimPy environment, a wall-clock start date, seeded randomness.

Simulation time is seconds since `start`; devices read it through their own clock offset, so
a device whose clock is wrong sees certificates as not yet valid exactly as a real one would.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import simpy

from sim.world.network import Network


class World:
    def __init__(self, *, start: dt.datetime, seed: int = 1,
                 env: simpy.Environment | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("the world's start must be timezone-aware")
        # `env`: another driver of time, e.g. the real clock of `ikesim peer` (sim.live).
        self.env = env if env is not None else simpy.Environment()
        self.start = start
        self.seed = seed
        # A world that drives its own time writes its logs in batches, flushed at every pause
        # (run); on a real clock (`ikesim peer`) each line is written as it happens, for whoever
        # is watching the file.
        self.buffers_logs = env is None
        self._flushes: list[Callable[[], None]] = []
        self.network = Network(self.env, rng=self.rng("network"),
                               fragment_rng=self.rng("network", "fragments"))

    def now(self) -> dt.datetime:
        """The true date and time now."""
        return self.at(self.env.now)

    def at(self, seconds: float) -> dt.datetime:
        return self.start + dt.timedelta(seconds=seconds)

    def rng(self, *stream: str) -> random.Random:
        """An independent, repeatable random stream per purpose: adding a device or a link
        does not shift the numbers any other part draws."""
        return random.Random("/".join((str(self.seed), *stream)))

    def lazy_rng(self, *stream: str) -> random.Random:
        """rng(*stream), made when first drawn from: the stream of something most devices
        never use (ESP without traffic) then costs none of its 2.5 KB of state."""
        return _Lazy("/".join((str(self.seed), *stream)))  # type: ignore[return-value]

    def on_pause(self, flush: Callable[[], None]) -> None:
        """Call `flush` whenever a run stops (sim.junos.logs: buffered log files)."""
        self._flushes.append(flush)

    def run(self, until: float | None = None) -> None:
        try:
            self.env.run(until=until)
        finally:
            for flush in self._flushes:
                flush()


class _Lazy:
    """random.Random's methods on a generator seeded with `seed` at the first call."""

    __slots__ = ("_seed", "_random")

    def __init__(self, seed: str) -> None:
        self._seed = seed
        self._random: random.Random | None = None

    def __getattr__(self, name: str) -> object:
        if self._random is None:
            self._random = random.Random(self._seed)
        return getattr(self._random, name)
