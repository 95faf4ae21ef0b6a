"""Local results: one SQLite database under MOUSESCORE_HOME, one row per (model, benchmark).

What the store reads back is checked: a row's record must be a whole Score (its fields and types,
:func:`mousescore.results.record_schema.check_score_fields`) of the model and benchmark it is stored
under, else it is refused naming the row (it would be the wrong benchmark's score). A database that
cannot be used (corrupt, a folder in its place, read-only, a full disk) is a one-line
:class:`~mousescore.errors.MousescoreError` naming the file and what to do. The store never deletes or
rewrites a damaged database itself: the scores in it are the user's, and a failed write is rolled
back whole, so the scores stored before it are intact.

Each row also says which code computed it (:func:`mousescore.code_identity.code_identity`):
:meth:`ResultStore.get_with_code` gives it, so that a run reuses only what this code computed. A
store written before that column existed gains it on opening; its rows read as of unknown code.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import List, Optional, Tuple

from .. import config
from ..code_identity import code_identity
from ..errors import DataError, MousescoreError
from ..faults import checkpoint
from .record_schema import RecordError, check_score_fields
from .score import Score

INTACT = "the scores stored before are intact"
ELSEWHERE = "or set MOUSESCORE_HOME to another folder"
# below this much free space, a failed write is taken for a full disk
FULL_DISK_BYTES = 1 << 20


class ResultStore:
    def __init__(self, path: Optional[Path] = None):
        self.path = Path(path) if path else config.home() / "results.sqlite"
        self._make_folder()
        if self.path.exists() and not self.path.is_file():
            raise MousescoreError(f"the results store {self.path} is not a file (a folder or something else "
                                  f"is in its place): move it away, {ELSEWHERE}")
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS scores (model TEXT NOT NULL, benchmark TEXT NOT NULL,"
                       " record TEXT NOT NULL, created TEXT NOT NULL, code TEXT,"
                       " PRIMARY KEY (model, benchmark))")
            if "code" not in {column[1] for column in db.execute("PRAGMA table_info(scores)")}:
                db.execute("ALTER TABLE scores ADD COLUMN code TEXT")    # a store of mousescore <= 0.5.0

    def _make_folder(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise MousescoreError(_folder_problem(self.path, error)) from None

    @contextmanager
    def _connect(self):
        """One connection per use, committed as one transaction on success, always closed; a SQLite
        error is said as what it means for this file."""
        try:
            db = sqlite3.connect(self.path, timeout=60)
        except sqlite3.Error as error:
            raise _store_error(self.path, error) from None
        try:
            # WAL with synchronous=NORMAL: a crashed process still loses no committed row (only a power
            # loss could lose the last ones), and a commit costs no fsync (81 scores: 0.4 s -> 0.05 s).
            db.execute("PRAGMA synchronous=NORMAL")
            with db:
                yield db
        except sqlite3.Error as error:
            raise _store_error(self.path, error) from None
        finally:
            db.close()

    def get(self, model: str, benchmark: str) -> Optional[Score]:
        found = self.get_with_code(model, benchmark)
        return found[0] if found else None

    def get_with_code(self, model: str, benchmark: str) -> Optional[Tuple[Score, Optional[str]]]:
        """The stored score and the code identity that computed it (None: not recorded)."""
        with self._connect() as db:
            row = db.execute("SELECT record, code FROM scores WHERE model=? AND benchmark=?",
                             (model, benchmark)).fetchone()
        return (self._score(model, benchmark, row[0]), row[1]) if row else None

    def current(self, model: str, benchmark: str) -> Tuple[Optional[Score], Optional[str]]:
        """The stored score if this code computed it (else None), and, where a score of other code is
        stored, what computed it (a sentence for the log)."""
        found = self.get_with_code(model, benchmark)
        if found is None:
            return None, None
        score, code = found
        if code == code_identity():
            return score, None
        return None, (f"stored result was computed by mousescore {code or score.provenance.get('mousescore_version')}"
                      f"{'' if code else ' (code not recorded)'}, this is {code_identity()}")

    def put(self, score: Score) -> None:
        self.put_all([score])

    def put_all(self, scores: List[Score], code: Optional[str] = None) -> None:
        """Store scores in one transaction: all of them or, after a crash, none. ``code``: the code
        identity that computed them (None: this process's; a sweep's remote worker says its own)."""
        code = code or code_identity()
        rows = [(s.model, s.benchmark, s.to_json(), s.provenance.get("time", ""), code) for s in scores]
        with self._connect() as db:
            db.executemany("INSERT OR REPLACE INTO scores (model, benchmark, record, created, code)"
                           " VALUES (?, ?, ?, ?, ?)", rows)
            checkpoint("store-write")   # a crash here must leave the previous state intact

    def all(self) -> List[Score]:
        with self._connect() as db:
            rows = db.execute("SELECT model, benchmark, record FROM scores ORDER BY model, benchmark").fetchall()
        return [self._score(model, benchmark, record) for model, benchmark, record in rows]

    def _score(self, model: str, benchmark: str, text) -> Score:
        """The Score of a row, refused unless it is a whole score of the row's own model and benchmark."""
        where = f"results store {self.path}, row ({model}, {benchmark})"
        remedy = (f"delete that row (sqlite3 {self.path} \"DELETE FROM scores WHERE model='{model}' AND "
                  f"benchmark='{benchmark}'\") and score it again")
        try:
            values = json.loads(text)
        except (TypeError, ValueError) as error:
            raise DataError(f"{where}: the record is not JSON ({error}): {remedy}") from None
        try:
            check_score_fields(values, where)
        except RecordError as error:
            raise DataError(f"{error}: {remedy}") from None
        if (values["model"], values["benchmark"]) != (model, benchmark):
            raise DataError(f"{where} holds the score of ({values['model']}, {values['benchmark']}): it would "
                            f"be returned for the wrong model or benchmark; {remedy}")
        return Score(**values)


