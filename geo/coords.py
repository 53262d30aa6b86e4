"""Conversions between WGS-84 and the Chinese web-map offsets GCJ-02 and BD-09.

Maps served in mainland China (Amap/Gaode, Tencent, Google China) publish coordinates in
GCJ-02, a deliberately distorted variant of WGS-84 whose offset is a few hundred metres.
Baidu adds a further offset on top of GCJ-02, called BD-09. Incident records exported from
such systems have to be brought back to WGS-84 before they can meet an OpenStreetMap network.

The forward transforms (WGS-84 -> GCJ-02 -> BD-09) follow the published formulas. There is no
closed-form inverse; :func:`gcj02_to_wgs84` and :func:`bd09_to_gcj02` solve the forward transform
by fixed-point iteration, which brings a round trip back to well under a millimetre.

GCJ-02 leaves points outside a bounding box around China unchanged (the usual out-of-China
test). The BD-09 step is applied everywhere, as Baidu does.

All functions take scalars or array-likes (broadcast against each other) in degrees, longitude
first, and return a pair of float64 numpy arrays of the broadcast shape (0-d for scalars).
NaN goes in, NaN comes out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo.errors import InputError

__all__ = [
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

CoordSystem = Literal["wgs84", "gcj02", "bd09"]
COORD_SYSTEMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

FloatArray = NDArray[np.float64]

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formulas.
_A_M = 6378245.0
_EE = 0.00669342162296594323
# BD-09 uses an angular frequency of 3000 per degree-radian.
_X_PI = np.pi * 3000.0 / 180.0
_BD_DLON = 0.0065
_BD_DLAT = 0.006

# Bounding box outside which GCJ-02 applies no offset.
_CHINA_LON_MIN, _CHINA_LON_MAX = 72.004, 137.8347
_CHINA_LAT_MIN, _CHINA_LAT_MAX = 0.8293, 55.8271

_MAX_ITER = 20
_TOL_DEG = 1e-12


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_a, lat_a = np.broadcast_arrays(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    return lon_a.copy(), lat_a.copy()


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Tell which points lie outside the box where GCJ-02 applies an offset.

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees.

    Returns
    -------
    numpy.ndarray
        Boolean array, True where the point is outside the box (NaN counts as inside).
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    return (
        (lon_a < _CHINA_LON_MIN)
        | (lon_a > _CHINA_LON_MAX)
        | (lat_a < _CHINA_LAT_MIN)
        | (lat_a > _CHINA_LAT_MAX)
    )


def _shift_lat(x: FloatArray, y: FloatArray) -> FloatArray:
    """Latitude part of the GCJ-02 distortion, in the formulas' own units."""
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _shift_lon(x: FloatArray, y: FloatArray) -> FloatArray:
    """Longitude part of the GCJ-02 distortion, in the formulas' own units."""
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Offset in degrees that GCJ-02 adds to a WGS-84 point (zero outside China)."""
    x = lon - 105.0
    y = lat - 35.0
    dlat = _shift_lat(x, y)
    dlon = _shift_lon(x, y)
    rad_lat = np.radians(lat)
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A_M * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A_M / sqrt_magic * np.cos(rad_lat) * np.pi)
    outside = out_of_china(lon, lat)
    dlon = np.where(outside, 0.0, dlon)
    dlat = np.where(outside, 0.0, dlat)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 longitude/latitude to GCJ-02.

    Parameters
    ----------
    lon, lat
        WGS-84 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude; points outside China are returned unchanged.
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    dlon, dlat = _gcj_offset(lon_a, lat_a)
    return lon_a + dlon, lat_a + dlat


def _invert(
    forward: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    target_lon: FloatArray,
    target_lat: FloatArray,
    lon: FloatArray,
    lat: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Fixed-point iteration: refine (lon, lat) until ``forward(lon, lat)`` hits the target."""
    for _ in range(_MAX_ITER):
        f_lon, f_lat = forward(lon, lat)
        err_lon = f_lon - target_lon
        err_lat = f_lat - target_lat
        lon = lon - err_lon
        lat = lat - err_lat
        err = np.maximum(np.abs(err_lon), np.abs(err_lat))
        if not np.any(err > _TOL_DEG):  # NaN compares False, so NaN input ends the loop too
            break
    return lon, lat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 longitude/latitude to WGS-84.

    The forward transform is inverted by fixed-point iteration
    (``w <- w - (gcj(w) - g)``), which converges to about 1e-12 degrees within a few steps
    (the usual one-step approximation leaves errors of around a metre).

    Parameters
    ----------
    lon, lat
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 longitude and latitude; points outside China are returned unchanged.
    """
    g_lon, g_lat = _as_arrays(lon, lat)
    return _invert(wgs84_to_gcj02, g_lon, g_lat, g_lon.copy(), g_lat.copy())


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 longitude/latitude to Baidu BD-09.

    Parameters
    ----------
    lon, lat
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 longitude and latitude.
    """
    x, y = _as_arrays(lon, lat)
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert Baidu BD-09 longitude/latitude to GCJ-02.

    Starts from the published approximate inverse and refines it by fixed-point iteration on
    :func:`gcj02_to_bd09`, so that a round trip is exact to about 1e-12 degrees.

    Parameters
    ----------
    lon, lat
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude.
    """
    b_lon, b_lat = _as_arrays(lon, lat)
    x = b_lon - _BD_DLON
    y = b_lat - _BD_DLAT
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return _invert(gcj02_to_bd09, b_lon, b_lat, z * np.cos(theta), z * np.sin(theta))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 longitude/latitude to Baidu BD-09 (through GCJ-02).

    Parameters
    ----------
    lon, lat
        WGS-84 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 longitude and latitude.
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert Baidu BD-09 longitude/latitude to WGS-84 (through GCJ-02).

    Parameters
    ----------
    lon, lat
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 longitude and latitude.
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, coords: CoordSystem
) -> tuple[FloatArray, FloatArray]:
    """Convert longitude/latitude given in ``coords`` to WGS-84.

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees.
    coords
        The system the input is in: ``"wgs84"`` (returned as is), ``"gcj02"`` or ``"bd09"``.

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 longitude and latitude.

    Raises
    ------
    InputError
        If ``coords`` is not one of the three names.
    """
    if coords == "wgs84":
        return _as_arrays(lon, lat)
    if coords == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if coords == "bd09":
        return bd09_to_wgs84(lon, lat)
    msg = f"coords must be one of {', '.join(COORD_SYSTEMS)}; got {coords!r}"
    raise InputError(msg)
