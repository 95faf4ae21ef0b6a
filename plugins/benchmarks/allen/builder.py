"""Build the Allen Brain Observatory per-neuron natural-scene assembly (Conwell et al. 2021, §2.1).

A pure transformation: NWB 1.x experiment files (read with h5py) + the cell-specimens table in, one
``NeuroidAssembly`` (presentation × neuroid × repetition) out. Nothing here touches the network.

``mousescore data build allen --download`` fetches the inputs itself (``mousescore_allen.download``:
the experiment and cell manifests, then each session-B NWB file, reduced at once to a small file by
:func:`reduce_experiment`); ``--source DIR`` builds from NWB files already at hand. Both end in
:func:`build_allen_assembly`, so the same files give the same assembly.

Choices, with where they come from:

- Response per trial: the mean of the file's dF/F (``DfOverF``) over the acquisition frames
  ``[start, start + 2·L)``, ``L`` = the presentation length in frames (7 at 30 Hz, 0.25 s), i.e. ~0.5 s
  from image onset. This is AllenSDK's ``NaturalScenes`` window (``StimulusAnalysis.get_sweep_response``:
  ``do_mean`` averages ``sweeplength + extralength`` frames from onset, ``extralength = sweeplength``),
  the response from which Allen's ``p_run_mod_ns`` is computed. (Allen's analysis re-baselines dF/F on the
  1 s before each onset; we use the released dF/F trace as is.)
- Cortical layer from imaging depth, following the Allen analysis code's ``depth_range =
  100·floor(depth/100)`` (100 → L2/3, 200 → L4, 300–400 → L5, ≥ 500 → L6), with the Allen overrides for
  lines imaged outside their layer's depth band: Scnn1a-Tg3 and Nr5a1 are L4, Fezf2 is L5.
- Running filter: ``p_run_mod_ns`` is Allen's KS-test p-value comparing running (≥ 2 cm/s) and stationary
  trials at the cell's preferred scene; NaN (too few running or stationary trials to test) is kept, as
  DeepMouseTrap did.
- Reliability: per neuron, random half splits of each scene's trials (25/25 for 50), half means
  correlated across the 118 scenes, Spearman–Brown corrected, averaged over ``n_splits`` seeded splits
  (``mousescore.numerics.stats.split_half_reliability``), computed per experiment (neurons imaged together share
  trials and NaN padding).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Union

import h5py
import numpy as np
import pandas as pd

from mousescore import DataError, NeuroidAssembly
from mousescore.numerics import split_half_reliability

from .neurons import built_assembly_path
from .scenes import N_SCENES, scene_ids

# --- Upstream locations (AllenSDK's BrainObservatoryCache manifest layout, mirrored on public S3) ---
S3_ROOT = "https://allen-brain-observatory.s3.amazonaws.com/visual-coding-2p"
NWB_URL = S3_ROOT + "/ophys_experiment_data/{experiment_id}.nwb"
CELL_SPECIMENS_URL = S3_ROOT + "/cell_specimens.json"
EXPERIMENTS_URL = S3_ROOT + "/ophys_experiments.json"
# The same table from the Brain Observatory API (AllenSDK BrainObservatoryApi.get_cell_metrics), paged.
CELL_SPECIMENS_API_URL = ("https://api.brain-map.org/api/v2/data/query.json?q=model::ApiCamCellMetric,"
                          "rma::options[num_rows$eq2000][start_row$eq{start_row}]"
                          "[order$eq'cell_specimen_id'][count$eqfalse]")
NWB_API_URL = ("https://api.brain-map.org/api/v2/data/query.json?q=model::WellKnownFile,rma::criteria,"
               "[attachable_id$eq{experiment_id}],well_known_file_type[name$eqNWBOphys]")

# --- HDF5 paths in the Brain Observatory NWB 1.x files (AllenSDK brain_observatory_nwb_data_set.py) ---
PIPELINE = "processing/brain_observatory_pipeline"
DFF_PATH = PIPELINE + "/DfOverF/imaging_plane_1/data"                    # (cells, frames)
CELL_IDS_PATH = PIPELINE + "/ImageSegmentation/cell_specimen_ids"       # (cells,)
STIMULUS_GROUPS = ("stimulus/presentation/natural_scenes_stimulus",     # data: frame (-1 = blank),
                   "stimulus/presentation/natural_scenes")              # frame_duration: start, end frames
SESSION_ID_PATH = "general/session_id"                                  # the ophys experiment id
CONTAINER_ID_PATH = "general/experiment_container_id"

N_REPETITIONS = 50
REQUIRED_COLUMNS = ("cell_specimen_id", "area", "imaging_depth", "tld1_name", "specimen_id",
                    "p_run_mod_ns", "experiment_container_id")

# The 13 Cre lines of the Visual Coding 2P dataset (AllenSDK test_brain_observatory_cache expected lines).
EXCITATORY_CRE_LINES = frozenset({
    "Emx1-IRES-Cre", "Slc17a7-IRES2-Cre", "Cux2-CreERT2", "Rorb-IRES2-Cre", "Scnn1a-Tg3-Cre",
    "Nr5a1-Cre", "Rbp4-Cre_KL100", "Fezf2-CreER", "Tlx3-Cre_PL56", "Ntsr1-Cre_GN220"})
INHIBITORY_CRE_LINES = frozenset({"Sst-IRES-Cre", "Vip-IRES-Cre", "Pvalb-IRES-Cre"})

LAYER_DEPTH_BINS = ((200, "layer23"), (300, "layer4"), (500, "layer5"))  # exclusive upper bounds, µm
DEEPEST_LAYER = "layer6"
CRE_LAYER_OVERRIDES = {"Scnn1a-Tg3-Cre": "layer4", "Nr5a1-Cre": "layer4", "Fezf2-CreER": "layer5"}

COUNT_STEPS = ("cells", "not_failed_container", "excitatory", "not_running_modulated", "reliable")


@dataclass
class Experiment:
    """One NWB file's natural-scenes data: dF/F and the presentation table (in acquisition frames)."""
    experiment_id: int
    container_id: Optional[int]
    cell_ids: np.ndarray     # (cells,) int64
    dff: np.ndarray          # (cells, frames)
    frame: np.ndarray        # (presentations,) scene index, -1 = blank
    start: np.ndarray        # (presentations,) first acquisition frame
    end: np.ndarray          # (presentations,) last acquisition frame


