"""What model plugins build networks with: trained weights offline-first, seeded random init, and the
architecture tables shipped beside the plugins."""
from .random_init import seeded
from .tables import read_table
from .weights import load_state_dict, resolve_weights, weights_provenance

__all__ = ["load_state_dict", "read_table", "resolve_weights", "seeded", "weights_provenance"]
