"""Sewage mode of every village: 纳管 / 村级集中 / 片区集中 / 联户分户, with the reason.

For each village the four modes are costed in yuan per year (annualised capital plus
operation); rules from the guidelines come first, then the cheapest feasible mode is chosen
("connect villages to a town plant where that pays, build village stations where villages
are dense, use joint or single-household systems where they are scattered"):

* ``connect`` (纳管): a sewer from the village anchor to a town plant, within reach and
  within the plant's spare capacity; villages near a plant connect first (*Priority
  rule*).  See :mod:`.connect`, and :mod:`.capacity` for how villages share a plant's
  spare capacity.
* ``centralized`` (村级集中): a station for the village's settlements (one, or one per
  settlement cluster).  Always feasible.  See :mod:`.options`.
* ``cluster`` (片区集中): neighbouring villages share one station.  See :mod:`.clusters`.
* ``household`` (联户分户): septic tanks with small treatment units, for one or a few
  households; not allowed near drinking-water sources nor for large settlements.  See
  :mod:`.options`.

The analysis is a pipeline of small steps passing typed records (:mod:`.decision`), one
module per step:

* :mod:`.params` — the ``[sewage]`` parameters and the numeric input columns, validated;
* :mod:`.demand` — population (the unknown-population and no-resident rules), flows,
  settlements; :mod:`.plants` — the plants and their spare capacity;
* :mod:`.terrain` — the DEM, elevation and slope of every village;
* :mod:`.options` — each village on its own: village network, station(s), household
  systems (unit costs in :mod:`.costs`);
* :mod:`.connect` — the candidate connections, their routes and sewers (:mod:`.sewers`:
  profiles, gravity and lift stations), the feasibility and priority rules;
* :mod:`.capacity` — which villages connect within the plants' spare capacity;
* :mod:`.clusters` — neighbouring villages that share a station;
* :mod:`.modes` — the mode of every village; :mod:`.reasons` — its reason;
* :mod:`.tables`, :mod:`.summary` — the tables, layers and summary of the result.
"""

from __future__ import annotations

from .costs import capital_recovery_factor
from .decision import MODES, SewagePlan, sewage_modes, sewage_plan
from .demand import mst_length
from .sewers import gravity_sewer
from .tables import BASELINE_COLUMNS, VILLAGE_COLUMNS

__all__ = [
    "MODES",
    "SewagePlan",
    "VILLAGE_COLUMNS",
    "BASELINE_COLUMNS",
    "sewage_modes",
    "sewage_plan",
    "gravity_sewer",
    "capital_recovery_factor",
    "mst_length",
]