@dataclass
class AllenBuild:
    assembly: NeuroidAssembly
    counts: dict             # neurons left after each step of COUNT_STEPS, in order


def cortical_layer(depth: float, cre_line: str) -> str:
    if cre_line in CRE_LAYER_OVERRIDES:
        return CRE_LAYER_OVERRIDES[cre_line]
    for upper, layer in LAYER_DEPTH_BINS:
        if depth < upper:
            return layer
    return DEEPEST_LAYER


def is_excitatory(cre_line: str) -> bool:
    if cre_line in EXCITATORY_CRE_LINES:
        return True
    if cre_line in INHIBITORY_CRE_LINES:
        return False
    raise DataError(f"unknown Cre line '{cre_line}': add it to EXCITATORY_CRE_LINES or "
                    "INHIBITORY_CRE_LINES in mousescore_allen.builder")


# ------------------------------------------------------------------------------------------ reading
def _dataset(f: h5py.File, path: str, source) -> np.ndarray:
    try:
        return f[path][()]
    except KeyError:
        raise DataError(f"{source}: not a Brain Observatory NWB file, no dataset '{path}'") from None


def _as_int(value, what: str, source) -> int:
    if isinstance(value, np.ndarray):
        value = value.item() if value.size == 1 else value
    if isinstance(value, bytes):
        value = value.decode()
    try:
        return int(float(value))
    except (TypeError, ValueError):
        raise DataError(f"{source}: {what} is not an integer id: {value!r}") from None


