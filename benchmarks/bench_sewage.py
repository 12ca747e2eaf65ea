"""Speed of the sewage analysis on a generated county, against the naive way.

A county of 3,000 villages (polygons) over 70 × 70 km with a 30 m DEM (about 5.4 million
cells), 15 town plants and a road grid.  Target: the whole analysis (``sewage_plan``,
including reading the DEM) within 60 s.  The naive way is what an analyst would write
without geo_env: a Python loop over every (village, plant) pair that builds the route
profile point by point, samples the DEM with ``rasterio``'s ``sample`` and walks the
profile sample by sample; it is timed on a subset of pairs and scaled to all pairs.

Prints a table (seconds, share of time per step, ratio) and exits 1 when a target is
missed.  Run: ``.venv/bin/python benchmarks/bench_sewage.py``.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import rasterio
import shapely
from affine import Affine
from scipy.spatial import cKDTree

import geo_env as ge
from geo_env.analysis.sewage import sewage_plan

N_VILLAGES = 3000
SIZE_M = 70_000.0
CELL_M = 30.0
X0, Y0 = 400_000.0, 3_000_000.0
CRS = pyproj.CRS("EPSG:4548")
TARGET_S = 60.0
NAIVE_PAIRS = 150


def make_county(tmp: Path) -> ge.District:
    rng = np.random.default_rng(2024)
    n = int(SIZE_M / CELL_M)
    r, c = np.mgrid[0:n, 0:n]
    x = (c + 0.5) * CELL_M
    y = SIZE_M - (r + 0.5) * CELL_M
    z = (300 + 250 * np.sin(x / 9000) * np.cos(y / 7000) + 120 * np.sin(x / 2300 + y / 3100)
         + 0.004 * x).astype("float32")
    z[rng.random(z.shape) < 1e-4] = -9999  # scattered nodata cells
    dem = tmp / "dem30.tif"
    with rasterio.open(dem, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32",
                       crs="EPSG:4548", nodata=-9999,
                       transform=Affine(CELL_M, 0, X0, 0, -CELL_M, Y0 + SIZE_M)) as dst:
        dst.write(z, 1)
    xy = rng.uniform(1000, SIZE_M - 1000, (N_VILLAGES, 2)) + [X0, Y0]
    pop = rng.lognormal(6.3, 0.8, N_VILLAGES).astype(int) + 20
    villages = gpd.GeoDataFrame({
        "id": [f"V{i:04d}" for i in range(N_VILLAGES)],
        "name": [f"村{i}" for i in range(N_VILLAGES)],
        "township": [f"镇{int(a // 10000)}{int(b // 14000)}" for a, b in xy - [X0, Y0]],
        "population": pop,
        "households": np.ceil(pop / 2.6).astype(int),
    }, geometry=shapely.buffer(shapely.points(xy), rng.uniform(150, 500, N_VILLAGES)), crs=CRS)
    pxy = rng.uniform(5000, SIZE_M - 5000, (15, 2)) + [X0, Y0]
    cap = rng.choice([2000.0, 5000.0, 10000.0], 15)
    plants = gpd.GeoDataFrame({
        "id": [f"P{i}" for i in range(15)], "name": [f"镇污水厂{i}" for i in range(15)],
        "capacity_m3_per_day": cap, "load_m3_per_day": cap * rng.uniform(0.5, 0.95, 15),
    }, geometry=shapely.points(pxy), crs=CRS)
    ticks = np.arange(0, SIZE_M + 1, 3000.0)
    lines = [shapely.LineString([(X0 + t, Y0), (X0 + t, Y0 + SIZE_M)]) for t in ticks]
    lines += [shapely.LineString([(X0, Y0 + t), (X0 + SIZE_M, Y0 + t)]) for t in ticks]
    roads = gpd.GeoDataFrame({"name": [f"路{i}" for i in range(len(lines))]}, geometry=lines, crs=CRS)
    d = ge.District(name="bench", crs=CRS, villages=villages, sewage_plants=plants, roads=roads, dem=dem)
    d.params["roads"]["node_crossings"] = True  # the grid's crossings are junctions
    return d


def naive_pairs(d: ge.District, pairs: list[tuple[int, int]], prm: dict) -> float:
    """Seconds for the per-pair Python way on ``pairs`` (village index, plant index)."""
    vxy = shapely.get_coordinates(d.villages.geometry.centroid)
    pxy = shapely.get_coordinates(d.sewage_plants.geometry)
    t0 = time.perf_counter()
    with rasterio.open(d.dem) as src:
        for i, j in pairs:
            (x0, y0), (x1, y1) = vxy[i], pxy[j]
            length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 * prm["detour_factor"]
            n = int(np.ceil(length / prm["profile_step_m"])) + 1
            pts = []
            for k in range(n):
                t = min(k * prm["profile_step_m"], length) / length if length else 0.0
                pts.append((x0 + t * (x1 - x0), y0 + t * (y1 - y0)))
            z = [v[0] for v in src.sample(pts)]
            inv, pumps = z[0] - prm["min_trench_depth_m"], 0
            for k in range(1, n):
                ds = min(k * prm["profile_step_m"], length) - min((k - 1) * prm["profile_step_m"], length)
                inv = min(inv - prm["min_slope"] * ds, z[k] - prm["min_trench_depth_m"])
                if z[k] - inv > prm["max_trench_depth_m"]:
                    pumps += 1
                    inv = z[k] - prm["min_trench_depth_m"]
    return time.perf_counter() - t0


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        d = make_county(Path(tmp))
        t_gen = time.perf_counter() - t0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            res = sewage_plan(d)
            total = time.perf_counter() - t0
        prm = res.params
        # pairs the analysis costed: candidate plants of every village within the distance limit
        vxy = shapely.get_coordinates(d.villages.geometry.centroid)
        pxy = shapely.get_coordinates(d.sewage_plants.geometry)
        dist = np.hypot(vxy[:, None, 0] - pxy[None, :, 0], vxy[:, None, 1] - pxy[None, :, 1])
        order = np.argsort(dist, axis=1)[:, : prm["candidate_plants"]]
        all_pairs = [(i, j) for i in range(len(vxy)) for j in order[i]
                     if dist[i, j] <= prm["max_connect_distance_m"]]
        rng = np.random.default_rng(0)
        sub = [all_pairs[k] for k in rng.choice(len(all_pairs), min(NAIVE_PAIRS, len(all_pairs)), replace=False)]
        t_sub = naive_pairs(d, sub, prm)
        step = prm["profile_step_m"]

        def samples(pairs_len: np.ndarray) -> float:
            return float(np.sum(np.ceil(pairs_len / step) + 1))

        pair_len = np.array([dist[i, j] for i, j in all_pairs]) * prm["detour_factor"]
        sub_len = np.array([dist[i, j] for i, j in sub]) * prm["detour_factor"]
        per_sample = t_sub / samples(sub_len)
        # the cluster step profiles both directions of every village pair within the link limit
        links = cKDTree(vxy).query_pairs(prm["cluster_max_link_m"], output_type="ndarray")
        link_len = np.hypot(*(vxy[links[:, 0]] - vxy[links[:, 1]]).T) * prm["detour_factor"]
        naive_total = per_sample * (samples(pair_len) + 2 * samples(link_len))
        ours_profiles = sum(res.timings.get(k, 0.0) for k in ("connection profiles", "cluster links"))
        # scarce capacity: every plant left with 20–200 m³/d spare, so villages compete for it
        # and the capacity step solves its MILP (most villages, then priority, then saving)
        tight = d.sewage_plants.copy()
        tight["load_m3_per_day"] = tight["capacity_m3_per_day"] - np.random.default_rng(1).uniform(20, 200, len(tight))
        scarce = dataclasses.replace(d, sewage_plants=tight)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            res_scarce = sewage_plan(scarce)
            total_scarce = time.perf_counter() - t0

    roads_used = "yes" if _network_available() else "no (geo_env.network not merged yet: straight × detour)"
    print(f"generated county: {N_VILLAGES} villages, 15 plants, DEM {int(SIZE_M / CELL_M)}² cells of 30 m "
          f"({t_gen:.1f} s to generate); roads used: {roads_used}")
    print(f"{'step':<24}{'seconds':>10}{'share':>9}")
    for step, sec in res.timings.items():
        print(f"{step:<24}{sec:>10.2f}{sec / total:>9.1%}")
    print(f"{'total sewage_plan':<24}{total:>10.2f}{'100.0%':>9}   target ≤ {TARGET_S:.0f} s")
    print(f"profiles: {len(all_pairs)} village→plant pairs + {2 * len(links)} cluster links; naive per-pair "
          f"loop timed on {len(sub)} pairs ({t_sub:.2f} s) and scaled by samples → {naive_total:.0f} s")
    print(f"ratio naive / geo_env (connection profiles + cluster links steps): "
          f"{naive_total / max(ours_profiles, 1e-9):.0f}×")
    modes = {m: v["villages"] for m, v in res.summary["by_mode"].items()}
    print(f"modes: {modes}; clusters: {res.summary['clusters']}; lift stations: {res.summary['lift_stations']}")
    blocked = int(res_scarce.details["capacity_blocked"].sum())
    scarce_modes = {m: v["villages"] for m, v in res_scarce.summary["by_mode"].items()}
    print(f"scarce capacity (20–200 m³/d spare per plant): total {total_scarce:.2f} s, capacity step "
          f"{res_scarce.timings['capacity']:.2f} s; {blocked} villages left without room; modes: {scarce_modes}")
    ok = total <= TARGET_S and total_scarce <= TARGET_S
    print("PASS" if ok else "FAIL: the sewage analysis took longer than the target")
    return 0 if ok else 1


def _network_available() -> bool:
    try:
        import geo_env.network  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
