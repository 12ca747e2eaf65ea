"""The one escaping helper of geo_env's HTML output.

folium escapes none of the strings it is given (popups, tooltips, GeoJson fields and
aliases, LayerControl names, the page title): every user-supplied string (village names,
ids, townships, species, reasons, layer names) goes through :func:`esc` before it reaches
folium or the map's data, and every data block embedded in a ``<script>`` goes through
:func:`script_json`.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["esc", "esc_series", "script_json"]

#: Characters replaced by :func:`esc`: HTML's five, and the three that matter inside
#: JavaScript template literals (`` ` ``, ``$``, ``\``).
_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
    "`": "&#96;",
    "$": "&#36;",
    "\\": "&#92;",
}
_TABLE = str.maketrans(_ESCAPES)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def esc(value: Any) -> str:
    """``value`` as text that is safe in HTML content, attributes and JS template literals.

    Missing values (None, NaN, pd.NA) become ``""``. The result can be inserted with
    ``innerHTML`` and shows exactly the original text.

    >>> esc('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    >>> esc("${x} `y` a\\\\b")
    '&#36;{x} &#96;y&#96; a&#92;b'
    """
    if _is_missing(value):
        return ""
    return str(value).translate(_TABLE)


def esc_series(values: pd.Series | np.ndarray | list[Any]) -> list[str]:
    """:func:`esc` applied to each value (vectorised over a column)."""
    s = pd.Series(values, dtype=object)
    missing = s.isna().to_numpy()
    text = s.astype(str)
    for char, entity in _ESCAPES.items():  # "&" first: entities are not escaped twice
        text = text.str.replace(char, entity, regex=False)
    out = text.to_list()
    for i in np.flatnonzero(missing):
        out[i] = ""
    return out


_SCRIPT_UNSAFE = str.maketrans({
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
})


def script_json(obj: Any) -> str:
    """JSON text that can sit inside a ``<script>`` element and cannot end it.

    ``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e`` and ``\\u0026`` (so
    ``</script>`` and ``<!--`` cannot occur), as are U+2028/U+2029.  The result is both
    valid JSON (for ``JSON.parse``) and a valid JavaScript expression.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.translate(_SCRIPT_UNSAFE)