def _stimulus_table(f: h5py.File, source):
    group = next((f[name] for name in STIMULUS_GROUPS if name in f), None)
    if group is None:
        raise DataError(f"{source}: no natural scenes stimulus (looked for {', '.join(STIMULUS_GROUPS)}); "
                        "only three_session_B experiments show them")
    frame = np.asarray(_dataset(f, group.name + "/data", source), dtype=np.float64).reshape(-1)
    bounds = np.asarray(_dataset(f, group.name + "/frame_duration", source), dtype=np.float64)
    if bounds.ndim != 2 or bounds.shape != (len(frame), 2):
        raise DataError(f"{source}: natural scenes frame_duration has shape {bounds.shape}, "
                        f"expected ({len(frame)}, 2)")
    if not np.isfinite(frame).all() or (frame != np.round(frame)).any() \
            or frame.min(initial=-1) < -1 or frame.max(initial=-1) >= N_SCENES:
        raise DataError(f"{source}: natural scene indices must be integers in -1..{N_SCENES - 1}")
    if not np.isfinite(bounds).all() or (bounds[:, 1] < bounds[:, 0]).any():
        raise DataError(f"{source}: natural scenes start/end frames are not valid intervals")
    return frame.astype(np.int64), bounds[:, 0].astype(np.int64), bounds[:, 1].astype(np.int64)


def read_experiment(path: Union[str, Path]) -> Experiment:
    """Read one Brain Observatory NWB 1.x file: dF/F, cell ids, ids and the natural-scenes table."""
    try:
        f = h5py.File(path, "r")
    except OSError as error:
        raise DataError(f"cannot read NWB file {path}: {error}") from error
    with f:
        experiment_id = _as_int(_dataset(f, SESSION_ID_PATH, path), "session_id", path)
        container_id = (_as_int(f[CONTAINER_ID_PATH][()], "experiment_container_id", path)
                        if CONTAINER_ID_PATH in f else None)
        cell_ids = np.asarray(_dataset(f, CELL_IDS_PATH, path)).reshape(-1)
        dff = np.asarray(_dataset(f, DFF_PATH, path))
        frame, start, end = _stimulus_table(f, path)
    if dff.ndim != 2 or dff.shape[0] != len(cell_ids):
        raise DataError(f"{path}: dF/F has shape {dff.shape}, expected ({len(cell_ids)} cells, frames)")
    return Experiment(experiment_id, container_id, cell_ids.astype(np.int64), dff, frame, start, end)


def load_cell_table(source) -> pd.DataFrame:
    """The cell-specimens table, indexed by cell_specimen_id, from a DataFrame, a CSV or a JSON file.

    JSON may be the S3 ``cell_specimens.json`` (a list of records) or a raw API answer (``{"msg": [...]}``).
    """
    if isinstance(source, pd.DataFrame):
        table = source.copy()
    else:
        path = Path(source)
        try:
            if path.suffix.lower() == ".csv":
                table = pd.read_csv(path)
            else:
                records = json.loads(path.read_text())
                table = pd.DataFrame(records["msg"] if isinstance(records, dict) else records)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise DataError(f"cannot read the cell-specimens table {path}: {error}") from error
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"cell-specimens table lacks column(s) {missing}; "
                        f"expected the Brain Observatory cell_specimens fields {list(REQUIRED_COLUMNS)}")
    if table["cell_specimen_id"].duplicated().any():
        raise DataError("cell-specimens table has duplicate cell_specimen_id values")
    table["p_run_mod_ns"] = pd.to_numeric(table["p_run_mod_ns"], errors="coerce")
    return table.set_index("cell_specimen_id")


def _failed(values: pd.Series) -> np.ndarray:
    """Allen stores failed_experiment_container as a bool or as 't'/'f'."""
    text = values.astype(str).str.strip().str.lower()
    return text.isin(["true", "t", "1", "1.0"]).to_numpy()


# ------------------------------------------------------------------------------------------- responses
@dataclass
class ReducedExperiment:
    """One experiment reduced to what the assembly needs (megabytes, where its NWB file has hundreds):
    every cell's mean response to each presentation of each scene, in time order, and its ids."""
    experiment_id: int
    container_id: Optional[int]
    cell_ids: np.ndarray     # (cells,) int64
    responses: np.ndarray    # (scene, cell, trials) float64; trials = the most a scene was shown, NaN after
    trial_counts: np.ndarray  # (scene,) presentations of each scene
    window_option: Optional[int]   # the window asked for (None: twice the presentation length)


