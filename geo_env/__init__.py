"""geo_env: rural living-environment planning (农村人居环境整治) for Chinese districts.

>>> import geo_env as ge
>>> d = ge.sample_district()            # doctest: +SKIP
>>> plan = ge.analyze(d)                # doctest: +SKIP

The public names are imported lazily (on first use), so that ``import geo_env`` and
``geo-env --help`` stay instant; ``from geo_env import X`` works as usual.

In a Jupyter kernel (only there), ``import geo_env`` also lets matplotlib draw Chinese
text in the analyst's own plots (:func:`geo_env.outputs.fonts.use_cjk_font`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS = {
    "coverage_by_township": "analysis.coverage",
    "waste_coverage": "analysis.coverage",
    "GeoEnvError": "errors",
    "GeoEnvWarning": "errors",
    "read_layer": "io.layers",
    "livestock_check": "analysis.livestock",
    "manure_balance": "analysis.livestock",
    "Plan": "plan",
    "analyze": "plan",
    "District": "io.project",
    "load_project": "io.project",
    "sample_district": "sample",
    "sewage_modes": "analysis.sewage",
    "site_transfer_stations": "analysis.siting",
    "compare": "comparison",
    "Comparison": "comparison",
    "options": "_progress",
    "waste_chain": "analysis.waste_chain",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'geo_env' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"geo_env.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover
    from ._progress import options
    from .analysis.coverage import coverage_by_township, waste_coverage
    from .analysis.livestock import livestock_check, manure_balance
    from .analysis.sewage import sewage_modes
    from .analysis.siting import site_transfer_stations
    from .analysis.waste_chain import waste_chain
    from .comparison import Comparison, compare
    from .errors import GeoEnvError, GeoEnvWarning
    from .io.layers import read_layer
    from .io.project import District, load_project
    from .plan import Plan, analyze
    from .sample import sample_district


def _notebook_fonts() -> None:
    """In a Jupyter kernel: the CJK font geo_env's figures use becomes matplotlib's fallback
    font, so that Chinese labels in notebook plots are not empty boxes.  Plain scripts and
    the CLI keep matplotlib's settings as they are."""
    from ._progress import in_notebook

    if not in_notebook():
        return
    import warnings

    from .errors import GeoEnvWarning
    from .outputs.fonts import FontNotFoundError, use_cjk_font

    try:
        use_cjk_font()
    except FontNotFoundError as exc:
        warnings.warn(f"Chinese text in matplotlib plots will show as empty boxes: {exc}", GeoEnvWarning,
                      stacklevel=3)


_notebook_fonts()
