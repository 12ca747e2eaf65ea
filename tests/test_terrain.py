"""terrain.py: DEM reading, no-data handling, sampling, profiles, zonal slope.

Every DEM here is a small GeoTIFF written to tmp_path with rasterio, whose right answers
are known by construction (planes, constants, planted fill values).
"""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import rasterio
import shapely
from affine import Affine

from geo_env.errors import CRSError, DataWarning, InputFileNotFoundError
from geo_env.terrain import Dem, densify_lines, densify_segments, read_dem, zonal_mean

CRS = pyproj.CRS("EPSG:4548")
X0, Y0, CELL = 500000.0, 3000000.0, 30.0


def write_tif(path, values, *, nodata=None, crs="EPSG:4548", transform=None, dtype="float32"):
    values = np.asarray(values)
    transform = transform or Affine(CELL, 0, X0, 0, -CELL, Y0 + CELL * values.shape[0])
    profile = dict(driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
                   dtype=dtype, transform=transform)
    if crs is not None:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values.astype(dtype), 1)
    return path


def plane(rows=20, cols=30, a=100.0, bx=0.05, by=-0.02):
    """z = a + bx·x' + by·y' at cell centres, x', y' in metres from the grid's origin (X0, Y0)."""
    r, c = np.mgrid[0:rows, 0:cols]
    xc = (c + 0.5) * CELL
    yc = rows * CELL - (r + 0.5) * CELL
    return a + bx * xc + by * yc


def test_bilinear_reproduces_a_plane_and_nearest_gives_the_cell(tmp_path):
    z = plane()
    dem = read_dem(write_tif(tmp_path / "p.tif", z, dtype="float64"), crs=CRS)
    rng = np.random.default_rng(0)
    # points at least half a cell inside the grid so all four neighbours exist
    pts = np.column_stack([rng.uniform(X0 + 20, X0 + 29 * CELL - 20, 50),
                           rng.uniform(Y0 + 20, Y0 + 19 * CELL - 20, 50)])
    expected = 100.0 + 0.05 * (pts[:, 0] - X0) - 0.02 * (pts[:, 1] - Y0)
    np.testing.assert_allclose(dem.sample(pts), expected, atol=1e-9)
    # nearest: the value of the containing cell
    p = np.array([[X0 + 2 * CELL + 1.0, Y0 + 20 * CELL - 3 * CELL - 1.0]])  # col 2, row 3
    assert dem.sample(p, method="nearest")[0] == pytest.approx(z[3, 2])
    # outside the grid: NaN
    assert np.isnan(dem.sample(np.array([[X0 - 100, Y0 - 100]]))[0])


def test_declared_nodata_is_nan_and_bilinear_falls_back_to_nearest(tmp_path):
    z = plane().astype(np.float32)
    z[5, 5] = -9999
    dem = read_dem(write_tif(tmp_path / "n.tif", z, nodata=-9999), crs=CRS)
    assert np.isnan(dem.values[5, 5])
    assert np.isfinite(dem.values).sum() == z.size - 1
    # centre of cell (row 5, col 4): its bilinear square touches the hole at (5, 5)
    p = np.array([[X0 + 4.75 * CELL, Y0 + (20 - 5.5) * CELL]])
    assert dem.sample(p)[0] == pytest.approx(float(z[5, 4]))
    # inside the hole itself: NaN
    hole = np.array([[X0 + 5.5 * CELL, Y0 + (20 - 5.5) * CELL]])
    assert np.isnan(dem.sample(hole)[0])


@pytest.mark.parametrize("fill", [-3.4028234663852886e38, -9999.0, -32768.0, 32767.0])
def test_undeclared_fill_values_are_nodata_with_a_warning(tmp_path, fill):
    z = plane().astype(np.float32)
    z[0, :3] = fill
    path = write_tif(tmp_path / "u.tif", z)  # no nodata declared
    with pytest.warns(DataWarning, match="not elevations"):
        dem = read_dem(path, crs=CRS)
    assert np.isnan(dem.values[0, :3]).all()
    assert np.isfinite(dem.values).sum() == z.size - 3
    assert np.nanmin(dem.values) > 0


def test_wrongly_declared_nodata_and_the_project_override(tmp_path):
    # the file says nodata = 0 (sea level is a real elevation here) but fills with -9999
    z = plane(a=-50.0).astype(np.float32)  # elevations from about -50 m to +35 m, some 0-ish
    z[2, 2] = 0.0
    z[7, 7] = -9999.0
    path = write_tif(tmp_path / "w.tif", z, nodata=0)
    with pytest.warns(DataWarning):
        as_declared = read_dem(path, crs=CRS)
    assert np.isnan(as_declared.values[7, 7])
    assert np.isnan(as_declared.values[2, 2])  # the file's (wrong) declaration is obeyed
    # [layers.dem] nodata = -9999 overrides the file: 0 m is an elevation again, no warning
    fixed = read_dem(path, crs=CRS, nodata=-9999)
    assert fixed.values[2, 2] == 0.0
    assert np.isnan(fixed.values[7, 7])


def test_dem_in_another_crs_is_warped_into_the_working_crs(tmp_path):
    # a constant 250 m DEM in geographic CGCS2000 around 117°E 27°N
    t = Affine(0.001, 0, 116.99, 0, -0.001, 27.02)
    path = write_tif(tmp_path / "g.tif", np.full((40, 40), 250.0), crs="EPSG:4490", transform=t)
    xy = np.array(pyproj.Transformer.from_crs(4490, 4548, always_xy=True).transform(117.005, 27.0))
    dem = read_dem(path, crs=CRS, bounds=(*xy, *xy))
    assert dem.crs.equals(CRS)
    assert dem.sample(xy[None, :])[0] == pytest.approx(250.0)


