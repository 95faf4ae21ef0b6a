"""The Dask engine that spreads work over processes or machines: the sweep's (model, stimulus set)
tasks and the dataset builders' per-file tasks run on it the same way."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional


@contextmanager
def dask_client(scheduler: Optional[str] = None, workers: int = 2) -> Iterator["object"]:
    """A ``dask.distributed.Client`` for a ``with`` block: on an existing scheduler (``tcp://host:8786``),
    else on a LocalCluster of ``workers`` processes, one task at a time each (torch parallelises inside
    a task), closed with the block."""
    import logging

    from dask.distributed import Client, LocalCluster
    logging.getLogger("distributed").setLevel(logging.ERROR)   # worker start/stop chatter
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      memory_limit=0) as cluster, Client(cluster) as client:
        yield client
