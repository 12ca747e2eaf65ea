"""The waste chain's result record (:class:`WasteChain`) and its ``summary.json`` block.

:func:`~.waste_chain.waste_chain` fills it; :mod:`.waste_report` lays it out as tables and
layers.  Tonnes per day (t/d), distances in km, money in yuan/year, shares 0–1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .collection import Collection
from .waste_links import ChainSettings

__all__ = ["WasteChain", "MAX_PLAN_CANDIDATES", "STATION_COLUMNS", "NOTES", "records"]

#: Most candidate sites the capacitated siting weighs besides the coverage siting's sites.
MAX_PLAN_CANDIDATES = 200

#: Columns the chain adds to the transfer stations (plan.gpkg, report).
STATION_COLUMNS = ("load_t_per_day", "peak_load_t_per_day", "utilisation", "peak_utilisation", "overloaded",
                   "overflow_t_per_day", "utilisation_note", "villages_served", "facility_id", "haul_km",
                   "trips_per_day", "tonne_km_per_year", "haul_cost_yuan_per_year")


@dataclass
class WasteChain:
    """The waste chain of a district (see the module docstring).

    Attributes
    ----------
    settings
        The parameters used.
    villages
        Per village (index of the villages): ``population generation_kg_per_person_day
        waste_t_per_day waste_peak_t_per_day waste_station_id waste_station_km``.
    stations
        Per transfer station: ``id name township status capacity_t_per_day active x y`` and
        :data:`STATION_COLUMNS` (t/d, km, yuan/year; utilisation as a share, None with
        ``utilisation_note`` saying why).
    facilities
        Per treatment facility: ``id name kind status capacity_t_per_day inflow_t_per_day
        utilisation overloaded stations_served``; None without a facilities layer.
    village_flows, station_flows
        The flows (``from_id to_id t_per_day distance_km``) of the two links.
    collection
        The households' link (:class:`~.collection.Collection`).
    plan
        The proposed plan (``dict``, see :meth:`summary`), and ``plan_stations`` its
        stations (existing kept and new, with ``plan_load_t_per_day``).
    """

    settings: ChainSettings
    villages: pd.DataFrame
    stations: pd.DataFrame
    facilities: pd.DataFrame | None
    village_flows: pd.DataFrame
    station_flows: pd.DataFrame
    collection: Collection
    uncollected: list[str] = field(default_factory=list)
    haul_reason: str | None = None
    plan: dict[str, Any] = field(default_factory=dict)
    plan_stations: pd.DataFrame = field(default_factory=pd.DataFrame)
    crs: Any = None

    # ---------------------------------------------------------------------- figures
    @property
    def generation_t_per_day(self) -> float:
        return float(self.villages["waste_t_per_day"].sum())

    @property
    def to_stations_t_per_day(self) -> float:
        return float(self.stations["load_t_per_day"].sum())

    @property
    def to_facilities_t_per_day(self) -> float:
        return 0.0 if self.facilities is None else float(self.facilities["inflow_t_per_day"].sum())

    def mass_balance(self) -> dict[str, float | None]:
        """The tonnes per day at each link (t/d)."""
        v = self.villages
        uncollected = float(v.loc[v["waste_station_id"].isna(), "waste_t_per_day"].sum())
        unhauled = (float(self.stations.loc[self.stations["facility_id"].isna(), "load_t_per_day"].sum())
                    if self.facilities is not None else None)
        return {"generation_t_per_day": self.generation_t_per_day,
                "to_stations_t_per_day": self.to_stations_t_per_day, "uncollected_t_per_day": uncollected,
                "to_facilities_t_per_day": self.to_facilities_t_per_day if self.facilities is not None else None,
                "unhauled_t_per_day": unhauled}

    def summary(self) -> dict[str, Any]:
        """The ``chain`` block of ``waste`` in summary.json (t/d, km, yuan/year, shares)."""
        return chain_summary(self)

    def __repr__(self) -> str:
        return (f"WasteChain({self.generation_t_per_day:.1f} t/d from {len(self.villages)} villages, "
                f"{len(self.stations)} stations, "
                f"{'no' if self.facilities is None else len(self.facilities)} facilities)")


#: Why a station's or facility's utilisation is null, by note code.
NOTES = {
    "stopped": "status stopped: takes no load",
    "capacity_unknown": "no capacity_t_per_day: utilisation not assessed (load reported)",
}


def _num(x: Any) -> float | None:
    """A finite float, else None (JSON null)."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


def _text(x: Any) -> str | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else str(x)