def reduce_experiment(experiment: Union[Experiment, str, Path],
                      window_frames: Optional[int] = None) -> ReducedExperiment:
    """Mean dF/F over each natural-scene presentation's window; the blank (frame -1) is dropped.

    ``window_frames`` defaults to twice the presentation length (AllenSDK's natural-scenes window).
    """
    if not isinstance(experiment, Experiment):
        experiment = read_experiment(experiment)
    source = f"experiment {experiment.experiment_id}"
    window = window_frames
    if window is None:
        # Allen takes one sweep length for the table; the median ignores a stray dropped frame.
        window = 2 * int(round(float(np.median(experiment.end - experiment.start))))
    if window < 1:
        raise DataError(f"{source}: natural scene presentations have no duration")
    shown = experiment.frame >= 0
    frame, start = experiment.frame[shown], experiment.start[shown]
    n_frames = experiment.dff.shape[1]
    if len(start) and (start.min() < 0 or start.max() + window > n_frames):
        raise DataError(f"{source}: a natural scene window runs outside the {n_frames}-frame dF/F trace")
    windows = start[:, None] + np.arange(window)                         # (presentations, window)
    means = experiment.dff[:, windows].mean(axis=-1, dtype=np.float64)   # (cells, presentations)

    order = np.argsort(start, kind="stable")
    trials = [order[frame[order] == scene] for scene in range(N_SCENES)]
    responses = np.full((N_SCENES, len(experiment.cell_ids), max(map(len, trials))), np.nan)
    for scene, shown_at in enumerate(trials):
        responses[scene, :, :len(shown_at)] = means[:, shown_at]
    return ReducedExperiment(experiment.experiment_id, experiment.container_id, experiment.cell_ids,
                             responses, np.array([len(t) for t in trials], dtype=np.int64), window_frames)


def padded_responses(reduced: ReducedExperiment, n_repetitions: int = N_REPETITIONS) -> np.ndarray:
    """(scene, cell, n_repetitions): the reduced trials, NaN past a scene's last."""
    counts = reduced.trial_counts
    if counts.max(initial=0) > n_repetitions:
        scene = int(np.argmax(counts))
        raise DataError(f"experiment {reduced.experiment_id}: scene {scene} was shown {counts[scene]} times, "
                        f"more than n_repetitions={n_repetitions}")
    padded = np.full(reduced.responses.shape[:2] + (n_repetitions,), np.nan)
    padded[:, :, :reduced.responses.shape[2]] = reduced.responses[:, :, :n_repetitions]
    return padded


def trial_responses(experiment: Experiment, n_repetitions: int = N_REPETITIONS,
                    window_frames: Optional[int] = None) -> np.ndarray:
    """(scene, cell, repetition) mean dF/F over each presentation's window, NaN past a scene's trials.

    Repetitions are a scene's presentations in time order (:func:`reduce_experiment`).
    """
    return padded_responses(reduce_experiment(experiment, window_frames), n_repetitions)


REDUCED_FORMAT = 1


def save_reduced(reduced: ReducedExperiment, path: Union[str, Path]) -> Path:
    """Write a reduced experiment (compressed npz, no pickles) atomically: a file there is whole."""
    import os
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(partial, "wb") as handle:
            np.savez_compressed(handle, format=REDUCED_FORMAT, experiment_id=reduced.experiment_id,
                                container_id=-1 if reduced.container_id is None else reduced.container_id,
                                cell_ids=reduced.cell_ids, responses=reduced.responses,
                                trial_counts=reduced.trial_counts,
                                window_option=-1 if reduced.window_option is None else reduced.window_option)
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()
    return path


def load_reduced(path: Union[str, Path]) -> ReducedExperiment:
    """Read :func:`save_reduced`'s file; a damaged or foreign one is a DataError naming it."""
    import zipfile
    try:
        with np.load(path, allow_pickle=False) as saved:
            fields = {name: saved[name] for name in ("format", "experiment_id", "container_id", "cell_ids",
                                                      "responses", "trial_counts", "window_option")}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"reduced Allen experiment {path} is damaged or not one ({error})") from error
    responses = fields["responses"]
    if int(fields["format"]) != REDUCED_FORMAT or responses.ndim != 3 or responses.shape[0] != N_SCENES \
            or responses.shape[1] != len(fields["cell_ids"]) or fields["trial_counts"].shape != (N_SCENES,):
        raise DataError(f"reduced Allen experiment {path} has an unexpected layout")
    container, window = int(fields["container_id"]), int(fields["window_option"])
    return ReducedExperiment(int(fields["experiment_id"]), None if container < 0 else container,
                             fields["cell_ids"].astype(np.int64), responses.astype(np.float64),
                             fields["trial_counts"].astype(np.int64), None if window < 0 else window)


