"""Where independent work runs: in this process, in local worker processes, or on a Dask cluster.

Every executor offers ``map(fn, items) -> list`` returning the results in the order of ``items``;
the results are identical whichever executor runs them (the functions are deterministic and get
the same arguments). ``fn`` and the items must be picklable for the ``local`` and ``dask`` kinds:
use module-level functions (or :func:`functools.partial` of them).

Every task runs with its BLAS/OpenMP thread pools limited to ``blas_threads`` (1 by default): the
parallelism is across tasks, and on a busy machine nested BLAS threads oversubscribe the cores
(measured on a 2-core machine under load: one pooled count-model fit took 62 s with OpenBLAS's
default threads and 2.5 s with one thread).

>>> with make_executor("serial") as ex:
...     ex.map(abs, [-1, 2, -3])
[1, 2, 3]
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from types import TracebackType
from typing import Any, Final, Generic, Self, TypeVar

from threadpoolctl import threadpool_limits

T = TypeVar("T")
R = TypeVar("R")

EXECUTOR_KINDS: Final[tuple[str, ...]] = ("serial", "local", "dask")


class Limited(Generic[T, R]):
    """``fn`` run with native thread pools (BLAS, OpenMP) limited to ``threads`` (picklable)."""

    def __init__(self, fn: Callable[[T], R], threads: int | None) -> None:
        self.fn = fn
        self.threads = threads

    def __call__(self, item: T) -> R:
        """Apply ``fn`` to ``item`` under the thread limit (no limit when ``threads`` is None)."""
        if self.threads is None:
            return self.fn(item)
        with threadpool_limits(limits=self.threads):
            return self.fn(item)


class Executor(ABC):
    """A map over independent tasks; a context manager that releases its workers on exit."""

    kind: str = "executor"
    blas_threads: int | None = 1

    @abstractmethod
    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Apply ``fn`` to every item and return the results in item order."""

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op unless workers are held
        """Release workers (nothing to do by default)."""

    def terminate(self) -> None:
        """Stop at once: cancel queued work and end the workers without waiting (default: :meth:`close`)."""
        self.close()

    def describe(self) -> dict[str, Any]:
        """What runs the work (for reports)."""
        return {"kind": self.kind}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # an interrupt (a signal, Ctrl-C) must not wait for the tasks in flight
        if exc_type is not None and not issubclass(exc_type, Exception):
            self.terminate()
        else:
            self.close()

    def __call__(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Same as :meth:`map`, so an executor can be passed where a mapper callable is expected."""
        return self.map(fn, items)


class SerialExecutor(Executor):
    """Runs every task in this process, one after the other."""

    kind = "serial"

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Apply ``fn`` to every item in order."""
        task = Limited(fn, self.blas_threads)
        return [task(item) for item in items]


class LocalExecutor(Executor):
    """A pool of worker processes on this machine (one per core by default)."""

    kind = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Apply ``fn`` to every item in the worker processes; results in item order."""
        todo = list(items)
        task = Limited(fn, self.blas_threads)
        if len(todo) <= 1 or self.workers == 1:
            return [task(item) for item in todo]
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers)
        return list(self._pool.map(task, todo))

    def close(self) -> None:
        """Shut the worker processes down."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def terminate(self) -> None:
        """Cancel the queued tasks, terminate the worker processes and reap them."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # the pool has no public way to stop its workers before Python 3.14's terminate_workers()
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)

    def describe(self) -> dict[str, Any]:
        """Kind and worker count."""
        return {"kind": self.kind, "workers": self.workers}


class DaskExecutor(Executor):
    """Tasks on a Dask cluster: at ``scheduler`` when given, else on a private local cluster.

    The private cluster has ``workers`` single-threaded workers (worker processes by default; threads
    in this process with ``processes=False``, which is fast to start and suits tests). Connecting to
    a scheduler gives up after ``connect_timeout`` seconds.
    """

    kind = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None,
                 processes: bool = True, connect_timeout: float = 10.0) -> None:
        from distributed import Client, LocalCluster

        self.scheduler = scheduler
        self._cluster: Any = None
        if scheduler:
            try:
                self._client = Client(scheduler, timeout=f"{connect_timeout}s")
            except OSError as exc:
                raise ValueError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from exc
        else:
            self._cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                         processes=processes, dashboard_address=None)
            self._client = Client(self._cluster)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Submit one task per item and gather the results in item order."""
        task = Limited(fn, self.blas_threads)
        futures = [self._client.submit(task, item, pure=False) for item in items]
        return list(self._client.gather(futures))

    def close(self) -> None:
        """Disconnect, and stop the private cluster if this executor started one."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def describe(self) -> dict[str, Any]:
        """Kind, scheduler address and worker count."""
        info = self._client.scheduler_info()
        return {"kind": self.kind, "scheduler": self.scheduler or "local-cluster",
                "workers": len(info.get("workers", {}))}


def make_executor(kind: str = "local", scheduler: str | None = None, workers: int | None = None,
                  processes: bool = True, blas_threads: int | None = 1) -> Executor:
    """Create an executor by kind: ``serial``, ``local`` (process pool, the default) or ``dask``.

    Args:
        kind: one of :data:`EXECUTOR_KINDS`.
        scheduler: Dask scheduler address (``tcp://host:8786``); only with ``dask``. Without it a
            private local cluster is started.
        workers: worker count for ``local`` and a private Dask cluster (default: the core count).
        processes: for a private Dask cluster, worker processes (True) or threads (False).
        blas_threads: native thread-pool limit inside every task (``None``: no limit).

    Raises:
        ValueError: on an unknown kind, a scheduler given to a non-Dask executor, a bad worker count
            or an unreachable scheduler.
    """
    if kind not in EXECUTOR_KINDS:
        raise ValueError(f"unknown executor {kind!r}; choose one of {', '.join(EXECUTOR_KINDS)}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if scheduler and kind != "dask":
        raise ValueError("--scheduler only applies to the dask executor")
    executor: Executor
    if kind == "serial":
        executor = SerialExecutor()
    elif kind == "local":
        executor = LocalExecutor(workers)
    else:
        executor = DaskExecutor(scheduler, workers, processes)
    executor.blas_threads = blas_threads
    return executor
