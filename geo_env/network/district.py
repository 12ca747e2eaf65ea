"""The road network of a District: built once per roads layer and options, and cached.

The cache holds the last :data:`_CACHE_SIZE` networks, keyed on a fingerprint of the
road coordinates and the ``[layers.roads]`` options, so every analysis of a district
(waste coverage, siting, sewer routes) shares one network and changed roads are rebuilt.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from ..errors import ParameterError
from .lines import _line_geometries
from .roads import RoadNetwork

if TYPE_CHECKING:
    from ..io.project import District

__all__ = ["road_network"]

_CACHE: OrderedDict[tuple[Any, ...], RoadNetwork] = OrderedDict()
_CACHE_SIZE = 4


def road_network(district: District) -> RoadNetwork:
    """The road network of a District, built with its ``[layers.roads]`` options.

    Built once per roads layer and options (the result is cached on a fingerprint of the
    coordinates, so changed roads are rebuilt).

    Raises
    ------
    ParameterError
        The district has no roads layer.
    """
    roads = district.roads
    if roads is None:
        raise ParameterError(
            "road distances need a roads layer",
            hint="add [layers.roads] to the project file, or set [waste] metric = \"straight\"",
        )
    p = {**_road_defaults(), **(district.params.get("roads") or {})}
    geoms, _ = _line_geometries(roads)
    h = hashlib.sha1()
    xy, idx = shapely.get_coordinates(geoms, return_index=True)
    h.update(np.ascontiguousarray(xy).tobytes())
    h.update(np.ascontiguousarray(idx).tobytes())
    key = (h.hexdigest(), len(geoms), float(p["snap_tolerance_m"]), bool(p["node_crossings"]),
           str(getattr(roads, "crs", None)))
    net = _CACHE.get(key)
    if net is None:
        net = RoadNetwork.from_lines(roads, snap_tolerance_m=p["snap_tolerance_m"],
                                     node_crossings=p["node_crossings"])
        _CACHE[key] = net
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return net


def _road_defaults() -> dict[str, Any]:
    from ..standards import defaults

    return defaults("roads")
