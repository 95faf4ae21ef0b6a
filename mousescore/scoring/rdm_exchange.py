"""RDMs in and out as rsatoolbox objects, so mousescore's RSA can be checked against, and fed from, rsatoolbox.

- :func:`benchmark_rdms`: a benchmark's neural RDMs (or, for a per-neuron benchmark, the RDM of its
  responses) as ``rsatoolbox.rdm.RDMs``;
- :func:`layer_rdms`: a model's layer RDMs (1 − Pearson r between stimuli, as the ``rsa`` metric sees them);
- :func:`rdms_benchmark`: an ``RDMs`` object as an own-data RSA target (``custom.<name>-rsa``).

rsatoolbox is optional (``pip install 'mousescore[rsa]'``) and imported only inside these functions.
Conventions kept on both sides: patterns are named by the pattern descriptor ``stimulus_id``, one RDM
per site (rdm descriptor ``site``, with ``ceiling``), dissimilarities in rsatoolbox's vector form (the
upper triangle, row by row: the pairs mousescore's RSA compares).
"""
from __future__ import annotations

import hashlib
from collections import Counter
from typing import Optional, Sequence

import numpy as np

from ..data.assemblies import StimulusSet
from ..errors import DataError, MousescoreError
from ..extraction.extract import LayerFeatures
from ..extraction.functions import select_layers
from ..numerics import reductions
from ..numerics.rsa import rdm
from ..registry.plugins import Registry
from .benchmark import Benchmark, rdm_benchmark, stimulus_order

CORRELATION = "correlation"
# Names rsatoolbox and its users give 1 − Pearson r; any other measure is accepted and recorded.
CORRELATION_LIKE = {"correlation", "corr", "pearson", "1-r", "1 - r", "1-pearson", "correlation distance"}
NO_CEILING = "none: RDMs alone have no repeats"


def _rsatoolbox():
    try:
        import rsatoolbox.rdm
    except ImportError as error:
        raise MousescoreError("exchanging RDMs needs rsatoolbox: pip install 'mousescore[rsa]'") from error
    return rsatoolbox


def benchmark_rdms(benchmark: Benchmark):
    """The benchmark's neural RDMs as ``rsatoolbox.rdm.RDMs``, patterns in the order of its stimuli.

    An RSA benchmark (target: sites × n × n) gives one RDM per site, with its site name and ceiling.
    Any other benchmark whose target is responses (stimuli × neurons, trial means) gives one RDM,
    site ``'all'``: 1 − Pearson r between the stimuli's responses over the neurons with a finite
    response to every stimulus, ceiling NaN (a per-neuron ceiling says nothing of the RDM's).
    """
    rsatoolbox = _rsatoolbox()
    stimulus_ids = [str(s) for s in benchmark.stimuli.stimulus_ids()]
    n = len(stimulus_ids)
    try:
        target = np.asarray(benchmark.target, dtype=np.float64)
    except (TypeError, ValueError):    # a plugin metric's own kind of target
        target = None
    descriptors = {"benchmark": benchmark.identifier, "dataset": benchmark.dataset,
                   "stimulus_set": benchmark.stimuli.identifier}
    if target is not None and target.shape == (len(benchmark.unit_ids), n, n):
        matrices, sites = target, [str(u) for u in benchmark.unit_ids]
        ceilings = np.asarray(benchmark.unit_ceilings, dtype=np.float64)
        descriptors.update(source="neural RDMs", ceiling_kind=benchmark.ceiling_kind)
    elif target is not None and target.ndim == 2 and target.shape[0] == n:
        finite = np.isfinite(target).all(axis=0)      # a neuron missing a stimulus has no place in the RDM
        if finite.sum() < 2:
            raise DataError(f"{benchmark.identifier}: fewer than 2 neurons respond finitely to every stimulus; "
                            f"no RDM can be formed")
        matrices, sites, ceilings = rdm(target[:, finite])[None], ["all"], np.array([np.nan])
        descriptors.update(source=f"RDM of the trial-mean responses of {int(finite.sum())} neurons "
                                  f"({int((~finite).sum())} with missing responses left out)",
                           ceiling_kind=NO_CEILING)
    else:
        raise DataError(f"{benchmark.identifier}: its target ({type(benchmark.target).__name__} of shape "
                        f"{getattr(benchmark.target, 'shape', '?')}) is neither sites × {n} × {n} RDMs nor "
                        f"{n} stimuli × neurons responses")
    return rsatoolbox.rdm.RDMs(matrices, dissimilarity_measure=CORRELATION, descriptors=descriptors,
                               rdm_descriptors={"site": sites, "ceiling": list(ceilings)},
                               pattern_descriptors={"stimulus_id": stimulus_ids})


