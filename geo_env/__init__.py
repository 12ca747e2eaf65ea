"""geo_env: rural living-environment planning (农村人居环境整治) for Chinese districts.

>>> import geo_env as ge
>>> d = ge.sample_district()            # doctest: +SKIP
>>> plan = ge.analyze(d)                # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import GeoEnvError, GeoEnvWarning
from .layers import read_layer
from .livestock import livestock_check, manure_balance
from .plan import Plan, analyze
from .project import District, load_project
from .sample import sample_district
from .sewage import sewage_modes

__all__ = [
    "__version__",
    "District",
    "GeoEnvError",
    "GeoEnvWarning",
    "Plan",
    "analyze",
    "livestock_check",
    "load_project",
    "manure_balance",
    "read_layer",
    "sample_district",
    "sewage_modes",
]
