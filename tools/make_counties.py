"""Synthetic counties for the province benchmark: the sample generator with other seeds.

``python tools/make_counties.py OUTDIR N`` writes ``OUTDIR/county_001/ … county_N/``, each
a whole project (``project.toml`` and the layers, as ``data/sample/`` has them), drawn by
:func:`make_sample.build_sample` with the seeds 1, 2, 3 … (its promises unchecked: other
seeds give other districts; a seed the generator refuses is skipped) and moved onto a grid of counties 40 km apart, so that the province
map shows them side by side.  Deterministic in ``N``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path

import geopandas as gpd
import shapely

from make_sample import SampleLayers, build_sample, write_sample

__all__ = ["write_counties", "shifted"]

#: Distance between county centres on the grid (m) and counties per grid row.
SPACING_M = 40_000.0
PER_ROW = 10


def shifted(s: SampleLayers, dx: float, dy: float) -> SampleLayers:
    """The layers moved by (dx, dy) m (EPSG:4548), the DEM with them: every layer of the
    sample, whichever the generator draws (a layer left behind would lie 40 km or more
    outside its county, and the county would be refused)."""
    def move(gdf):  # noqa: ANN001, ANN202 - GeoDataFrames
        return gdf.set_geometry(shapely.transform(gdf.geometry.values, lambda xy: xy + [dx, dy]))

    a, b, c, d, e, f = s.dem_transform
    layers = {fld.name: move(getattr(s, fld.name)) for fld in fields(s)
              if isinstance(getattr(s, fld.name), gpd.GeoDataFrame)}
    return replace(s, district=shapely.transform(s.district, lambda xy: xy + [dx, dy]),
                   dem_transform=(a, b, c + dx, d, e, f + dy), **layers)


def write_counties(out_dir: str | Path, n: int) -> list[Path]:
    """Write ``n`` synthetic counties into ``out_dir``; return their project files."""
    out = Path(out_dir)
    projects = []
    seed = 0
    for k in range(n):
        folder = out / f"county_{k + 1:03d}"
        layers = None
        while layers is None:
            seed += 1
            try:
                layers = build_sample(seed, check=False)
            except RuntimeError:  # "a township is not contiguous": the generator's own refusal
                continue
        if not (folder / "project.toml").is_file():
            dx = (k % PER_ROW - PER_ROW / 2) * SPACING_M
            dy = (k // PER_ROW) * SPACING_M
            write_sample(folder, shifted(layers, dx, dy))
            toml = folder / "project.toml"
            text = toml.read_text(encoding="utf-8").replace("示例区农村人居环境整治（合成数据）", f"合成县 {k + 1:03d}")
            toml.write_text(text, encoding="utf-8")
        projects.append(folder / "project.toml")
    return projects


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or not args[1].isdigit():
        print("usage: python tools/make_counties.py OUTDIR N", file=sys.stderr)
        return 2
    print(f"wrote {len(write_counties(args[0], int(args[1])))} counties into {args[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
