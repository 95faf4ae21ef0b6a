"""Taskonomy task encoders (Conwell et al. 2021, §2.3 "Neural Taskonomy"): one architecture, 24 tasks.

Models: ``taskonomy_<task>`` is the encoder trained on that Taskonomy task (PyTorch port by visualpriors
0.3.5, the weights the paper used), for the 24 tasks in :mod:`.tasks`; ``taskonomy_<task>-random`` is
its seeded random-init variant.

The 24 ``-random`` variants are one and the same network: the encoder's architecture does not depend
on the task and every variant is built with the same seed (0), so all 24 have identical weights and
give identical scores. The paper, too, had a single random Taskonomy encoder (DeepMouseTrap's
``random_weights``); each trained id gets its own ``-random`` id only because mousescore pairs every
trained network X with X-random. Aggregate over one of them, not all 24.

Metadata: ``task`` (visualpriors key), ``task_name``, ``task_cluster`` — the paper's four clusters
(2D, 3D, Semantic, Geometric; the denoising autoencoder, Taskonomy's only 'Other', lumped into 2D) —
and ``task_category``, the five-way Taskonomic category before lumping.

Listing imports neither torch nor visualpriors; :mod:`.build` is imported only when a model is built or
its weights looked for (``list models --available``), and imports neither at the top.
"""
from dataclasses import replace

from mousescore import hookimpl, trained_and_random

from .tasks import TASKS, VISUALPRIORS_VERSION

SEED = 0
INPUT_SIZE = 256
PARAMETERS = 23_655_504   # visualpriors TaskonomyEncoder (asserted in the tests)
RANDOM_NOTE = ("all taskonomy_*-random models are the same network (one architecture, seed 0); "
               "the paper had one random Taskonomy encoder")


def _builder(task: str):
    def build(trained: bool, seed: int):
        from .build import build as build_encoder
        return build_encoder(task, trained, seed)
    return build


def _locate(task: str):
    def locate():
        from .build import locate as locate_weights_file  # imports no torch
        return locate_weights_file(task)
    return locate


def identifier(task: str) -> str:
    return f"taskonomy_{task}"


@hookimpl
def mousescore_models():
    specs = []
    for task in TASKS:
        metadata = {"family": "taskonomy", "source": f"visualpriors {VISUALPRIORS_VERSION}",
                    "architecture": "taskonomy_encoder (ResNet-50 variant)",
                    "architecture_class": "convolutional", "task": task.key, "task_name": task.name,
                    "task_cluster": task.cluster, "task_category": task.category,
                    "training_data": "taskonomy", "input_size": INPUT_SIZE, "parameters": PARAMETERS}
        trained, random = trained_and_random(identifier(task.key), _builder(task.key), metadata,
                                             f"Taskonomy: {task.key}", seed=SEED, weights=_locate(task.key))
        specs += [replace(trained, metadata={**trained.metadata, "weights_url": task.url,
                                             "weights_sha256": task.sha256}),
                  replace(random, metadata={**random.metadata, "note": RANDOM_NOTE})]
    return specs
