"""Closed lists of option values, shared by the CLI, the loader, the analyses and the outputs
(a light module: the CLI imports it without loading the geospatial stack)."""

from __future__ import annotations

#: Languages of labels, tables and reason sentences.
LANGS = ("zh", "en")
#: Map backgrounds; every one is optional decoration, the map is complete without tiles.
BASEMAPS = ("none", "osm", "tianditu", "amap")
#: The sewage modes, in the order used for ties, tables and legends.
SEWAGE_MODES = ("connect", "centralized", "cluster", "household")