def as_reduced(source, window_frames: Optional[int] = None) -> ReducedExperiment:
    """An NWB file (reduced now), a saved reduced experiment (``.npz``) or a ReducedExperiment."""
    if isinstance(source, ReducedExperiment):
        reduced = source
    elif Path(source).suffix == ".npz":
        reduced = load_reduced(source)
    else:
        return reduce_experiment(source, window_frames)
    if reduced.window_option != window_frames:
        raise DataError(f"experiment {reduced.experiment_id} was reduced with window_frames="
                        f"{reduced.window_option}, not {window_frames}: reduce it again from its NWB file")
    return reduced


def _reliability(responses: np.ndarray, n_splits: int, seed: int, source) -> np.ndarray:
    try:
        return split_half_reliability(responses, n_splits=n_splits, seed=seed)
    except ValueError as error:
        raise DataError(f"{source}: {error}") from error


# --------------------------------------------------------------------------------------------- build
def _neuroid_coords(table: pd.DataFrame, experiment: ReducedExperiment, reliability: np.ndarray) -> dict:
    cre = table["tld1_name"].astype(str).to_numpy()
    depth = table["imaging_depth"].to_numpy().astype(np.int64)
    return {
        "cell_specimen_id": table.index.to_numpy().astype(np.int64),
        "mouse": np.array([str(int(v)) for v in table["specimen_id"]]),
        "area": table["area"].astype(str).to_numpy(),
        "imaging_depth": depth,
        "cortical_layer": np.array([cortical_layer(d, c) for d, c in zip(depth, cre)]),
        "cre_line": cre,
        "excitatory": np.array([is_excitatory(c) for c in cre], dtype=bool),
        "p_run_mod_ns": table["p_run_mod_ns"].to_numpy(dtype=np.float64),
        "reliability": reliability,
        "experiment_id": np.full(len(table), experiment.experiment_id, dtype=np.int64),
        "experiment_container_id": table["experiment_container_id"].to_numpy().astype(np.int64),
    }


def _cells_of(experiment: ReducedExperiment, table: pd.DataFrame, source) -> pd.DataFrame:
    missing = [int(c) for c in experiment.cell_ids if c not in table.index]
    if missing:
        raise DataError(f"{source}: cells {missing[:5]} are not in the cell-specimens table")
    cells = table.loc[experiment.cell_ids]
    if experiment.container_id is not None and \
            (cells["experiment_container_id"].astype(np.int64) != experiment.container_id).any():
        raise DataError(f"{source}: the cell table puts its cells in another experiment container "
                        f"than the file's {experiment.container_id}")
    return cells


