"""``mousescore sweep``: many models on many benchmarks on Dask distributed; also what
``mousescore score --scheduler`` runs."""
from __future__ import annotations

from ..errors import MousescoreError
from .arguments import count, cpus


def register(commands) -> None:
    sweep = commands.add_parser("sweep", help="score many models on many benchmarks on Dask distributed "
                                              "(resumes: pairs already stored are not redone)")
    sweep.add_argument("--models", nargs="+", required=True, help="identifiers or globs")
    sweep.add_argument("--benchmarks", nargs="+", required=True, help="identifiers or globs")
    sweep.add_argument("--scheduler", help="Dask scheduler address (tcp://host:8786); default: a "
                                           "LocalCluster on this machine")
    sweep.add_argument("--workers", type=count("this machine's CPUs", cpus), default=2,
                       help="LocalCluster worker processes (default: %(default)s)")
    sweep.add_argument("--threads-per-worker", type=count("this machine's CPUs", cpus), default=1,
                       help="torch threads in each worker (default: %(default)s)")
    sweep.add_argument("--force", action="store_true", help="recompute stored results")
    sweep.set_defaults(handler=_sweep)


def run_sweep(models, benchmarks, scheduler, workers, threads_per_worker, force, log=None):
    """``log``: where the sweep's progress lines go (None: stderr)."""
    try:
        from ..scoring.sweep import run_sweep as run
    except ImportError as error:   # dask is an install requirement; a broken environment says so
        raise MousescoreError(f"distributed scoring needs dask[distributed] ({error})") from error
    return run(models, benchmarks, scheduler=scheduler, workers=workers,
               threads_per_worker=threads_per_worker or 1, force=force, **({"log": log} if log else {}))


def _sweep(args) -> int:
    summary = run_sweep(args.models, args.benchmarks, args.scheduler, args.workers,
                        args.threads_per_worker, args.force)
    print(f"sweep: {summary.stored} score(s) stored, {summary.reused} reused, {len(summary.failed)} task(s) failed")
    for task, error in summary.failed.items():
        print(f"  FAILED {task}: {error}")
    return 0 if summary.ok else 1
