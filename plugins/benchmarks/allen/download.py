"""``mousescore data build allen --download``: the paper's per-neuron data in one command.

Reads the Brain Observatory manifests (``ophys_experiments.json``, ``cell_specimens.json``), chooses the
session-B experiments (the natural scenes) of the areas and Cre lines asked for, says how much it will
download and keep, then, one Dask task per experiment: download the NWB file with resume (HTTP range
requests), check its size and MD5 where the server publishes them, reduce it at once to its per-trial
natural-scene responses (``reduced/<id>.npz``, a few MB) and delete it unless ``keep_nwb``. The assembly
is then built from the reduced files by the same code as ``--source`` (``build_allen_assembly``).

Everything lives in one work folder (``$MOUSESCORE_HOME/allen_download``, on a filesystem every worker
shares when a remote ``scheduler`` is used): a rerun skips what is reduced, resumes a partial NWB file
(``<id>.nwb.part``), and fetches a truncated or corrupt one again. Peak disk: about one NWB file per
worker, plus the reduced files and the manifests.
"""
from __future__ import annotations

import difflib
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from mousescore import DataError, config, dask_client, download_resumable, remote_info

from .builder import (
    INHIBITORY_CRE_LINES,
    N_REPETITIONS,
    NWB_URL,
    S3_ROOT,
    build_allen_assembly,
    load_cell_table,
    load_reduced,
    reduce_experiment,
    save_reduced,
    write_built,
)
from .neurons import built_assembly_path
from .scenes import N_SCENES

SESSION = "three_session_B"            # the session that shows the 118 natural scenes
MANIFESTS = ("ophys_experiments.json", "cell_specimens.json")
BYTES_PER_RESPONSE = 8                 # float64 in the reduced files and the assembly


def work_dir() -> Path:
    return config.home() / "allen_download"


@dataclass
class Planned:
    experiment_id: int
    url: str
    cells: int                         # cells of its container in the cell table (for the disk estimate)
    size: Optional[int] = None
    md5: Optional[str] = None


# ------------------------------------------------------------------------------------------ choosing
def _records(path: Path) -> List[dict]:
    try:
        records = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise DataError(f"cannot read the experiment manifest {path}: {error}; delete it to fetch it "
                        "again") from error
    return records["msg"] if isinstance(records, dict) else records


def cre_line_of(record: dict) -> Optional[str]:
    """The driver line of an experiment record, as AllenSDK finds it (a 'driver' line with 'Cre')."""
    lines = ((record.get("specimen") or {}).get("donor") or {}).get("transgenic_lines") or []
    return next((line["name"] for line in lines
                 if line.get("transgenic_line_type_name") == "driver" and "Cre" in line.get("name", "")), None)


def _area(record: dict) -> Optional[str]:
    return (record.get("targeted_structure") or {}).get("acronym")


def _checked(values: Optional[Sequence[str]], known: Sequence[str], what: str) -> Optional[set]:
    """The values, each a name the manifest knows or the part before its first '-' (``Cux2``)."""
    if not values:
        return None
    short = {name.split("-")[0]: name for name in known}
    chosen = set()
    for value in values:
        if value in known or value in short:
            chosen.add(short.get(value, value))
            continue
        hint = difflib.get_close_matches(value, [*known, *short], n=3, cutoff=0.5)
        raise DataError(f"unknown {what} '{value}'." + (f" Did you mean: {', '.join(hint)}?" if hint else "")
                        + f" The manifest has: {', '.join(known)}")
    return chosen


def select_experiments(records: Sequence[dict], areas: Optional[Sequence[str]] = None,
                       cre_lines: Optional[Sequence[str]] = None, include_failed: bool = False,
                       excitatory_only: bool = True) -> List[dict]:
    """The session-B experiments of these areas and Cre lines, by id. Experiments whose every cell the
    builder would drop (a failed container unless ``include_failed``; an inhibitory line when
    ``excitatory_only``) are not fetched at all."""
    sessions = [record for record in records if record.get("stimulus_name") == SESSION]
    areas = _checked(areas, sorted({_area(r) for r in sessions} - {None}), "area")
    lines = _checked(cre_lines, sorted({cre_line_of(r) for r in sessions} - {None}), "Cre line")
    chosen = []
    for record in sessions:
        failed = (record.get("experiment_container") or {}).get("failed", record.get("failed", False))
        if failed and not include_failed:
            continue
        if areas is not None and _area(record) not in areas:
            continue
        line = cre_line_of(record)
        if lines is not None and line not in lines:
            continue
        if excitatory_only and line in INHIBITORY_CRE_LINES:
            continue
        chosen.append(record)
    return sorted(chosen, key=lambda record: int(record["id"]))