def _store_error(path: Path, error: sqlite3.Error) -> MousescoreError:
    """A SQLite error as a one-line error that says which file and what to do."""
    message = str(error)
    if type(error) is sqlite3.DatabaseError:   # not its subclasses (IntegrityError, ...): those are bugs
        # "file is not a database", "database disk image is malformed": the file itself is damaged
        return DataError(f"the results store {path} is corrupt ({message}): move it aside (to keep what it "
                         f"may still hold) and score again, or restore it from a backup, {ELSEWHERE}")
    if _read_only(path.parent) or "readonly" in message:
        return MousescoreError(f"cannot write the results store {path}: {path.parent} is read-only; make it "
                               f"writable, {ELSEWHERE} ({INTACT})")
    if "disk is full" in message or "disk I/O error" in message:
        return MousescoreError(f"cannot write the results store {path}: {_disk_state(path.parent)}; nothing "
                               f"of this write was stored and {INTACT}. Free space there, {ELSEWHERE}, and "
                               f"run again")
    if "locked" in message:
        return MousescoreError(f"the results store {path} stayed locked by another process for 60 s "
                               f"({message}): let that run finish, then run again")
    return MousescoreError(f"the results store {path} cannot be used ({message}): check the file and its "
                           f"folder, {ELSEWHERE}")


def _folder_problem(path: Path, error: OSError) -> str:
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"cannot create {path.parent} for the results store: read-only ({error.strerror}); {ELSEWHERE}"
    if error.errno == errno.ENOSPC:
        return f"cannot create {path.parent} for the results store: the disk is full; free space, {ELSEWHERE}"
    return f"cannot create {path.parent} for the results store ({error}); {ELSEWHERE}"


def _read_only(folder: Path) -> bool:
    """Whether nothing can be written in ``folder`` (a read-only mount, or no write permission)."""
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return not os.access(folder, os.W_OK)


def _disk_state(folder: Path) -> str:
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return "the disk failed a write"
    if free < FULL_DISK_BYTES:
        return f"the disk is full ({free:,} bytes free under {folder})"
    return (f"the disk failed a write (a full disk or quota, a file-size limit, or a failing disk; "
            f"{free:,} bytes free under {folder})")
