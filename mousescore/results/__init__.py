"""Results: the Score, the local SQLite store, and the leaderboard's JSON result records."""
from .records import read_records
from .score import Score
from .store import ResultStore

__all__ = ["read_records", "ResultStore", "Score"]
