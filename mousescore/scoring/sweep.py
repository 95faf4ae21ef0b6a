"""Score many models on many benchmarks on Dask distributed: a LocalCluster by default, or an existing
scheduler (``tcp://host:8786``) for a real cluster.

One task per (model, stimulus set), so each model's features for a stimulus set are extracted once and
shared by every benchmark on those stimuli. Workers compute and return scores; the client writes each
task's scores to the store as soon as it finishes, so an interrupted sweep keeps what finished and a
rerun plans only the (model, benchmark) pairs still missing.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..code_identity import code_identity
from ..data.cluster import dask_client
from ..registry.plugins import Registry, get_registry
from ..results.score import Score
from ..results.store import ResultStore
from .run_options import RunOptions, log_to_stderr, silent
from .score_model import score_benchmarks


@dataclass
class Task:
    model: str
    stimulus_set: str
    benchmarks: List[str]


@dataclass
class SweepSummary:
    planned: int = 0                 # (model, benchmark) pairs scored in this run
    reused: int = 0                  # pairs already in the store
    stored: int = 0
    failed: Dict[str, str] = field(default_factory=dict)   # task -> error

    @property
    def ok(self) -> bool:
        return not self.failed


def plan(models: Sequence[str], benchmarks: Sequence[str], store: ResultStore, registry: Registry,
         force: bool = False) -> Tuple[List[Task], int]:
    """Tasks for the pairs this code has not stored yet, and how many pairs are reused."""
    stimulus_sets: Dict[str, str] = {}
    for identifier in benchmarks:   # building a benchmark loads its (cached) data: done once per sweep
        stimulus_sets[identifier] = registry.get("benchmark", identifier).factory().stimuli.identifier
    tasks: Dict[Tuple[str, str], Task] = {}
    reused = 0
    for model in models:
        for identifier in benchmarks:
            stored = None if force else store.current(model, identifier)[0]
            if stored is not None:
                reused += 1
                continue
            key = (model, stimulus_sets[identifier])
            tasks.setdefault(key, Task(model, key[1], [])).benchmarks.append(identifier)
    return list(tasks.values()), reused


def score_task(model: str, benchmarks: Sequence[str], threads: Optional[int] = None) -> Tuple[str, List[str]]:
    """Runs on a worker: score one model on benchmarks sharing one stimulus set; the worker's code
    identity (a remote worker may run other code than the client) and the Scores as JSON."""
    registry = get_registry()
    objects = [registry.get("benchmark", b).factory() for b in benchmarks]
    with tempfile.TemporaryDirectory() as scratch:   # the client's store is the one that counts
        options = RunOptions(threads=threads, progress=False, log=silent, registry=registry,
                             store=ResultStore(Path(scratch) / "worker.sqlite"))
        scores = score_benchmarks(model, objects, options)
    return code_identity(), [score.to_json() for score in scores]


def run_sweep(model_patterns: Sequence[str], benchmark_patterns: Sequence[str], scheduler: Optional[str] = None,
              workers: int = 2, threads_per_worker: int = 1, force: bool = False,
              store: Optional[ResultStore] = None, registry: Optional[Registry] = None,
              log: Callable[[str], None] = log_to_stderr) -> SweepSummary:
    from dask.distributed import as_completed
    registry = registry or get_registry()
    store = store or ResultStore()
    models = registry.match("model", model_patterns)
    benchmarks = registry.match("benchmark", benchmark_patterns)
    tasks, reused = plan(models, benchmarks, store, registry, force)
    summary = SweepSummary(planned=sum(len(t.benchmarks) for t in tasks), reused=reused)
    log(f"sweep: {len(models)} model(s) x {len(benchmarks)} benchmark(s): {reused} pair(s) already stored, "
        f"{summary.planned} to score in {len(tasks)} task(s)")
    if not tasks:
        return summary
    with dask_client(scheduler, workers) as client:
        log(f"sweep: scheduler {client.scheduler.address}, {len(client.scheduler_info()['workers'])} worker(s)")
        futures = {client.submit(score_task, t.model, t.benchmarks, threads_per_worker, pure=False): t
                   for t in tasks}
        for future in as_completed(futures):
            task = futures[future]
            name = f"{task.model} on {task.stimulus_set}"
            try:
                code, texts = future.result()
                scores = [Score.from_json(text) for text in texts]
            except Exception as error:   # one task's failure must not lose the others
                summary.failed[name] = f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"
                log(f"sweep: FAILED {name}: {summary.failed[name]}")
                continue
            store.put_all(scores, code=code)
            summary.stored += len(scores)
            log(f"sweep: stored {name} ({len(scores)} benchmark(s); "
                f"{summary.stored}/{summary.planned} done)")
    return summary
