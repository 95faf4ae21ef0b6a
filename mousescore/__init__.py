"""mousescore: score image-computable networks against mouse visual cortex."""
import pluggy

__version__ = "0.1.0"

#: Decorator marking a plugin's hook implementations (``@hookimpl def mousescore_models(): ...``).
hookimpl = pluggy.HookimplMarker("mousescore")
