"""Plausibility checks that stop silent wrong answers: villages far from the district's
body, automatic choices that one record must not flip, parameters outside their limits."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo_env import crs as gcrs
from geo_env import load_project
from geo_env.analysis.livestock import _residential_basis
from geo_env.errors import CoordinateError, DataWarning, ParameterError
from geo_env.io.project import _working_crs
from geo_env.standards import PARAMETERS

from builders import WORK, grid_villages, planner_villages, write_project, write_shapefile


def _grid_points(n=10, step=1000.0):
    x, y = np.meshgrid(np.arange(n) * step, np.arange(n) * step)
    return np.column_stack([x.ravel(), y.ravel()]) + [500_000.0, 3_000_000.0]


def test_outliers_flags_only_the_displaced_point():
    xy = _grid_points()
    far, _ = gcrs.outliers(xy)
    assert not far.any()  # a 9 × 9 km district has no outlier, its corners included
    moved = xy.copy()
    moved[37] += [50_000.0, 0.0]
    far, d = gcrs.outliers(moved)
    assert np.flatnonzero(far).tolist() == [37]
    # metamorphic: moving it farther changes nobody else's verdict
    moved[37] += [250_000.0, 0.0]
    assert np.flatnonzero(gcrs.outliers(moved)[0]).tolist() == [37]
    # the median point is not moved by it (the bounding box centre is, by 150 km)
    assert np.allclose(np.median(moved, axis=0), np.median(xy, axis=0), atol=1000)


def _moved_villages(tmp_path, dx):
    """The builders' 3 × 3 km grid of villages and 9 more rows north, one moved ``dx`` m east."""
    v = grid_villages(n=4)
    g = v.geometry.to_numpy()
    g[5] = shapely.affinity.translate(g[5], dx, 0)
    v = v.set_geometry(gpd.GeoSeries(g, crs=WORK))
    path = write_project(tmp_path, stations=False)
    write_shapefile(planner_villages(v), tmp_path / "villages.shp", encoding="GBK", cpg=False)
    return path, v


def test_a_village_moved_50_km_is_named_and_flips_nothing(tmp_path):
    path, v = _moved_villages(tmp_path, 50_000.0)
    with pytest.warns(DataWarning, match=r"1 village\(s\) lie far from the body of the district.*"
                                         r"3611231002(05) \(4[0-9] km\)"):
        d = load_project(path)
    # the territories (they tile the grid) stay territories: the old convex-hull rule read
    # them as settlement outlines once one village moved away (every farm "0 m from a village")
    assert _residential_basis(grid_villages(n=4), "auto") == "anchor"
    assert _residential_basis(d.villages, "auto") == "anchor"
    hull = shapely.convex_hull(shapely.union_all(d.villages.geometry.values))
    assert d.villages.area.sum() / hull.area < 0.5  # what the old rule measured: now below its threshold


def test_settlement_outlines_stay_settlements():
    v = grid_villages(n=4)
    small = v.geometry.centroid.buffer(300.0)  # blobs 1.4 km apart: no neighbour within 20 m
    assert _residential_basis(v.set_geometry(small), "auto") == "polygon"


def test_a_village_300_km_away_stops_and_does_not_move_the_zone(tmp_path):
    path, v = _moved_villages(tmp_path, 300_000.0)
    with pytest.raises(CoordinateError, match=r"1 village\(s\) lie far from all the others.*361123100205"):
        load_project(path)
    # the zone is chosen at the median village: EPSG:4548 (CM 117°E) with or without it (the
    # bounding box's centre moved ~150 km east, into the CM 120°E zone)
    assert _working_crs("auto", v.to_crs(4490), path).to_epsg() == 4548
    b = v.to_crs(4490).total_bounds
    assert gcrs.working_crs((b[0] + b[2]) / 2, (b[1] + b[3]) / 2).to_epsg() == 4549


def test_all_villages_on_one_point_stop(tmp_path):
    v = grid_villages().copy()
    v = v.set_geometry([shapely.Point(549_000.0, 3_142_000.0)] * len(v), crs=WORK)
    path = write_project(tmp_path, stations=False)
    write_shapefile(planner_villages(v), tmp_path / "villages.shp", encoding="GBK", cpg=False)
    with pytest.raises(CoordinateError, match=r"all 9 villages lie on one point"):
        load_project(path)


@pytest.mark.parametrize("line, words", [
    ("service_radius_m = 1e308", "outside the values geo_env accepts (0 to 50000 m)"),
    ("service_radius_m = inf", "outside the values geo_env accepts"),
    ("service_radius_m = nan", "must be greater than 0"),
    ("target_coverage = 95", "0.95 for 95 %"),
])
def test_parameters_outside_their_limits_are_refused(tmp_path, line, words):
    path = write_project(tmp_path, stations=False, extra=f"\n[waste]\n{line}\n")
    with pytest.raises(ParameterError) as err:
        load_project(path)
    assert words in str(err.value)
    assert f"[waste] {line.split(' = ')[0]}" in str(err.value)  # the key is named


def test_sewage_parameters_are_limited_and_whole_where_counted(tmp_path):
    for line, words in (("candidate_plants = 2.5", "whole number"),
                        ("discount_rate = 8", "outside the values"),
                        ("peak_factor = 0.5", "outside the values")):
        path = write_project(tmp_path, stations=False, extra=f"\n[sewage]\n{line}\n")
        with pytest.raises(ParameterError, match=words):
            load_project(path)


def test_every_numeric_parameter_has_limits_that_hold_its_default():
    for key, p in PARAMETERS.items():
        if p.check in ("positive", "nonnegative", "fraction", "number"):
            assert p.limits is not None, key
            # None: no official figure (a target the project sets itself)
            assert p.default is None or p.limits[0] <= p.default <= p.limits[1], key
