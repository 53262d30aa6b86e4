"""Tests for geo.coords: WGS-84 <-> GCJ-02 <-> BD-09."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from geo.coords import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geo.errors import InputError

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def china_points() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    lon = rng.uniform(74.0, 135.0, 5000)
    lat = rng.uniform(18.0, 53.0, 5000)
    return lon, lat


def _metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def test_wgs84_gcj02_round_trip(china_points) -> None:
    lon, lat = china_points
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-7
    assert np.abs(back_lat - lat).max() < 1e-7
    # 1e-7 degrees is about a centimetre; the brief asks for < 0.01 m.
    assert _metres(lon, lat, back_lon, back_lat).max() < 0.01


def test_gcj02_wgs84_round_trip(china_points) -> None:
    lon, lat = china_points
    fwd_lon, fwd_lat = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert np.abs(fwd_lon - lon).max() < 1e-7
    assert np.abs(fwd_lat - lat).max() < 1e-7


def test_inverse_beats_one_step_approximation(china_points) -> None:
    lon, lat = china_points
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    # The one-step inverse (subtract the offset computed at the GCJ point) is off by up to ~1 m.
    o_lon, o_lat = wgs84_to_gcj02(g_lon, g_lat)
    one_step = _metres(lon, lat, 2 * g_lon - o_lon, 2 * g_lat - o_lat)
    iterated = _metres(lon, lat, *gcj02_to_wgs84(g_lon, g_lat))
    assert one_step.max() > 0.1
    assert iterated.max() < 0.001


def test_wgs84_bd09_round_trips(china_points) -> None:
    lon, lat = china_points
    back_lon, back_lat = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-7
    assert np.abs(back_lat - lat).max() < 1e-7
    fwd_lon, fwd_lat = wgs84_to_bd09(*bd09_to_wgs84(lon, lat))
    assert np.abs(fwd_lon - lon).max() < 1e-7
    assert np.abs(fwd_lat - lat).max() < 1e-7


def test_gcj02_bd09_round_trips(china_points) -> None:
    lon, lat = china_points
    back_lon, back_lat = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-7
    assert np.abs(back_lat - lat).max() < 1e-7


def test_beijing_published_value_and_offset_size() -> None:
    # Widely published test vector for the WGS-84 -> GCJ-02 transform near Tiananmen.
    g_lon, g_lat = wgs84_to_gcj02(116.404, 39.915)
    assert g_lon == pytest.approx(116.41024449916938, abs=1e-9)
    assert g_lat == pytest.approx(39.91640428150164, abs=1e-9)
    offset_m = _metres(116.404, 39.915, g_lon, g_lat)
    assert 300.0 < offset_m < 700.0
    # In Beijing the GCJ-02 point lies east and a little north of the true one.
    assert g_lon > 116.404
    assert g_lat > 39.915


def test_shenzhen_offset_size() -> None:
    w_lon, w_lat = 114.0579, 22.5431  # Futian, Shenzhen
    g_lon, g_lat = wgs84_to_gcj02(w_lon, w_lat)
    assert 300.0 < _metres(w_lon, w_lat, g_lon, g_lat) < 700.0
    b_lon, b_lat = wgs84_to_bd09(w_lon, w_lat)
    # BD-09 adds roughly another 0.0065/0.006 degrees, i.e. several hundred metres more.
    assert _metres(w_lon, w_lat, b_lon, b_lat) > _metres(w_lon, w_lat, g_lon, g_lat) + 300.0


def test_bd09_published_value() -> None:
    b_lon, b_lat = gcj02_to_bd09(116.404, 39.915)
    assert b_lon == pytest.approx(116.41036949371029, abs=1e-9)
    assert b_lat == pytest.approx(39.92133699351022, abs=1e-9)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(-0.1276, 51.5072), (-74.006, 40.7128), (151.2093, -33.8688), (139.6917, 35.6895)],
    ids=["london", "new-york", "sydney", "tokyo"],
)
def test_points_outside_china_are_not_offset(lon: float, lat: float) -> None:
    assert out_of_china(lon, lat)
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcj02_to_wgs84(lon, lat) == (lon, lat)
    assert to_wgs84(lon, lat, coords="gcj02") == (lon, lat)


def test_vector_mixed_inside_and_outside() -> None:
    lon = np.array([116.404, -0.1276])
    lat = np.array([39.915, 51.5072])
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    assert g_lon.shape == (2,)
    assert g_lon[0] != lon[0]
    assert (g_lon[1], g_lat[1]) == (lon[1], lat[1])


def test_scalars_broadcasting_and_nan() -> None:
    lon, lat = wgs84_to_gcj02(116.4, 39.9)
    assert np.ndim(lon) == 0
    assert float(lon) > 116.4
    lon2, lat2 = gcj02_to_wgs84([116.4, 116.5, np.nan], 39.9)
    assert lon2.shape == (3,)
    assert np.isnan(lon2[2])
    assert np.isfinite(lon2[:2]).all()


def test_inputs_are_not_modified() -> None:
    lon = np.array([116.4, 114.05])
    lat = np.array([39.9, 22.54])
    gcj02_to_wgs84(lon, lat)
    bd09_to_wgs84(lon, lat)
    assert lon.tolist() == [116.4, 114.05]
    assert lat.tolist() == [39.9, 22.54]


def test_to_wgs84_dispatches() -> None:
    w = (116.404, 39.915)
    assert to_wgs84(*w, coords="wgs84") == w
    lon, lat = to_wgs84(*wgs84_to_gcj02(*w), coords="gcj02")
    assert (lon, lat) == pytest.approx(w, abs=1e-9)
    lon, lat = to_wgs84(*wgs84_to_bd09(*w), coords="bd09")
    assert (lon, lat) == pytest.approx(w, abs=1e-9)


def test_to_wgs84_rejects_unknown_system() -> None:
    with pytest.raises(InputError, match="coords must be one of wgs84, gcj02, bd09; got 'utm'"):
        to_wgs84(116.4, 39.9, coords="utm")  # type: ignore[arg-type]
