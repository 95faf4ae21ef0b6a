"""``python -m mousescore.cli``: the ``mousescore`` command."""
import sys

from . import main

if __name__ == "__main__":   # guarded: tools that import every module (pkgutil.walk_packages) must not run it
    sys.exit(main())