def test_dem_errors(tmp_path):
    with pytest.raises(InputFileNotFoundError, match="not found"):
        read_dem(tmp_path / "missing.tif", crs=CRS)
    path = write_tif(tmp_path / "nocrs.tif", plane(), crs=None)
    with pytest.raises(CRSError, match="no coordinate reference system"):
        read_dem(path, crs=CRS)
    # [layers.dem] crs supplies the missing CRS
    dem = read_dem(path, crs=CRS, dem_crs="EPSG:4548")
    assert dem.sample(np.array([[X0 + 45.0, Y0 + 600 - 45.0]]))[0] == pytest.approx(plane()[1, 1])


def test_slope_and_zonal_mean_of_a_plane():
    z = plane(bx=0.03, by=0.04)  # gradient 5 %
    t = Affine(CELL, 0, X0, 0, -CELL, Y0 + CELL * 20)
    dem = Dem.from_array(z, t, CRS)
    slope = dem.slope_percent()
    np.testing.assert_allclose(slope, 5.0, atol=1e-9)
    polys = np.array([shapely.box(X0 + 100, Y0 + 100, X0 + 400, Y0 + 400),
                      shapely.Point(X0 + 50, Y0 + 50),  # no cells
                      shapely.box(X0 - 900, Y0 - 900, X0 - 600, Y0 - 600)])  # off the grid
    grid = np.where(np.arange(slope.size).reshape(slope.shape) % 2 == 0, slope, slope * 3)
    mean, count = zonal_mean(grid, t, polys)
    assert count[0] == 100  # a 300 m square holds 10 × 10 cell centres of 30 m
    assert count[1] == 0 and count[2] == 0
    assert np.isnan(mean[1]) and np.isnan(mean[2])
    # the square's cells alternate 5 % / 15 % in row-major order; it is 10 cells wide
    r, c = np.mgrid[0:20, 0:30]
    inside = (X0 + (c + 0.5) * CELL > X0 + 100) & (X0 + (c + 0.5) * CELL < X0 + 400) & \
             (Y0 + 600 - (r + 0.5) * CELL > Y0 + 100) & (Y0 + 600 - (r + 0.5) * CELL < Y0 + 400)
    assert mean[0] == pytest.approx(grid[inside].mean())


def test_densify_segments_fixed_spacing_and_prefix_property():
    starts = np.array([[0.0, 0.0], [0.0, 0.0]])
    ends = np.array([[100.0, 0.0], [30.0, 40.0]])  # lengths 100 and 50
    idx, s, xy = densify_segments(starts, ends, step_m=30.0, stretch=np.array([1.0, 2.0]))
    np.testing.assert_allclose(s[idx == 0], [0, 30, 60, 90, 100])
    np.testing.assert_allclose(s[idx == 1], [0, 30, 60, 90, 100])  # 50 m stretched ×2
    np.testing.assert_allclose(xy[idx == 1][-1], [30, 40])
    np.testing.assert_allclose(xy[idx == 1][1], [30 * 30 / 100, 40 * 30 / 100])
    # a shorter segment in the same direction samples the same points first
    _, s2, xy2 = densify_segments(starts[:1], np.array([[70.0, 0.0]]), step_m=30.0)
    np.testing.assert_allclose(xy2[:3], xy[idx == 0][:3])


def test_densify_lines_follows_the_polyline():
    line = shapely.LineString([(0, 0), (50, 0), (50, 50)])
    idx, s, xy = densify_lines(np.array([line]), step_m=20.0)
    np.testing.assert_allclose(s, [0, 20, 40, 60, 80, 100])
    np.testing.assert_allclose(xy[3], [50, 10])


def test_plausible_elevation_range_is_one_named_constant_and_bounds_are_kept():
    from geo_env import terrain

    assert terrain.PLAUSIBLE_ELEVATION_M == (-1000.0, 9000.0)
    assert "PLAUSIBLE_ELEVATION_M" in terrain.__all__
    z = np.array([[-1000.0, 9000.0, -1000.5, 9000.5, -430.0, 8849.0]])
    with pytest.warns(DataWarning, match="-1000.5, 9000.5"):
        out = Dem.from_array(z, Affine(CELL, 0, X0, 0, -CELL, Y0 + CELL)).values
    # both ends of the range are elevations; just outside is no data
    np.testing.assert_array_equal(np.isnan(out[0]), [False, False, True, True, False, False])


def test_an_undeclared_block_of_zeros_below_the_terrain_is_warned_about(tmp_path):
    import warnings

    z = plane(rows=60, cols=60, a=120.0).astype(np.float32)  # about 118 … 210 m
    z[10:20, 10:20] = 0.0  # a hole patched with 0, nodata not declared
    with pytest.warns(DataWarning, match=r"100 cells \(2\.8%\) hold 0, \d+ m below every other cell"):
        dem = read_dem(write_tif(tmp_path / "hole.tif", z), crs=CRS)
    assert dem.values[15, 15] == 0.0  # warned, not guessed: the value is kept
    fixed = read_dem(write_tif(tmp_path / "hole0.tif", z, nodata=0), crs=CRS)  # the advice works
    assert np.isnan(fixed.values[15, 15])
    # a lake: its flat surface is the lowest value, but the shore rises gently from it
    lake = plane(rows=60, cols=60, a=120.0).astype(np.float32)
    lake[lake < 125] = 124.5
    lake[lake > 124.5] += 30.0  # a gorge reservoir: banks 30 m above the water
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        read_dem(write_tif(tmp_path / "lake.tif", lake), crs=CRS)
