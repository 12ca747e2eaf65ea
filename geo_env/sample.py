"""The sample district (示例区, synthetic data) that ``geo-env demo`` and the notebooks use.

Its files are the repository's ``data/sample/`` (made by ``tools/make_sample.py``, ``make
sample``); an installed package carries the same files as ``geo_env._sample_data``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputFileNotFoundError

if TYPE_CHECKING:
    from ._progress import Progress
    from .io.project import District

__all__ = ["sample_dir", "sample_district"]

#: data/sample/ of a source checkout (or an editable install), beside the package.
_REPO_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
#: The package that carries the sample's files in an installed geo_env (see pyproject.toml).
_PACKAGED = "geo_env._sample_data"


def sample_dir() -> Path:
    """The folder holding the sample district's files and ``project.toml``.

    In a source checkout the committed ``data/sample/``; in an installed package the copy
    it carries (``geo_env/_sample_data``).
    """
    if (_REPO_SAMPLE / "project.toml").is_file():
        return _REPO_SAMPLE
    spec = importlib.util.find_spec(_PACKAGED)
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        if (Path(folder) / "project.toml").is_file():
            return Path(folder)
    raise InputFileNotFoundError(
        "the sample district's files are missing (neither data/sample/ beside the package nor "
        "geo_env/_sample_data)", hint="reinstall geo_env, or run from a checkout of its repository")


def sample_district(*, progress: Progress = None) -> District:
    """The sample district (示例区, synthetic), loaded like any project.

    ``progress`` as for :func:`geo_env.load_project` (a callback, True / False, or None:
    automatic).

    Returns
    -------
    District
        Loaded by :func:`geo_env.load_project` from ``sample_dir() / "project.toml"``;
        layers in EPSG:4548 (CGCS2000 / 3-degree Gauss-Krüger CM 117E, metres).

    Examples
    --------
    >>> import geo_env as ge
    >>> d = ge.sample_district()  # doctest: +SKIP
    >>> len(d.villages)  # doctest: +SKIP
    165
    """
    from .io.project import load_project

    return load_project(sample_dir() / "project.toml", progress=progress)
