"""A study's tasks on dask.distributed: a LocalCluster of worker processes on this machine,
or the scheduler of a cluster at an address (its workers need ikesim installed). A task that
fails is submitted once more; one that fails twice comes back as an outcome with its error,
never dropped. Outcomes are returned in the tasks' order, whatever order the workers
finished them in."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from distributed import Client, LocalCluster, as_completed

from sim.sweep.grid import Task
from sim.sweep.task import run_task

RETRIES = 1  # a failed task runs once more before it is reported
MAX_WORKERS = 256
CONNECT_TIMEOUT = "10s"


class EngineError(ValueError):
    """The cluster could not be started or reached: one line."""


@dataclass(frozen=True, kw_only=True)
class Outcome:
    task: Task
    row: dict | None  # None: the task failed
    negotiations: dict | None
    error: str | None = None
    attempts: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.attempts <= 1 + RETRIES:
            raise ValueError(f"attempts must be 1..{1 + RETRIES}")
        if (self.row is None) == (self.error is None):
            raise ValueError("an outcome has a row or an error, not both")


Progress = Callable[[int, int, Outcome], None]  # (finished so far, total, this outcome)


def run_study(text: str, source: str, tasks: Sequence[Task], *, workers: int | None = None,
              scheduler: str | None = None, progress: Progress | None = None) -> list[Outcome]:
    """Every task's outcome, in the order of `tasks`."""
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be 1..{MAX_WORKERS}")
    # The scheduler's and workers' own chatter (a retried task, a closed comm) is not the
    # user's business; failures are reported from the outcomes.
    logging.getLogger("distributed").setLevel(logging.ERROR)
    with _client(workers, scheduler) as client:
        run = uuid.uuid4().hex[:8]  # keys unique on a shared scheduler
        futures: dict = {}
        pending = as_completed()

        def submit(index: int, attempt: int) -> None:
            # Retried here rather than by dask's `retries`, so the outcome can say how many
            # attempts it took.
            future = client.submit(run_task, text, source, tasks[index],
                                   key=f"ikesim-{run}-{index}-{attempt}", pure=False)
            futures[future] = (index, attempt)
            pending.add(future)

        for index in range(len(tasks)):
            submit(index, 1)
        outcomes: list[Outcome | None] = [None] * len(tasks)
        count = 0
        for future in pending:
            index, attempt = futures.pop(future)
            if future.status != "finished" and attempt <= RETRIES:
                future.release()
                submit(index, attempt + 1)
                continue
            outcomes[index] = _outcome(tasks[index], future, attempt)
            future.release()
            count += 1
            if progress is not None:
                progress(count, len(tasks), outcomes[index])
    return [outcome for outcome in outcomes if outcome is not None]


def _outcome(task: Task, future, attempts: int) -> Outcome:
    if future.status == "finished":
        result = future.result()
        return Outcome(task=task, row={**result["row"], "attempts": attempts},
                       negotiations=result["negotiations"], attempts=attempts)
    exc = future.exception()
    text = str(exc).splitlines()[0] if str(exc) else ""
    # TaskFailed carries the run's own reason; anything else (a worker that died) says what.
    error = text if type(exc).__name__ == "TaskFailed" else \
        f"{type(exc).__name__}: {text}".rstrip(": ")
    return Outcome(task=task, row=None, negotiations=None, error=error or "failed",
                   attempts=attempts)


class _client:
    """A Client on a new LocalCluster (closed with it), or on the scheduler at an address."""

    def __init__(self, workers: int | None, scheduler: str | None) -> None:
        self.workers, self.scheduler = workers, scheduler
        self.cluster: LocalCluster | None = None
        self.client: Client | None = None

    def __enter__(self) -> Client:
        try:
            if self.scheduler is not None:
                self.client = Client(self.scheduler, timeout=CONNECT_TIMEOUT)
            else:
                count = self.workers or os.cpu_count() or 1
                # One thread per worker process: a run is pure Python and holds the GIL. No
                # memory limit: a run's size is bounded by the topology's limits, and a nanny
                # that kills a worker at a share of the machine's memory would fail a large run
                # that fits.
                self.cluster = LocalCluster(n_workers=count, threads_per_worker=1,
                                            processes=True, dashboard_address=None,
                                            silence_logs=logging.ERROR, memory_limit=0)
                self.client = Client(self.cluster)
        except (OSError, TimeoutError, ValueError) as exc:
            self.__exit__(None, None, None)
            where = f"--scheduler {self.scheduler}" if self.scheduler else "LocalCluster"
            detail = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
            raise EngineError(f"{where}: {(detail or repr(exc)).splitlines()[0]}") from None
        return self.client

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