def build_allen_assembly(sources: Iterable, cell_table, *,
                         include_failed: bool = False,
                         excitatory_only: bool = True,
                         max_p_run_mod: Optional[float] = 0.05,
                         min_reliability: Optional[float] = 0.8,
                         n_splits: int = 100,
                         seed: int = 0,
                         n_repetitions: int = N_REPETITIONS,
                         window_frames: Optional[int] = None) -> AllenBuild:
    """Every kept cell's trial responses to the 118 natural scenes, as one NeuroidAssembly.

    ``sources``: NWB files, reduced experiments (``.npz`` files of :func:`save_reduced`, or
    :class:`ReducedExperiment` objects) or a mix: the same numbers either way.

    Filters, in order (``None`` switches one off): cells of failed experiment containers dropped unless
    ``include_failed`` (AllenSDK's default); excitatory Cre lines only; cells with
    ``p_run_mod_ns < max_p_run_mod`` dropped; split-half reliability ``>= min_reliability`` kept.
    ``counts`` gives the neurons left after each step (also in ``assembly.attrs['count_<step>']``).
    """
    table = load_cell_table(cell_table)
    counts = dict.fromkeys(COUNT_STEPS, 0)
    values, coords = [], []
    for path in sources:
        experiment = as_reduced(path, window_frames)
        source = f"{path} (experiment {experiment.experiment_id})" if isinstance(path, (str, Path)) \
            else f"experiment {experiment.experiment_id}"
        cells = _cells_of(experiment, table, source)
        keep = np.ones(len(cells), dtype=bool)
        counts["cells"] += int(keep.sum())
        if not include_failed and "failed_experiment_container" in cells.columns:
            keep &= ~_failed(cells["failed_experiment_container"])
        counts["not_failed_container"] += int(keep.sum())
        if excitatory_only:
            keep &= np.array([is_excitatory(c) for c in cells["tld1_name"].astype(str)], dtype=bool)
        counts["excitatory"] += int(keep.sum())
        if max_p_run_mod is not None:
            # NaN: Allen could not test (too few running or stationary trials); kept.
            keep &= ~(cells["p_run_mod_ns"].to_numpy(dtype=np.float64) < max_p_run_mod)
        counts["not_running_modulated"] += int(keep.sum())

        reliability = np.full(len(cells), np.nan)
        tested = keep.copy()
        if tested.any():
            responses = padded_responses(experiment, n_repetitions)[:, tested]
            reliability[tested] = _reliability(responses, n_splits, seed, source)
            if min_reliability is not None:
                keep &= reliability >= min_reliability
        if keep.any():
            values.append(responses[:, keep[tested]])
            coords.append(_neuroid_coords(cells[keep], experiment, reliability[keep]))
        counts["reliable"] += int(keep.sum())
    if counts["reliable"] == 0:
        raise DataError(f"no neuron passed the Allen filters (neurons left after each step: {counts})")
    attrs = {f"count_{step}": n for step, n in counts.items()}
    attrs.update({
        "source": "Allen Brain Observatory Visual Coding 2P, natural_scenes (three_session_B), dF/F",
        "response_window": "mean dF/F over acquisition frames [start, start + window) of each presentation",
        "window_frames": "2 x presentation length" if window_frames is None else int(window_frames),
        "include_failed_containers": int(include_failed),
        "excitatory_only": int(excitatory_only),
        "max_p_run_mod_ns": "off" if max_p_run_mod is None else float(max_p_run_mod),
        "min_reliability": "off" if min_reliability is None else float(min_reliability),
        "reliability_n_splits": int(n_splits),
        "reliability_seed": int(seed),
    })
    merged = {key: np.concatenate([c[key] for c in coords]) for key in coords[0]}
    assembly = NeuroidAssembly.create(
        np.concatenate(values, axis=1), scene_ids(), merged["cell_specimen_id"].astype(str),
        presentation_coords={"scene_index": np.arange(N_SCENES)}, neuroid_coords=merged,
        repetition=True, attrs=attrs)
    return AllenBuild(assembly, counts)


def write_built(built: AllenBuild, output: Path) -> dict:
    """Write the assembly atomically (a file at ``output`` is whole); returns its filter counts."""
    import os

    from mousescore import save_netcdf
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.{os.getpid()}.part")
    try:
        save_netcdf(built.assembly, partial)
        os.replace(partial, output)
    finally:
        if partial.exists():
            partial.unlink()
    return built.counts


def build_from_folder(source: Union[str, Path], output: Path, **options) -> dict:
    """``mousescore data build allen --source DIR``: every ``*.nwb`` in ``source`` plus its cell-specimens
    table (``cell_specimens.json`` or ``.csv``) -> the assembly at ``output``."""
    source = Path(source)
    nwb_paths = sorted(source.glob("*.nwb"))
    tables = [source / name for name in ("cell_specimens.json", "cell_specimens.csv") if (source / name).exists()]
    if not nwb_paths or not tables:
        raise DataError(f"{source} needs the experiments' *.nwb files and cell_specimens.json (or .csv); "
                        f"`mousescore data build allen --download` fetches them itself")
    return write_built(build_allen_assembly(nwb_paths, tables[0], **options), output)


def build(source, **options):
    """``mousescore data build allen --source DIR``: the per-neuron assembly, written where the
    per-neuron benchmarks look for it; returns (its path, {filter step: neurons left})."""
    output = built_assembly_path()
    return output, build_from_folder(source, output, **options)
