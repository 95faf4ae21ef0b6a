"""Reproducible random initialisation without disturbing the caller's random state."""
from contextlib import contextmanager


@contextmanager
def seeded(seed: int):
    import random

    import numpy as np
    import torch
    python_state, numpy_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        try:
            yield
        finally:
            random.setstate(python_state)
            np.random.set_state(numpy_state)
