"""The public exception and warning classes of geo_env.

Every error a user can cause by their input is a :class:`GeoEnvError`, which is a
:class:`ValueError` (and, where it fits, also another builtin such as
:class:`FileNotFoundError`).  Messages say *where* (file, layer, column, row) and
*what to do next*; the CLI prints them as one line and exits with status 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from os import PathLike

__all__ = [
    "GeoEnvError",
    "ProjectFileError",
    "ParameterError",
    "InputFileNotFoundError",
    "LayerNotFoundError",
    "ColumnNotFoundError",
    "EmptyLayerError",
    "DuplicateIdError",
    "GeometryTypeError",
    "CoordinateError",
    "CRSError",
    "DataValueError",
    "EncodingError",
    "OutputError",
    "GeoEnvWarning",
    "DataWarning",
    "closest",
]


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The choice most similar to ``name`` (case-insensitive), or None if none is close."""
    choices = [str(c) for c in choices]
    lowered = {c.lower(): c for c in choices}
    hit = difflib.get_close_matches(str(name).lower(), list(lowered), n=1, cutoff=0.5)
    if hit:
        return lowered[hit[0]]
    # a substring is a good hint too ("pop" -> "population")
    for c in choices:
        if str(name).lower() in c.lower() or c.lower() in str(name).lower():
            return c
    return None


class GeoEnvError(ValueError):
    """Base class of every geo_env input error.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    file, layer, column, row
        Where it is wrong; each is optional. ``row`` is what a person looking at the
        file would call the row (spreadsheet row number, or 1-based feature number).
    hint
        What to do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | PathLike[str] | None = None,
        layer: str | None = None,
        column: str | None = None,
        row: int | str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.layer = layer
        self.column = column
        self.row = row
        self.hint = hint
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.layer:
            where.append(f"layer '{self.layer}'")
        if self.column:
            where.append(f"column '{self.column}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        message = self.message.rstrip(".")
        text = (", ".join(where) + ": " if where else "") + message
        text += "" if message.endswith(("?", "!")) else "."
        if self.hint:
            hint = self.hint.rstrip(".")
            text += " " + hint[:1].upper() + hint[1:] + ("" if hint.endswith(("?", "!")) else ".")
        return " ".join(text.split("\n"))

    def __str__(self) -> str:  # KeyError-style quoting never applies
        return self._compose()


class ProjectFileError(GeoEnvError):
    """The project file is not valid TOML, has an unknown key, or a bad value."""


class ParameterError(GeoEnvError):
    """A parameter (radius, distance, cost, choice) is out of its valid range."""


class InputFileNotFoundError(GeoEnvError, FileNotFoundError):
    """An input file named by the project or the caller does not exist."""


class LayerNotFoundError(GeoEnvError):
    """The file exists but has no layer (or sheet) of the requested name."""


class ColumnNotFoundError(GeoEnvError):
    """A required or mapped column is not in the layer."""


class EmptyLayerError(GeoEnvError):
    """A layer has no features (or none left after dropping empty geometries)."""


class DuplicateIdError(GeoEnvError):
    """Ids that must be unique are repeated."""


class GeometryTypeError(GeoEnvError, TypeError):
    """The geometries are of the wrong kind for the layer (e.g. lines for villages)."""


class CoordinateError(GeoEnvError):
    """Coordinates that cannot be right: swapped, unparseable, outside any valid range."""


class CRSError(GeoEnvError):
    """A coordinate reference system is missing, unknown or does not fit the data."""


class DataValueError(GeoEnvError):
    """A value in a data column is missing, not a number, or out of range."""


class EncodingError(GeoEnvError):
    """Text in a file cannot be decoded with any plausible encoding."""


class OutputError(GeoEnvError):
    """The output folder cannot take the files (a file in its place, no permission)."""


class GeoEnvWarning(UserWarning):
    """Something was repaired or assumed; the result is usable but check it."""


class DataWarning(GeoEnvWarning):
    """Input data were repaired (dropped empty geometries, fixed polygons …)."""


def format_rows(rows: Sequence[object], limit: int = 10) -> str:
    """``"2, 5, 9"`` or ``"2, 5, 9, … (14 in all)"`` for messages."""
    shown = ", ".join(str(r) for r in list(rows)[:limit])
    if len(rows) > limit:
        shown += f", … ({len(rows)} in all)"
    return shown
