"""The static leaderboard site, built from result records alone: the analyses, their figures, the
pages and their assets (no torch, no numerics)."""
