"""Livestock species (畜种): the codes geo_env uses and the names planners write for them.

English and Chinese names, any case, width or spacing (``"Dairy cow"``, ``"dairy_cow"``,
``" 奶牛 "``) map to one code of :data:`SPECIES`.  The readers check a farms layer's names
with :func:`parse_species`; the livestock analysis converts head counts by code.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataValueError, format_rows

__all__ = ["SPECIES", "parse_species", "species_code"]

#: Canonical species codes.
SPECIES = ("pig", "dairy_cow", "beef_cattle", "sheep", "layer", "broiler", "poultry")

_ALIASES: dict[str, tuple[str, ...]] = {
    "pig": ("pig", "pigs", "hog", "hogs", "swine", "生猪", "猪", "肉猪", "育肥猪", "商品猪"),
    "dairy_cow": ("dairy_cow", "dairy cow", "dairy cows", "dairy cattle", "dairy", "奶牛", "乳牛"),
    "beef_cattle": ("beef_cattle", "beef cattle", "beef", "肉牛", "菜牛"),
    "sheep": ("sheep", "goat", "goats", "sheep and goats", "羊", "山羊", "绵羊", "肉羊", "湖羊"),
    "layer": ("layer", "layers", "laying hen", "laying hens", "蛋鸡", "蛋禽"),
    "broiler": ("broiler", "broilers", "meat chicken", "肉鸡", "肉禽"),
    "poultry": ("poultry", "chicken", "chickens", "duck", "ducks", "goose", "geese",
                "家禽", "鸡", "鸭", "鹅"),
}


def _norm(text: object) -> str:
    """Case-, width- and whitespace-insensitive form of a species name."""
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    return re.sub(r"[\s_\-]+", " ", s)


_LOOKUP: dict[str, str] = {_norm(a): code for code, names in _ALIASES.items() for a in names}


def species_code(name: object) -> str | None:
    """The code of one species name (see the module's rules), or None if it is unknown."""
    return _LOOKUP.get(_norm(name))


def _accepted_names() -> str:
    return "; ".join(f"{code}: {', '.join(names[1:])}" for code, names in _ALIASES.items())


def parse_species(values: Iterable[object], *, layer: str = "livestock_farms", column: str = "species",
                  ids: Iterable[object] | None = None, rows: Iterable[int | str] | None = None,
                  file: str | None = None) -> np.ndarray:
    """Canonical species codes (:data:`SPECIES`) for English or Chinese names.

    Case, full-width characters, spaces, hyphens and underscores do not matter
    (``"Dairy cow"``, ``"dairy_cow"``, ``" 奶牛 "`` are all ``"dairy_cow"``).

    Raises
    ------
    DataValueError
        For an unknown or missing name, naming the row (1-based feature number, or the
        labels given as ``rows``; the feature's id too when ``ids`` are given), the value
        and the accepted names.
    """
    vals = list(values)
    codes = np.array([_LOOKUP.get(_norm(v)) if not _isna(v) else None for v in vals],
                     dtype=object)
    bad = np.flatnonzero(pd.isna(codes))
    if len(bad):
        i = int(bad[0])
        labels: list[int | str] = [int(b) + 1 for b in range(len(vals))] if rows is None else list(rows)
        others = f" (rows with unknown species: {format_rows([labels[b] for b in bad])})" \
            if len(bad) > 1 else ""
        which = "" if ids is None else f" of farm {list(ids)[i]!r}"
        raise DataValueError(
            f"unknown species {vals[i]!r}{which}{others}",
            file=file, layer=layer, column=column, row=labels[i],
            hint=f"use one of the accepted names — {_accepted_names()} ('牛' alone is "
                 "ambiguous: write 奶牛 or 肉牛)",
        )
    return codes


def _isna(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False
