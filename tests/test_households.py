"""Household-level straight coverage with dask-geopandas (issue 16, item 3).

Oracles: a brute-force distance matrix (every point × every collection point, numpy),
pyproj.Geod for the planar distances, and metamorphic relations (the partitioning does not
change any figure; the kernel runs once per partition).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from scipy.spatial import cKDTree

from geo_env.analysis import households as hh
from geo_env.errors import (
    ColumnNotFoundError,
    CRSError,
    DataValueError,
    EmptyLayerError,
    InputFileNotFoundError,
    OutputError,
)

CRS = 4548
X0, Y0 = 540_000.0, 3_130_000.0


def _buildings(n: int = 3000, seed: int = 3) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    xy = rng.uniform([X0, Y0], [X0 + 20_000, Y0 + 15_000], size=(n, 2))
    return gpd.GeoDataFrame({"county": np.where(xy[:, 0] < X0 + 10_000, "西县", "东县"),
                             "hh": rng.integers(1, 5, n)}, geometry=shapely.points(xy), crs=CRS)


def _points(n: int = 25, seed: int = 4) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    xy = rng.uniform([X0, Y0], [X0 + 20_000, Y0 + 15_000], size=(n, 2))
    return gpd.GeoDataFrame({"id": [f"C{i:02d}" for i in range(n)]}, geometry=shapely.points(xy), crs=CRS)


def _brute(b: gpd.GeoDataFrame, p: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    bx, px = shapely.get_coordinates(b.geometry.values), shapely.get_coordinates(p.geometry.values)
    d = np.hypot(bx[:, None, 0] - px[None, :, 0], bx[:, None, 1] - px[None, :, 1])
    return d.min(axis=1), p["id"].to_numpy()[d.argmin(axis=1)]


def test_the_kernel_equals_a_brute_force_distance_matrix():
    b, p = _buildings(), _points()
    xy = shapely.get_coordinates(p.geometry.values)
    out = hh.coverage_partition(b, cKDTree(xy), p["id"].to_numpy(), 3000.0)
    d, ids = _brute(b, p)
    np.testing.assert_allclose(out["collection_distance_m"], d, rtol=0, atol=1e-6)
    assert (out["collection_point_id"].to_numpy() == ids).all()
    assert (out["collection_covered"].to_numpy() == (d <= 3000.0)).all()
    assert out.index.equals(b.index) and "collection_distance_m" not in b.columns  # a copy


def test_footprints_count_at_their_centroid_and_missing_geometries_are_never_covered():
    p = _points(1)
    px, py = shapely.get_coordinates(p.geometry.values)[0]
    square = shapely.box(px + 90, py - 10, px + 110, py + 10)  # centroid 100 m east
    b = gpd.GeoDataFrame({"k": [1, 2, 3]}, geometry=[square, None, shapely.Point()], crs=CRS)
    out = hh.coverage_partition(b, cKDTree(shapely.get_coordinates(p.geometry.values)), p["id"].to_numpy(), 150.0)
    assert out["collection_distance_m"].iloc[0] == pytest.approx(100.0)
    assert out["collection_covered"].tolist() == [True, False, False]
    assert out["collection_point_id"].iloc[0] == "C00" and out["collection_point_id"].isna().tolist()[1:] == [True] * 2


def test_planar_distances_agree_with_the_geodesic_ones():
    b, p = _buildings(200), _points()
    xy = shapely.get_coordinates(p.geometry.values)
    out = hh.coverage_partition(b, cKDTree(xy), p["id"].to_numpy(), 3000.0)
    to_ll = pyproj.Transformer.from_crs(CRS, 4490, always_xy=True)
    lon1, lat1 = to_ll.transform(*shapely.get_coordinates(b.geometry.values).T)
    near = p.set_index("id").loc[out["collection_point_id"]].geometry.values
    lon2, lat2 = to_ll.transform(*shapely.get_coordinates(near).T)
    _, _, geodesic = pyproj.Geod(ellps="GRS80").inv(lon1, lat1, lon2, lat2)
    np.testing.assert_allclose(out["collection_distance_m"], geodesic, rtol=5e-4)


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0") as cluster, \
            Client(cluster) as c:
        yield c


def test_the_dask_driver_writes_geoparquet_and_counts_by_county(tmp_path, client):
    b, p = _buildings(), _points()
    src = hh.write_partitioned(b, tmp_path / "in", npartitions=6)
    res = hh.household_coverage(src, p.to_crs(4326), tmp_path / "out", radius_m=2500, by="county", weight="hh",
                                client=client)
    assert res.partitions == 6
    got = gpd.read_parquet(tmp_path / "out")
    assert len(got) == len(b) and got.crs.equals(pyproj.CRS(CRS))
    assert list(got.columns[-3:]) == list(hh.COLUMNS)
    # every point's figures against the brute force (rows in any order: match by coordinates)
    d, ids = _brute(got, p)
    np.testing.assert_allclose(got["collection_distance_m"], d, atol=1e-6)
    assert (got["collection_point_id"].to_numpy() == ids).all()
    # the table against a groupby of the brute force
    bd, _ = _brute(b, p)
    frame = pd.DataFrame({"county": b["county"], "hh": b["hh"], "cov": bd <= 2500})
    expect = frame.assign(hc=frame.hh * frame["cov"]).groupby("county")[["hh", "hc"]].sum()
    assert list(res.table.index) == sorted(expect.index)
    assert (res.table["points"] == frame.groupby("county").size()).all()
    np.testing.assert_allclose(res.table["households"], expect["hh"])
    np.testing.assert_allclose(res.table["coverage_rate"], expect["hc"] / expect["hh"])


def test_partitioning_changes_no_figure_and_the_kernel_runs_once_per_partition(tmp_path, monkeypatch):
    import dask

    b, p = _buildings(), _points()
    calls = []
    kernel = hh.coverage_partition

    def counted(part, *args):
        calls.append(len(part))
        return kernel(part, *args)

    monkeypatch.setattr(hh, "coverage_partition", counted)
    tables = []
    for n in (1, 7):
        calls.clear()
        src = hh.write_partitioned(b, tmp_path / f"in{n}", npartitions=n)
        with dask.config.set(scheduler="sync"):
            tables.append(hh.household_coverage(src, p, tmp_path / f"out{n}", radius_m=3000).table)
        assert len([c for c in calls if c]) == n and sum(calls) == len(b)  # one pass over the data
    pd.testing.assert_frame_equal(tables[0], tables[1])
    assert tables[0].index.tolist() == ["all"]


def test_bad_inputs_are_clear_errors(tmp_path):
    b, p = _buildings(50), _points()
    with pytest.raises(InputFileNotFoundError):
        hh.household_coverage(tmp_path / "nothing", p, tmp_path / "o")
    with pytest.raises(CRSError, match="not in a projected CRS in metres"):
        hh.write_partitioned(b.to_crs(4326), tmp_path / "ll", npartitions=2)
    src = hh.write_partitioned(b, tmp_path / "in", npartitions=2)
    with pytest.raises(ColumnNotFoundError, match="'township'"):
        hh.household_coverage(src, p, tmp_path / "o", by="township")
    with pytest.raises(EmptyLayerError):
        hh.household_coverage(src, p.iloc[:0], tmp_path / "o")


def test_the_cli_covers_a_geoparquet_on_worker_processes(tmp_path, capsys):
    from geo_env.cli import main

    b, p = _buildings(400), _points()
    src = hh.write_partitioned(b, tmp_path / "in", npartitions=3)
    p.to_crs(4326).to_file(tmp_path / "points.geojson")
    code = main(["households", str(src), "--points", str(tmp_path / "points.geojson"), "--out",
                 str(tmp_path / "out"), "--radius-m", "2000", "--by", "county", "--workers", "1"])
    text = capsys.readouterr()
    assert code == 0, text.err
    got = gpd.read_parquet(tmp_path / "out")
    d, _ = _brute(got, p)
    np.testing.assert_allclose(got["collection_distance_m"], d, atol=1e-3)  # via WGS84 GeoJSON and back
    assert "西县" in text.out and "东县" in text.out and "radius 2000 m" in text.out


def test_a_blank_weight_counts_one_household_and_text_is_an_error():
    part = pd.DataFrame({"hh": [1, None, "", " ", "2", 3.0], "id": list("abcdef"),
                         hh.COLUMNS[1]: [10.0, 900.0, 900.0, 900.0, 10.0, 10.0],
                         hh.COLUMNS[2]: [True, False, False, False, True, True]})
    np.testing.assert_array_equal(hh.household_weights(part, "hh"), [1, 1, 1, 1, 2, 3])
    t = hh.partition_counts(part, None, "hh")
    # by hand: 9 households, 6 of them covered (1 + 2 + 3), the three blanks counted as one each
    assert t.loc["all", "households"] == 9 and t.loc["all", "households_covered"] == 6
    for bad in ("3户", -1, float("inf")):
        with pytest.raises(DataValueError, match="hh") as err:
            hh.household_weights(part.assign(hh=[1, bad, 1, 1, 1, 1]), "hh")
        assert "'b'" in str(err.value)  # the point's id


def test_a_failed_run_leaves_the_previous_result_and_foreign_folders_are_refused(tmp_path, monkeypatch):
    import dask

    b, p = _buildings(200), _points()
    src = hh.write_partitioned(b, tmp_path / "in", npartitions=2)
    out = tmp_path / "out"
    with dask.config.set(scheduler="sync"):
        hh.household_coverage(src, p, out, radius_m=2000)
        before = {f.name: f.read_bytes() for f in out.iterdir()}

        def broken(part, *args):
            raise RuntimeError("worker lost")

        monkeypatch.setattr(hh, "coverage_partition", broken)
        with pytest.raises(RuntimeError, match="worker lost"):
            hh.household_coverage(src, p, out, radius_m=2000)
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before  # untouched, not wiped
    assert sorted(x.name for x in tmp_path.iterdir()) == ["in", "out"]  # no staging left behind
    monkeypatch.undo()
    data = tmp_path / "data"
    data.mkdir()
    (data / "村界.shp").write_bytes(b"x")
    with pytest.raises(OutputError, match="not GeoParquet parts"):
        hh.household_coverage(src, p, data)
    assert (data / "村界.shp").read_bytes() == b"x"
    with pytest.raises(OutputError, match="input"):
        hh.household_coverage(src, p, tmp_path)  # a folder holding the input
    with pytest.raises(OutputError, match="input"):
        hh.household_coverage(src, p, src)
