"""Step 1 of the sewage analysis (with :mod:`.demand`): the town sewage plants villages may
connect to (:class:`Plants`).

A plant's spare capacity is capacity − load (m³/d, never below 0); a plant whose
``status`` is ``stopped`` has none (the villages it served are flagged to rectify:
:mod:`.existing`; plants building or planned take villages as if built).  A blank capacity is
unknown: the plant takes no villages (the reader warns); a blank load counts as 0.  A
plant given as a polygon is placed at a point on its surface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np

from ..._geometry import facility_points
from ...io.project import District
from ...io.status import status_codes
from ._arrays import Floats, Objects
from .params import number_column

__all__ = ["Plants", "read_plants", "plant_label"]


@dataclass(frozen=True)
class Plants:
    """The sewage plants (one value per plant; empty arrays without plants).

    Attributes
    ----------
    layer
        The district's ``sewage_plants`` layer; None without plants.
    xy
        Point of each plant, array (m, 2) of x, y in the working CRS (m).
    capacity_m3_per_day
        Treatment capacity (m³/d); NaN where unknown.
    load_m3_per_day
        Present load (m³/d); 0 where unknown.
    spare_m3_per_day
        Capacity left for villages (m³/d): capacity − load, at least 0; 0 where the capacity
        is unknown.
    ids, names
        Plant ids (str; "0", "1" … without an ``id`` column) and names (the ids without a
        ``name`` column).
    labels
        How each plant is named in the reasons: (zh, en).
    """

    layer: gpd.GeoDataFrame | None
    xy: Floats
    capacity_m3_per_day: Floats
    load_m3_per_day: Floats
    spare_m3_per_day: Floats
    ids: Objects
    names: Objects
    labels: tuple[tuple[str, str], ...]

    @property
    def count(self) -> int:
        """Number of plants."""
        return len(self.xy)


def read_plants(district: District) -> Plants:
    """The plants of ``district`` with their spare capacity.

    Raises :class:`~geo_env.errors.ColumnNotFoundError` without a ``capacity_m3_per_day``
    or ``load_m3_per_day`` column, :class:`~geo_env.errors.DataValueError` naming the rows
    whose values are not numbers of 0 or more.
    """
    plants = district.sewage_plants
    if plants is None or len(plants) == 0:
        empty = np.zeros(0, dtype=object)
        return Plants(None, np.zeros((0, 2)), np.zeros(0), np.zeros(0), np.zeros(0), empty, empty, ())
    # a blank capacity is unknown: the plant takes no villages (warned by the reader)
    cap = number_column(plants, "capacity_m3_per_day", "sewage_plants", blanks=True)
    load = np.nan_to_num(number_column(plants, "load_m3_per_day", "sewage_plants", blanks=True), nan=0.0)
    pxy = facility_points(plants)
    spare = np.maximum(np.nan_to_num(cap - load, nan=0.0), 0.0)
    if "status" in plants.columns:  # a stopped plant takes no new villages (its own are rectified)
        status = status_codes(plants["status"], "facility", layer="sewage_plants", column="status")
        spare[(status == "stopped").to_numpy()] = 0.0
    pid = plants["id"].astype(str).to_numpy() if "id" in plants.columns else np.arange(len(plants)).astype(str)
    pname = plants["name"].to_numpy(dtype=object) if "name" in plants.columns else pid
    labels = tuple(plant_label(a, b) for a, b in zip(pname, pid))
    return Plants(plants, pxy, cap, load, spare, pid, pname, labels)


def plant_label(name: Any, pid: Any) -> tuple[str, str]:
    """How a plant is named in reasons: (zh, en), e.g. ('石门镇污水处理站（WS03）', '石门镇污水处理站 (WS03)')."""
    name = "" if name is None or str(name).strip().lower() in ("", "nan", "none") else str(name).strip()
    pid = "" if pid is None else str(pid).strip()
    if name and pid and name != pid:
        return f"{name}（{pid}）", f"{name} ({pid})"
    if name:
        return name, name
    return f"污水厂{pid}", f"plant {pid}"
