"""``allen_surrogate``: a SURROGATE per-trial Allen population, generated from the 21 real site RDMs.

Not recordings. Per-neuron Allen data cannot be fetched here, so this population exercises the
per-neuron path (assembly format of the builder, ``srp_ridge``, the inter-mouse score, both ceilings):

- trial-averaged responses X (118 scenes × n neurons) = shared tuning + private tuning. The shared part
  spans the top ``SHARED_RANK`` eigenvectors of the real site matrix C: X_s = F Qᵀ √n with F = V_k Λ_k^½
  and Q orthonormal, neuron-centred coefficients, so its second moment across neurons is exactly F Fᵀ.
  Each neuron adds private tuning, white across scenes, that fills the diagonal to 1; its expected
  second moment is diagonal, so C's off-diagonal structure is matched up to the rank-k truncation and
  sampling noise (the match is reported by ``surrogate_match``). Private tuning is what other mice
  cannot predict: the inter-mouse score comes out positive and below the ceiling, as in the paper,
  where an exact full-rank match would make every neuron a random mix of C's flat spectrum;
- the site's neurons are split across several surrogate mice (each mouse imaged at one site, as in
  the Allen data);
- each trial adds Gaussian noise whose size gives the neuron a target split-half reliability drawn from
  U(0.80, 0.95) (25/25 splits of 50 trials, Spearman–Brown), the paper's range.

Everything is seeded by the site name, so the same files always give the same population. Responses
are in arbitrary units (unit variance across neurons per scene), not dF/F.
"""
import zlib

import numpy as np

from mousescore import NeuroidAssembly, load_pickle

from .dataset import SITES
from .dataset import package as package_allen
from .scenes import N_SCENES, scene_ids

MICE_PER_SITE = 4
NEURONS_PER_MOUSE = 40
N_TRIALS = 50
RELIABILITY_RANGE = (0.80, 0.95)
CRE_BY_LAYER = {"layer23": "Cux2-CreERT2", "layer4": "Rorb-IRES2-Cre", "layer5": "Rbp4-Cre_KL100",
                "layer6": "Ntsr1-Cre_GN220"}
DEPTH_BY_LAYER = {"layer23": 175, "layer4": 275, "layer5": 375, "layer6": 550}
SHARED_RANK = 40


def population_with_correlation(similarity: np.ndarray, n_neurons: int, rng) -> np.ndarray:
    """(stimuli × n_neurons) responses whose stimulus-by-stimulus correlation approximates
    ``similarity``: exact rank-``SHARED_RANK`` shared part plus white private tuning (unit diagonal)."""
    eigenvalues, eigenvectors = np.linalg.eigh(similarity)
    top = np.argsort(eigenvalues)[::-1][:SHARED_RANK]
    factor = eigenvectors[:, top] * np.sqrt(np.clip(eigenvalues[top], 0, None))
    coefficients = rng.standard_normal((n_neurons, len(top)))
    coefficients -= coefficients.mean(axis=0)        # centre each stimulus' row across neurons
    basis, _ = np.linalg.qr(coefficients)            # orthonormal columns, still centred
    shared = factor @ basis.T * np.sqrt(n_neurons)
    private_sd = np.sqrt(np.clip(1 - (factor ** 2).sum(axis=1), 0, None))
    return shared + rng.standard_normal(shared.shape) * private_sd[:, None]


def surrogate_match(similarity: np.ndarray, trial_means: np.ndarray) -> float:
    """Pearson r between the real site matrix and the surrogate's scene correlation (upper triangles)."""
    upper = np.triu_indices(similarity.shape[0], k=1)
    return float(np.corrcoef(np.corrcoef(trial_means)[upper], similarity[upper])[0, 1])


def trial_noise_sd(trial_means: np.ndarray, reliability: np.ndarray, n_trials: int) -> np.ndarray:
    """Noise SD per neuron giving the target split-half (n/2 vs n/2, Spearman–Brown) reliability."""
    half = reliability / (2 - reliability)            # inverse Spearman–Brown
    signal = trial_means.var(axis=0, ddof=1)
    return np.sqrt(signal * (n_trials / 2) * (1 / half - 1))


def generate_site(similarity: np.ndarray, area: str, layer: str):
    rng = np.random.default_rng(zlib.crc32(f"allen_surrogate/{area}/{layer}".encode()))
    n_neurons = MICE_PER_SITE * NEURONS_PER_MOUSE
    means = population_with_correlation(similarity, n_neurons, rng)
    reliability = rng.uniform(*RELIABILITY_RANGE, size=n_neurons)
    sd = trial_noise_sd(means, reliability, N_TRIALS)
    trials = means[:, :, None] + rng.standard_normal((*means.shape, N_TRIALS)) * sd[None, :, None]
    mice = np.repeat([f"surrogate_{area}_{layer}_mouse{k}" for k in range(MICE_PER_SITE)], NEURONS_PER_MOUSE)
    ids = [f"surrogate_{area}_{layer}_n{i:03d}" for i in range(n_neurons)]
    return trials, ids, mice


def match_of(area: str, layer=None, cre_line=None) -> float:
    """Mean over the site's layers of the surrogate-vs-real match recorded at packaging."""
    from mousescore import load_dataset
    attrs = load_dataset("allen_surrogate")["responses"].attrs
    matches = dict(zip(attrs["match_sites"], attrs["match_r"]))
    layers = [layer] if layer else SITES[area]
    return float(np.mean([matches[f"{area}_{name}"] for name in layers]))


def package(files):
    similarity = load_pickle(files["rdms"])
    blocks, ids, matches = [], [], []
    coords = {k: [] for k in ("mouse", "area", "cortical_layer", "cre_line", "imaging_depth", "excitatory")}
    for area, layers in SITES.items():
        for layer in layers:
            matrix = np.asarray(similarity[area][layer], dtype=np.float64)[:N_SCENES, :N_SCENES]
            trials, site_ids, mice = generate_site(matrix, area, layer)
            matches.append(surrogate_match(matrix, trials.mean(axis=2)))
            blocks.append(trials.astype(np.float32))
            ids += site_ids
            coords["mouse"] += list(mice)
            coords["area"] += [area] * len(site_ids)
            coords["cortical_layer"] += [layer] * len(site_ids)
            coords["cre_line"] += [CRE_BY_LAYER[layer]] * len(site_ids)
            coords["imaging_depth"] += [DEPTH_BY_LAYER[layer]] * len(site_ids)
            coords["excitatory"] += [True] * len(site_ids)
    responses = NeuroidAssembly.create(
        np.concatenate(blocks, axis=1), scene_ids(), ids, neuroid_coords=coords, repetition=True,
        attrs={"surrogate": "SURROGATE DATA generated from the real Allen site RDMs; not recordings",
               "mice_per_site": MICE_PER_SITE, "neurons_per_mouse": NEURONS_PER_MOUSE,
               "shared_rank": SHARED_RANK,
               "match_sites": [f"{area}_{layer}" for area in SITES for layer in SITES[area]],
               "match_r": matches})
    return {"stimuli": package_allen(files)["stimuli"], "responses": responses}