# ------------------------------------------------------------------------------------- one experiment
def reduced_path(directory: Path, experiment_id: int) -> Path:
    return Path(directory) / "reduced" / f"{experiment_id}.npz"


def _usable(path: Path, window_frames: Optional[int]) -> bool:
    if not path.exists():
        return False
    try:
        return load_reduced(path).window_option == window_frames
    except DataError:
        return False


def fetch_and_reduce(experiment_id: int, url: str, size: Optional[int], md5: Optional[str], directory: str,
                     keep_nwb: bool = False, window_frames: Optional[int] = None) -> dict:
    """Runs on a worker: the experiment's reduced file, fetching and reducing its NWB file if needed."""
    directory = Path(directory)
    target = reduced_path(directory, experiment_id)
    if _usable(target, window_frames):
        return {"experiment_id": experiment_id, "reused": True, "bytes": 0}
    nwb = directory / f"{experiment_id}.nwb"
    fetched = download_resumable(url, nwb, size=size, md5=md5)
    try:
        reduced = reduce_experiment(nwb, window_frames)
    except DataError:
        if fetched or (size is not None and md5 is not None):
            raise                      # fresh or fully checked bytes: the file itself is bad upstream
        nwb.unlink()                   # an old copy that no check could vouch for: fetch it once more
        fetched = download_resumable(url, nwb, size=size, md5=md5)
        reduced = reduce_experiment(nwb, window_frames)
    save_reduced(reduced, target)
    if not keep_nwb:
        nwb.unlink()
    return {"experiment_id": experiment_id, "reused": False, "bytes": fetched, "cells": len(reduced.cell_ids)}


# ------------------------------------------------------------------------------------------- the plan
def _gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB"


def _plan(chosen: Sequence[dict], root: str, directory: Path, table, window_frames, log) -> tuple:
    cells = table.groupby("experiment_container_id").size().to_dict()
    planned = [Planned(int(r["id"]), NWB_URL.replace(S3_ROOT, root).format(experiment_id=int(r["id"])),
                       int(cells.get(int(r["experiment_container_id"]), 0))) for r in chosen]
    todo = [p for p in planned if not _usable(reduced_path(directory, p.experiment_id), window_frames)]
    missing: Dict[int, str] = {}

    def head(p: Planned):
        try:
            info = remote_info(p.url)
            p.size, p.md5 = info.size, info.md5
        except DataError as error:
            missing[p.experiment_id] = str(error)
    with ThreadPoolExecutor(16) as pool:    # sizes only, no bytes: hundreds of HEAD requests in seconds
        list(pool.map(head, todo))
    todo = [p for p in todo if p.experiment_id not in missing]
    held = sum((directory / f"{p.experiment_id}.nwb.part").stat().st_size for p in todo
               if (directory / f"{p.experiment_id}.nwb.part").exists())
    to_fetch = sum(p.size or 0 for p in todo) - held
    per_cell = N_SCENES * N_REPETITIONS * BYTES_PER_RESPONSE
    largest = max((p.size or 0 for p in todo), default=0)
    log(f"allen: {len(planned)} {SESSION} experiment(s) chosen, {len(planned) - len(todo) - len(missing)} "
        f"already reduced, {len(todo)} to fetch: {_gb(max(to_fetch, 0))} to download"
        + (f" ({_gb(held)} already here)" if held else "")
        + (f"; {len(missing)} not on the server" if missing else ""))
    log(f"allen: disk: the reduced files at most {_gb(sum(p.cells for p in planned) * per_cell)}, the "
        f"assembly at most that too; while building, up to one NWB file per worker (largest "
        f"{_gb(largest)}) unless --keep-nwb keeps all {_gb(sum(p.size or 0 for p in todo))}")
    return planned, todo, missing


class _Progress:
    """Bars for experiments and bytes on a terminal (bytes polled from the growing .part files);
    one line per finished experiment always."""

    def __init__(self, todo: Sequence[Planned], directory: Path, log):
        from tqdm import tqdm
        self.directory, self.todo, self.log, self.done_bytes, self.done = directory, list(todo), log, 0, 0
        self.files = tqdm(total=len(todo), unit="exp", desc="experiments", disable=None, file=sys.stderr)
        self.bytes = tqdm(total=sum(p.size or 0 for p in todo), unit="B", unit_scale=True, desc="download",
                          disable=None, file=sys.stderr)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def _poll(self):
        while not self.stop.wait(0.5):
            partial = 0
            for p in self.todo:
                part = self.directory / f"{p.experiment_id}.nwb.part"
                partial += part.stat().st_size if part.exists() else 0
            self.bytes.n = self.done_bytes + partial
            self.bytes.refresh()

    def finished(self, planned: Planned, message: str):
        self.done_bytes += planned.size or 0
        self.done += 1
        self.files.update(1)
        with self.files.external_write_mode(file=sys.stderr):     # the line above the bars, not through them
            self.log(f"allen: {self.done}/{len(self.todo)} {message}")

    def close(self):
        self.stop.set()
        self.thread.join()
        self.bytes.n = self.done_bytes
        self.bytes.refresh()
        self.bytes.close()
        self.files.close()