def layer_rdms(features: LayerFeatures, layers: Optional[Sequence[str]] = None):
    """The model's layer RDMs (1 − Pearson r between stimuli) as ``rsatoolbox.rdm.RDMs``, one per layer.

    From the correlation reduction the ``rsa`` metric asks for (extraction keeps no raw activations):
    the RDM mousescore's RSA scores. ``layers``: names or globs (default: every layer with finite
    activations, in execution order); a chosen layer with NaN or infinite activations is an error.
    A layer whose RDM is rounding (:func:`mousescore.numerics.layer_rdm_triangle`) is exported as
    computed, though RSA gives it no score.
    """
    rsatoolbox = _rsatoolbox()
    finite_layers = [layer for layer in features.layers if layer not in features.nonfinite]
    chosen = finite_layers if layers is None else select_layers(features.layers, layers, "the features")
    if not chosen:
        raise DataError("no layer with finite activations to form an RDM of")
    key = reductions.correlation()
    matrices = []
    for layer in chosen:
        if layer in features.nonfinite:
            raise DataError(f"layer {layer!r} has NaN or infinite activations: it has no RDM")
        correlation = features.reduced.get(layer, {}).get(key)
        if correlation is None:
            raise MousescoreError(f"layer {layer!r} has no correlation matrix: extract with the reduction "
                                  f"mousescore.numerics.reductions.correlation() (the rsa metric's)")
        matrices.append(1.0 - np.asarray(correlation, dtype=np.float64))   # what numerics.rsa.rdm gives
    return rsatoolbox.rdm.RDMs(np.stack(matrices), dissimilarity_measure=CORRELATION,
                               rdm_descriptors={"layer": list(chosen)},
                               pattern_descriptors={"stimulus_id": [str(s) for s in features.stimulus_ids]})


def rdms_benchmark(rdms, stimuli: StimulusSet, name: Optional[str] = None, ceilings=None,
                   registry: Optional[Registry] = None) -> Benchmark:
    """An RSA benchmark (``custom.<name>-rsa``) against the RDMs of an ``rsatoolbox.rdm.RDMs``, one site each.

    Patterns are matched to ``stimuli`` by the pattern descriptor ``stimulus_id`` (the same set of ids,
    in any order), or by position when it is absent (then the counts must agree). Sites are named by
    the rdm descriptor ``site`` (else ``<name>_<i>``); ``ceilings`` (one per RDM) default to the rdm
    descriptor ``ceiling``, else NaN. Any dissimilarity measure is accepted (Pearson r between the
    triangles is defined whatever it is, though the score then compares two measures): it is kept in
    ``metadata`` and, unless it is a correlation distance, said in the ceiling kind, so every score
    records it.
    """
    rsatoolbox = _rsatoolbox()
    if not isinstance(rdms, rsatoolbox.rdm.RDMs):
        raise MousescoreError(f"rdms_benchmark takes an rsatoolbox.rdm.RDMs, not a {type(rdms).__name__} "
                              f"(an array of RDMs goes to mousescore.rdm_benchmark)")
    name = name or "rdms"
    bad = (~np.isfinite(np.asarray(rdms.get_vectors(), dtype=np.float64))).sum(axis=1)   # per RDM
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(f"RDM {first} has {int(bad[first])} NaN or infinite dissimilarities ({int((bad > 0).sum())} "
                        f"RDMs have some); mousescore's RSA compares every pair of stimuli: fill them or leave "
                        f"those stimuli out")
    pattern_ids = _pattern_ids(rdms, stimuli)
    try:
        stimulus_order(stimuli, pattern_ids, "RDM patterns")      # the same ids, or which differ
    except DataError as error:
        raise DataError(f"{error}; patterns are matched to the stimuli by the pattern descriptor 'stimulus_id'"
                        ) from error
    matrices = np.asarray(rdms.get_matrices(), dtype=np.float64)
    sites = [str(s) for s in rdms.rdm_descriptors.get("site", [f"{name}_{i}" for i in range(rdms.n_rdm)])]
    kind = rdms.descriptors.get("ceiling_kind", "given with the RDMs (rdm descriptor 'ceiling')")
    if ceilings is not None:
        kind = "given by the caller"
    elif "ceiling" in rdms.rdm_descriptors:
        ceilings = rdms.rdm_descriptors["ceiling"]
    else:
        ceilings, kind = [np.nan] * rdms.n_rdm, NO_CEILING
    ceilings = np.asarray(ceilings, dtype=np.float64).reshape(-1)
    if len(ceilings) != rdms.n_rdm:
        raise DataError(f"{len(ceilings)} ceilings for {rdms.n_rdm} RDMs")
    measure = str(rdms.dissimilarity_measure) if rdms.dissimilarity_measure is not None else "unspecified"
    if measure.lower() not in CORRELATION_LIKE:
        kind += f"; the neural RDMs' dissimilarity is {measure!r}, the model's 1 - Pearson r"
    digest = hashlib.sha256(matrices.tobytes() + "\n".join(pattern_ids).encode()).hexdigest()[:12]
    metadata = {"dissimilarity_measure": measure, "sites": sites,
                "source": f"rsatoolbox RDMs of {rdms.descriptors.get('benchmark', 'unnamed origin')}"}
    return rdm_benchmark(f"custom.{name}-rsa", f"custom:{digest}", stimuli, matrices, pattern_ids, sites, ceilings,
                         kind, metadata=metadata, registry=registry)


def _pattern_ids(rdms, stimuli: StimulusSet) -> list:
    """The RDMs' stimulus ids, one per pattern: the descriptor ``stimulus_id``, else the stimuli's own."""
    if "stimulus_id" not in rdms.pattern_descriptors:
        if rdms.n_cond != stimuli.sizes["presentation"]:
            raise DataError(f"the RDMs have {rdms.n_cond} patterns and no pattern descriptor 'stimulus_id' "
                            f"for {stimuli.sizes['presentation']} stimuli: name the patterns or give as many stimuli")
        return [str(s) for s in stimuli.stimulus_ids()]
    ids = [s.decode() if isinstance(s, bytes) else str(s) for s in rdms.pattern_descriptors["stimulus_id"]]
    duplicates = sorted(s for s, count in Counter(ids).items() if count > 1)
    if duplicates:
        raise DataError(f"duplicate stimulus ids in the RDMs' pattern descriptor 'stimulus_id': {duplicates[:5]}")
    return ids
