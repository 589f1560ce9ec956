"""Batch work on a Dask cluster: the same pure map as the local pool, on dask.distributed workers.

`--scheduler tcp://host:8786` sends the cases to an existing scheduler; `--scheduler local` starts a
LocalCluster of one single-threaded worker process per job on this machine. The rows are identical, row
for row, to a local run: each worker runs the same `assess_chunk`, with the same dynamics and rules
(checked before the first case is sent), reading each case at its absolute path, so every worker must
see the files at the same path as this machine (a shared or network file system), while each row
still names the file as it was given here. Dask runs a task again when its worker dies; a case whose
task keeps killing workers becomes an error row (see batch.stream).
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import Future

from ..errors import InputError
from .batch import CHUNK, Inline, assess_chunk, identity, warm_up


def _distributed():
    try:
        import distributed
    except ImportError:
        raise InputError("running on Dask needs the distributed package, which is not installed",
                         file="--scheduler", hint="install it with pip install 'dynamics[cluster]', "
                                                  "or leave out --scheduler to use this machine's cores") from None
    return distributed


class DaskRunner(Inline):
    """Run tasks on a Dask cluster: an address of a running scheduler, or 'local' for a LocalCluster."""
    chunk = CHUNK * 2

    def __init__(self, address: str, jobs: int | None = None):
        distributed = _distributed()
        self.worker_died = (distributed.KilledWorker,)
        self._cluster = None
        try:
            if address == "local":
                self._cluster = distributed.LocalCluster(  # reachable from this machine only
                    n_workers=max(1, jobs or os.cpu_count() or 1), threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
                self._client = distributed.Client(self._cluster)
            else:
                self._client = distributed.Client(address, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            self.close()
            raise InputError(f"cannot reach the Dask scheduler ({exc})", file=f"--scheduler {address}",
                             hint="check the address (tcp://HOST:PORT) and that the scheduler is running, "
                                  "or use --scheduler local") from None
        self.workers = max(1, sum(self._client.nthreads().values()))
        self._check_workers(address)

    def _check_workers(self, address: str) -> None:
        """Build the engine on every worker and refuse workers that run other code or other rules."""
        here = identity()
        try:
            there = self._client.run(warm_up)
        except Exception as exc:  # a worker that cannot import or run dynamics
            self.close()
            raise InputError(f"a worker cannot run dynamics ({type(exc).__name__}: {exc})",
                             file=f"--scheduler {address}",
                             hint="install this version of dynamics on every worker") from None
        other = sorted(worker for worker, runs in there.items() if tuple(runs) != here)
        if other:
            self.close()
            raise InputError(f"worker {other[0]} runs another version of dynamics or other rules",
                             file=f"--scheduler {address}",
                             hint=f"install dynamics {here[0]} with the same rules on every worker")

    def where(self, path: str) -> str:
        return os.path.abspath(path)

    def submit(self, items, as_of, assessed_with) -> Future:
        return self._client.submit(assess_chunk, items, as_of, assessed_with, pure=False)

    def close(self) -> None:
        for part in (getattr(self, "_client", None), self._cluster):
            if part is not None:
                try:
                    part.close()
                except Exception:  # closing down; nothing more to do about it
                    pass
