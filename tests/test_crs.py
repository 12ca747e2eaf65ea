import numpy as np
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_env import crs
from geo_env.errors import CRSError

GEOD = pyproj.Geod(ellps="WGS84")

# Published control points of the GCJ-02 formula (wgs lon, wgs lat, gcj lon, gcj lat):
# the test vectors of googollee/eviltransform (Shanghai, Shenzhen, Beijing).
EVILTRANSFORM = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
]
# A WGS84 / GCJ-02 / BD-09 triple from an independent implementation (geotool's CLI tests).
GEOTOOL = dict(wgs=(121.0917077, 30.6107779), gcj=(121.09626935575027, 30.608604331756705),
               bd=(121.10271732371203, 30.61484572185035))


def metres(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


@pytest.mark.parametrize("wlon, wlat, glon, glat", EVILTRANSFORM)
def test_gcj02_forward_matches_published_vectors(wlon, wlat, glon, glat):
    lon, lat = crs.wgs84_to_gcj02(wlon, wlat)
    assert metres(lon, lat, glon, glat) < 0.01
    back = crs.gcj02_to_wgs84(glon, glat)
    assert metres(*back, wlon, wlat) < 0.5


def test_bd09_matches_independent_implementation():
    g = crs.wgs84_to_gcj02(*GEOTOOL["wgs"])
    assert metres(*g, *GEOTOOL["gcj"]) < 0.05
    b = crs.wgs84_to_bd09(*GEOTOOL["wgs"])
    assert metres(*b, *GEOTOOL["bd"]) < 0.05
    w = crs.bd09_to_wgs84(*GEOTOOL["bd"])
    assert metres(*w, *GEOTOOL["wgs"]) < 0.5


def test_offsets_are_hundreds_of_metres_in_china_and_zero_outside():
    # the trap the conversion exists for: GCJ-02 labelled as WGS84 is 300–600 m off
    lon, lat = crs.wgs84_to_gcj02(117.5, 28.4)
    assert 200 < metres(117.5, 28.4, lon, lat) < 700
    lon, lat = crs.wgs84_to_gcj02(np.array([2.35, -74.0]), np.array([48.85, 40.7]))
    np.testing.assert_array_equal(lon, [2.35, -74.0])
    np.testing.assert_array_equal(lat, [48.85, 40.7])


lonlat = st.tuples(st.floats(73.6, 134.9), st.floats(18.2, 53.5))


@settings(max_examples=200, deadline=None)
@given(st.lists(lonlat, min_size=1, max_size=50))
def test_gcj02_round_trip_within_half_a_metre(points):
    a = np.array(points)
    g = crs.wgs84_to_gcj02(a[:, 0], a[:, 1])
    back = crs.gcj02_to_wgs84(*g)
    assert np.max(metres(back[0], back[1], a[:, 0], a[:, 1])) < 0.5
    # and the inverse reproduces the forward: gcj02(wgs84(g)) == g
    again = crs.wgs84_to_gcj02(*crs.gcj02_to_wgs84(*g))
    assert np.max(metres(again[0], again[1], *g)) < 0.5


@settings(max_examples=200, deadline=None)
@given(st.lists(lonlat, min_size=1, max_size=50))
def test_bd09_round_trip_within_half_a_metre(points):
    a = np.array(points)
    b = crs.wgs84_to_bd09(a[:, 0], a[:, 1])
    back = crs.bd09_to_wgs84(*b)
    assert np.max(metres(back[0], back[1], a[:, 0], a[:, 1])) < 0.5


@pytest.mark.parametrize("lon, central_meridian", [(117.5, 117), (114.2, 114), (118.4, 117), (75.2, 75),
                                                  (134.9, 135), (105.0, 105)])
def test_working_crs_is_the_cgcs2000_3_degree_zone(lon, central_meridian):
    c = crs.working_crs(lon, 30.0)
    assert 4534 <= c.to_epsg() <= 4554
    assert "CGCS2000" in c.name and f"CM {central_meridian}E" in c.name
    cm = next(p.value for p in c.coordinate_operation.params if p.name == "Longitude of natural origin")
    assert cm == central_meridian


def test_working_crs_outside_china_is_an_error():
    with pytest.raises(CRSError, match="outside China"):
        crs.working_crs(10.0, 50.0)
    with pytest.raises(CRSError, match="latitude"):
        crs.working_crs(117.0, -30.0)


def test_zone_prefixed_easting_suggests_the_zone_crs():
    code = crs.gk_zone_crs_for_easting(39_512_345.0)
    c = pyproj.CRS.from_epsg(code)
    assert "zone 39" in c.name and "CGCS2000" in c.name
    # and that CRS really puts 39 500 000 on 117°E
    lon, lat = pyproj.Transformer.from_crs(c, 4490, always_xy=True).transform(39_500_000.0, 3_142_000.0)
    assert lon == pytest.approx(117.0, abs=1e-9)
    assert crs.gk_zone_crs_for_easting(512_345.0) is None


def test_to_wgs84_rejects_unknown_coords():
    with pytest.raises(CRSError, match="coords"):
        crs.to_wgs84([117.0], [28.0], "wgs-84")
