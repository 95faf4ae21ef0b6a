"""Errors the user can act on. The CLI prints them as one line and exits with status 2."""
import difflib


class MousescoreError(Exception):
    """Base class: a problem with the user's input, files or environment, not a bug."""


class UnknownIdentifier(MousescoreError, KeyError):
    def __init__(self, kind: str, identifier: str, known):
        self.kind, self.identifier = kind, identifier
        self.suggestions = difflib.get_close_matches(identifier, list(known), n=5, cutoff=0.5)
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown {kind} '{identifier}'.{hint} "
                         f"(`mousescore list {kind}s` shows all)")

    def __str__(self):  # KeyError would otherwise quote the message
        return self.args[0]


class DuplicateIdentifier(MousescoreError):
    pass


class DataError(MousescoreError):
    """A data or weights file is missing, corrupt or malformed."""


class ChecksumMismatch(DataError):
    pass