_CONVERT: dict[str, Any] = {"num": _num, "int": lambda x: int(x), "bool": lambda x: bool(x), "text": _text}


def records(df: pd.DataFrame, kinds: dict[str, str]) -> list[dict[str, Any]]:
    """Rows of ``df`` as JSON-ready dicts of the columns ``kinds`` names (``num``: finite
    float or None; ``int``; ``bool``; ``text``: str or None)."""
    return [{k: _CONVERT[t](row[k]) for k, t in kinds.items()} for row in df.to_dict("records")]


_STATION_KINDS = {"id": "text", "name": "text", "township": "text", "status": "text", "load_t_per_day": "num",
                  "peak_load_t_per_day": "num", "capacity_t_per_day": "num", "utilisation": "num",
                  "peak_utilisation": "num", "overloaded": "bool", "overflow_t_per_day": "num",
                  "utilisation_note": "text", "villages_served": "int", "facility_id": "text", "haul_km": "num",
                  "trips_per_day": "num", "tonne_km_per_year": "num", "haul_cost_yuan_per_year": "num"}
_FACILITY_KINDS = {"id": "text", "name": "text", "kind": "text", "status": "text", "inflow_t_per_day": "num",
                   "capacity_t_per_day": "num", "utilisation": "num", "overloaded": "bool", "stations_served": "int",
                   "utilisation_note": "text"}


def _station_entries(chain: WasteChain) -> list[dict[str, Any]]:
    st = chain.stations.assign(utilisation_note=chain.stations["utilisation_note"].map(
        lambda n: None if n is None else NOTES.get(str(n), str(n))))
    return records(st, _STATION_KINDS)


def _facility_entries(chain: WasteChain) -> list[dict[str, Any]] | None:
    f = chain.facilities
    if f is None:
        return None
    note = np.where(f["status"].to_numpy() == "stopped", NOTES["stopped"],
                    np.where(f["capacity_t_per_day"].isna().to_numpy(), NOTES["capacity_unknown"], ""))
    return records(f.assign(utilisation_note=pd.Series(note, index=f.index).replace("", None)), _FACILITY_KINDS)


def _haul_block(chain: WasteChain) -> dict[str, Any]:
    st = chain.stations
    if chain.facilities is None:
        return {"assessed": False, "reason": chain.haul_reason}
    loaded = st["load_t_per_day"].to_numpy(float) > 0
    no_path = st.loc[loaded & st["facility_id"].isna().to_numpy(), "id"].astype(str).tolist()
    return {"assessed": True, "reason": None, "metric": chain.settings.metric,
            "vehicle_payload_t": chain.settings.vehicle_payload_t,
            "tonne_km_per_year": float(np.nansum(st["tonne_km_per_year"].to_numpy(float))),
            "cost_yuan_per_year": float(np.nansum(st["haul_cost_yuan_per_year"].to_numpy(float))),
            "trips_per_day": float(np.nansum(st["trips_per_day"].to_numpy(float))),
            "stations_without_facility_path": no_path,
            "overloaded_facilities": chain.facilities.loc[chain.facilities["overloaded"], "id"].astype(str).tolist()}


def chain_summary(chain: WasteChain) -> dict[str, Any]:
    """The ``chain`` block of ``waste`` in summary.json (t/d, km, yuan/year, shares)."""
    v = chain.villages
    s = chain.settings
    known = v["population"].notna().to_numpy()
    return {
        "generation_t_per_day": chain.generation_t_per_day,
        "peak_generation_t_per_day": float(v["waste_peak_t_per_day"].sum()),
        "generation_kg_per_person_day": s.rate_kg_per_person_day,
        "township_generation_kg_per_person_day": dict(s.township_rates),
        "peak_factor": s.peak_factor,
        "population_counted": float(v.loc[known, "population"].sum()),
        "population_unknown_villages": int((~known).sum()),
        "metric": s.metric, "assignment": s.assignment, "radius_m": s.radius_m,
        "stations": _station_entries(chain),
        "overloaded_stations": chain.stations.loc[chain.stations["overloaded"], "id"].astype(str).tolist(),
        "capacity_unknown_stations": chain.stations.loc[
            chain.stations["utilisation_note"] == "capacity_unknown", "id"].astype(str).tolist(),
        "villages_without_station": list(chain.uncollected),
        "facilities": _facility_entries(chain),
        "haul": _haul_block(chain),
        "mass_balance": chain.mass_balance(),
        "households_within_collection_distance": chain.collection.share,
        "collection": chain.collection.summary(),
        "plan": chain.plan,
    }


