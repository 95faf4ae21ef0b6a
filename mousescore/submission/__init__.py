"""Getting a model onto the leaderboard: the ``new-plugin`` scaffold and the ``submission check``."""
