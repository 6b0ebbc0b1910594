"""Error types that ``ala`` raises for a user's mistake (never a traceback in app or CLI)."""

from __future__ import annotations


class AlaError(Exception):
    """Base class of every error caused by a user's input rather than by a bug."""


class DataError(AlaError, ValueError):
    """A data file or frame cannot be used; the message names the file, column and rows."""


class ModelFileError(AlaError, ValueError):
    """A saved model file is not a model, is damaged, or has an unknown format version."""


class UnknownConfigurationError(AlaError, KeyError):
    """A prediction asked for a hardware/software configuration the model never saw."""

    def __str__(self) -> str:  # KeyError would otherwise wrap the message in quotes
        return str(self.args[0]) if self.args else ""


class UnknownNameError(AlaError, ValueError):
    """A method, protocol or policy name that ``ala`` does not know."""


class WorkspaceError(AlaError):
    """The workspace database cannot be opened or written; the message names it and the fix."""