def _run(todo: Sequence[Planned], directory: Path, scheduler, workers, keep_nwb, window_frames,
         log) -> Dict[int, str]:
    """Fetch and reduce on Dask; {experiment id: error} of those that failed (the others are kept)."""
    from dask.distributed import as_completed
    failed: Dict[int, str] = {}
    if not todo:
        return failed
    with dask_client(scheduler, workers) as client:
        futures = {client.submit(fetch_and_reduce, p.experiment_id, p.url, p.size, p.md5, str(directory),
                                 keep_nwb, window_frames, pure=False): p for p in todo}
        progress = _Progress(todo, directory, log)
        try:
            for future in as_completed(futures):
                planned = futures[future]
                try:
                    done = future.result()
                except Exception as error:     # one experiment's failure must not lose the others
                    failed[planned.experiment_id] = f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"
                    progress.finished(planned, f"experiment {planned.experiment_id} FAILED: "
                                               f"{failed[planned.experiment_id]}")
                    continue
                progress.finished(planned, f"experiment {planned.experiment_id}: "
                                           + ("already reduced" if done["reused"] else
                                              f"{_gb(done['bytes'])} fetched, {done['cells']} cells reduced"))
        finally:
            progress.close()
    return failed


def download_and_build(areas: Optional[Sequence[str]] = None, cre_lines: Optional[Sequence[str]] = None,
                       workers: int = 2, scheduler: Optional[str] = None, keep_nwb: bool = False,
                       mirror: Optional[str] = None, allow_missing: bool = False,
                       directory: Optional[Path] = None,
                       log: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
                       **options):
    """``mousescore data build allen --download``: returns (the assembly's path, {filter step: neurons}).

    ``mirror``: the URL (``https://``, ``http://`` or ``file://``) of a copy of the bucket's
    ``visual-coding-2p`` folder; default the Allen S3 bucket. ``options`` go to ``build_allen_assembly``.
    An experiment that cannot be fetched is named in a DataError after the others are done, unless
    ``allow_missing`` (then the assembly is built without it, and says so in its attrs).
    """
    import inspect
    try:   # a wrong option must fail now, not after hours of downloading
        inspect.signature(build_allen_assembly).bind(None, None, **options)
    except TypeError as error:
        raise TypeError(f"build_allen_assembly: {error}") from None
    root = (mirror or S3_ROOT).rstrip("/")
    directory = Path(directory or work_dir())
    directory.mkdir(parents=True, exist_ok=True)
    for name in MANIFESTS:       # kept once fetched: a finished build reruns offline
        if not (directory / name).exists():
            log(f"allen: fetching {root}/{name}")
            download_resumable(f"{root}/{name}", directory / name, size=remote_info(f"{root}/{name}").size)
    chosen = select_experiments(_records(directory / MANIFESTS[0]), areas, cre_lines,
                                options.get("include_failed", False), options.get("excitatory_only", True))
    if not chosen:
        raise DataError(f"no {SESSION} experiment matches areas={list(areas or [])} cre_lines={list(cre_lines or [])}")
    table = load_cell_table(directory / MANIFESTS[1])
    window_frames = options.get("window_frames")
    planned, todo, missing = _plan(chosen, root, directory, table, window_frames, log)
    missing.update(_run(todo, directory, scheduler, workers, keep_nwb, window_frames, log))
    if missing:
        names = "; ".join(f"{i}: {reason}" for i, reason in sorted(missing.items()))
        if not allow_missing:
            raise DataError(f"{len(missing)} experiment(s) could not be fetched ({names}). The other "
                            f"{len(planned) - len(missing)} are reduced in {directory}; run the command again "
                            f"to retry, or add --allow-missing to build without them")
        log(f"allen: building without {len(missing)} experiment(s): {names}")
    sources = [reduced_path(directory, p.experiment_id) for p in planned if p.experiment_id not in missing]
    built = build_allen_assembly(sources, directory / MANIFESTS[1], **options)
    built.assembly.attrs["missing_experiments"] = ",".join(map(str, sorted(missing))) or "none"
    output = built_assembly_path()
    return output, write_built(built, output)
