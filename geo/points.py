"""Load incidents and street police posts from files into checked GeoDataFrames.

Formats are chosen by suffix: CSV or text (``.csv``, ``.txt``, also gzipped), GeoJSON
(``.geojson``, ``.json``), GeoPackage (``.gpkg``) and Parquet (``.parquet``, plain with
coordinate columns or GeoParquet).

Columns are recognised by name (case-insensitive, spaces trimmed, Chinese names included);
explicit ``*_col`` arguments override that. Coordinates come from lon/lat columns, projected x/y
columns with an explicit ``crs``, or the file's point geometry. Lon/lat from Chinese web maps
(GCJ-02, BD-09) are converted to WGS-84 with ``coords=``.

Every problem with the input raises :class:`geo.errors.InputError` (or its subclass
:class:`geo.errors.CRSError`) with a one-line message naming the file, the row, the column and
the value. Rows are numbered as a person sees them: in a CSV the header is line 1, so the first
data row is "line 2"; in Parquet the first data row is "row 1"; in GeoJSON and GeoPackage the
first feature is "feature 1".
"""

from __future__ import annotations

import gzip
import os
import warnings
from dataclasses import dataclass
from datetime import UTC, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pyogrio.errors
import pyproj
from numpy.typing import NDArray

from geo.coords import COORD_SYSTEMS, CoordSystem, to_wgs84
from geo.errors import CRSError, InputError

__all__ = ["ACCEPTED_SUFFIXES", "LoadedPoints", "read_incidents", "read_posts"]

ACCEPTED_SUFFIXES: tuple[str, ...] = (
    ".csv",
    ".txt",
    ".csv.gz",
    ".txt.gz",
    ".geojson",
    ".json",
    ".gpkg",
    ".parquet",
)

# Recognised column names, in order of preference, already lower-case.
LON_NAMES = ("lon", "lng", "long", "longitude", "x_wgs84", "经度")
LAT_NAMES = ("lat", "latitude", "y_wgs84", "纬度")
X_NAMES = ("x",)
Y_NAMES = ("y",)
DATETIME_NAMES = ("datetime", "timestamp", "occurred_at", "报警时间", "发生时间")
TIME_NAMES = ("time", "时间")
DATE_NAMES = ("date", "日期")
INCIDENT_ID_NAMES = ("incident_id", "id", "case_id", "编号")
CATEGORY_NAMES = ("category", "type", "class", "类别", "警情类别")
WEIGHT_NAMES = ("weight", "权重")
POST_ID_NAMES = ("id", "post_id", "编号")
POST_NAME_NAMES = ("name", "post_name", "名称")

# Cell values read as "no value".
_EMPTY_WORDS = ("", "nan", "null", "none", "na", "n/a", "nat")

# A date-and-time string that ends in a UTC offset or Z.
_OFFSET_RE = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?P<off>Z|[+-]\d{2}(?::?\d{2})?)$"
# A time of day: 09:05, 9:05, 09:05:00(.000), 0905, 905, 5 (00:05), 090500.
_TOD_RE = (
    r"^(?:(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?"
    r"|(?P<hhmm>\d{1,4})|(?P<hhmmss>\d{5,6}))$"
)
_COORD_LABEL = {"wgs84": "WGS-84", "gcj02": "GCJ-02", "bd09": "BD-09"}
_TOD_HINT = "expected a time of day like 09:05, 09:05:00 or 0905"


@dataclass(frozen=True)
class LoadedPoints:
    """Points loaded from a file.

    Attributes
    ----------
    frame
        The points, in EPSG:4326, with the columns of the contract (see the readers).
    notes
        Human-readable remarks about what was assumed, converted or filled in.
    source
        The file path as given.
    """

    frame: gpd.GeoDataFrame
    notes: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class _Table:
    """A file's attribute table, its point geometry if it has one, and how to name its rows."""

    path: str
    data: pd.DataFrame
    geometry: gpd.GeoSeries | None
    row_word: str
    row_numbers: NDArray[np.int64]

    def where(self, i: int, col: str | None = None) -> str:
        """Say where row ``i`` (0-based position) is, as the user sees it."""
        place = f"{self.path}, {self.row_word} {int(self.row_numbers[i])}"
        return place if col is None else f"{place}, column {col!r}"

    def columns_present(self) -> str:
        names = [str(c) for c in self.data.columns]
        return ", ".join(repr(n) for n in names) if names else "(none)"


def _show(value: Any) -> str:
    """A cell value quoted for a one-line message."""
    text = " ".join(str(value).split())
    if len(text) > 60:
        text = text[:57] + "..."
    return repr(text)


def _rows(n: int, word: str = "row") -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# --------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------


def _suffix_kind(p: Path) -> str | None:
    name = p.name.lower()
    if name.endswith((".csv", ".txt", ".csv.gz", ".txt.gz")):
        return "csv"
    if name.endswith((".geojson", ".json", ".gpkg")):
        return "ogr"
    if name.endswith(".parquet"):
        return "parquet"
    return None


def _read_table(path: str | os.PathLike[str]) -> _Table:
    name = str(path)
    p = Path(path)
    kind = _suffix_kind(p)
    if kind is None:
        msg = (
            f"{name}: cannot read files of this type; "
            f"accepted suffixes are {', '.join(ACCEPTED_SUFFIXES)}"
        )
        raise InputError(msg)
    if not p.exists():
        msg = f"{name}: file not found"
        raise InputError(msg)
    if p.is_dir():
        msg = f"{name}: is a directory, not a file"
        raise InputError(msg)
    if p.stat().st_size == 0:
        msg = f"{name}: the file is empty"
        raise InputError(msg)
    if kind == "csv":
        table = _read_csv(p, name)
    elif kind == "ogr":
        table = _read_ogr(p, name)
    else:
        table = _read_parquet(p, name)
    if len(table.data) == 0:
        msg = f"{name}: the file has no data rows"
        raise InputError(msg)
    return table


def _sniff_separator(p: Path) -> str:
    opener = gzip.open if p.name.lower().endswith(".gz") else open
    with opener(p, "rb") as fh:
        head = fh.readline(65536)
    counts = {sep: head.count(sep.encode()) for sep in (",", "\t", ";", "|")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","


def _read_csv(p: Path, name: str) -> _Table:
    try:
        sep = _sniff_separator(p)
        frame: pd.DataFrame | None = None
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                frame = pd.read_csv(
                    p,
                    sep=sep,
                    dtype=str,
                    keep_default_na=False,
                    skip_blank_lines=False,
                    encoding=encoding,
                )
                break
            except UnicodeDecodeError:
                continue
    except pd.errors.EmptyDataError:
        msg = f"{name}: the file is empty"
        raise InputError(msg) from None
    except (pd.errors.ParserError, OSError, EOFError) as exc:
        msg = f"{name}: cannot read as CSV: {_first_line(exc)}"
        raise InputError(msg) from None
    if frame is None:
        msg = f"{name}: cannot decode the file as UTF-8 or GB18030 text"
        raise InputError(msg)
    # Blank lines come back as all-empty rows; drop them but keep the line numbers honest.
    filled = frame.fillna("").astype(str)
    blank = (filled.apply(lambda col: col.str.strip()) == "").all(axis=1).to_numpy()
    numbers = np.flatnonzero(~blank).astype(np.int64) + 2
    data = frame.loc[~blank].reset_index(drop=True)
    return _Table(name, data, None, "line", numbers)


def _split_geo(gdf: gpd.GeoDataFrame, name: str, row_word: str) -> _Table:
    gdf = gdf.reset_index(drop=True)
    data = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    geometry = gdf.geometry if gdf.geometry.notna().any() else None
    numbers = np.arange(1, len(gdf) + 1, dtype=np.int64)
    return _Table(name, data, geometry, row_word, numbers)


def _read_ogr(p: Path, name: str) -> _Table:
    try:
        gdf = gpd.read_file(p, engine="pyogrio", datetime_as_string=True)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        msg = f"{name}: cannot read as GeoJSON/GeoPackage: {_first_line(exc)}"
        raise InputError(msg) from None
    except (OSError, ValueError) as exc:
        msg = f"{name}: cannot read the file: {_first_line(exc)}"
        raise InputError(msg) from None
    return _split_geo(gdf, name, "feature")


def _read_parquet(p: Path, name: str) -> _Table:
    try:
        schema = pq.read_schema(p)
        if schema.metadata and b"geo" in schema.metadata:
            return _split_geo(gpd.read_parquet(p), name, "row")
        frame = pd.read_parquet(p)
    except (pa.ArrowException, OSError, ValueError) as exc:
        msg = f"{name}: cannot read as Parquet: {_first_line(exc)}"
        raise InputError(msg) from None
    frame = frame.reset_index(drop=True)
    return _Table(name, frame, None, "row", np.arange(1, len(frame) + 1, dtype=np.int64))


# --------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------


def _norm(name: Any) -> str:
    return str(name).strip().lower()


class _Columns:
    """Find columns by recognised names or by the name a caller gave."""

    def __init__(self, table: _Table) -> None:
        self.table = table
        self.names = list(table.data.columns)
        self.by_norm: dict[str, Any] = {}
        for col in self.names:
            self.by_norm.setdefault(_norm(col), col)

    def given(self, col: str | None, arg: str) -> Any:
        """The column a caller named with ``arg``; None if they named none."""
        if col is None:
            return None
        if col in self.names:
            return col
        if _norm(col) in self.by_norm:
            return self.by_norm[_norm(col)]
        msg = (
            f"{self.table.path}: column {col!r} (given with {arg}) not found; "
            f"columns present: {self.table.columns_present()}"
        )
        raise InputError(msg)

    def find(self, candidates: tuple[str, ...]) -> Any:
        """The first column whose trimmed lower-case name is one of ``candidates``."""
        for cand in candidates:
            if cand in self.by_norm:
                return self.by_norm[cand]
        return None


def _text(series: pd.Series) -> tuple[pd.Series, NDArray[np.bool_]]:
    """Cells as stripped strings, and a mask of the cells that hold no value."""
    s = series.astype(pd.StringDtype("pyarrow")).str.strip()
    empty = (s.isna() | s.str.lower().isin(_EMPTY_WORDS)).to_numpy(dtype=bool)
    return s.fillna(""), empty


def _integral_as_int(series: pd.Series) -> pd.Series:
    """Floats that are all whole numbers (e.g. ints with gaps) as nullable ints, else as is."""
    if not pd.api.types.is_float_dtype(series.dtype):
        return series
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = values[np.isfinite(values)]
    if np.isinf(values).any() or not np.all(finite == np.round(finite)):
        return series
    return series.astype("Int64")


def _arrow(text: pd.Series) -> pa.Array:
    """Strings as a pyarrow array (None stays null), for fast pyarrow.compute kernels."""
    return pa.array(text.to_numpy(dtype=object, na_value=None), type=pa.string())


def _extract(text: pd.Series, pattern: str) -> dict[str, NDArray[np.float64]]:
    """Named digit groups of ``pattern`` as floats (NaN where unmatched or empty)."""
    result = pc.extract_regex(_arrow(text), pattern)
    out: dict[str, NDArray[np.float64]] = {}
    for i, field in enumerate(result.type):
        group = result.field(i)
        # Unmatched optional groups come back as ""; the groups hold digits only.
        group = pc.if_else(pc.and_(pc.is_valid(result), pc.not_equal(group, "")), group, None)
        values = pc.cast(group, pa.float64())
        out[field.name] = values.to_numpy(zero_copy_only=False).astype(np.float64)
    return out


def _matches(text: pd.Series, pattern: str) -> NDArray[np.bool_]:
    """Which cells match ``pattern`` (a regex searched anywhere; anchor it for a full match)."""
    found = pc.match_substring_regex(_arrow(text), pattern)
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False).astype(bool)


def _to_float(text: pd.Series, empty: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Parse strings as floats (NaN where empty or unreadable), with pyarrow when it can."""
    arr = pa.array(text.to_numpy(dtype=object), type=pa.string())
    arr = pc.if_else(pa.array(empty), None, arr)
    try:
        return pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
    except pa.ArrowInvalid:
        parsed = pd.to_numeric(pd.Series(text.to_numpy(dtype=object)), errors="coerce")
        values = parsed.to_numpy(dtype=np.float64, na_value=np.nan)
        return np.where(empty, np.nan, values)


def _numbers(
    table: _Table, col: Any, *, what: str = "a number"
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Parse a column as floats; raise on the first cell that is not a number.

    Returns the values (NaN where empty) and the mask of empty cells.
    """
    series = table.data[col]
    if pd.api.types.is_bool_dtype(series.dtype):
        msg = f"{table.where(0, str(col))}: expected {what}, the column holds true/false values"
        raise InputError(msg)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        empty = np.isnan(values)
    else:
        text, empty = _text(series)
        values = _to_float(text, empty)
        bad = np.isnan(values) & ~empty
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            msg = f"{table.where(i, str(col))}: cannot read {_show(series.iloc[i])} as {what}"
            raise InputError(msg)
    infinite = np.isinf(values)
    if infinite.any():
        i = int(np.flatnonzero(infinite)[0])
        msg = f"{table.where(i, str(col))}: {_show(series.iloc[i])} is not a finite number"
        raise InputError(msg)
    return values, empty


# --------------------------------------------------------------------------------------------
# Coordinates
# --------------------------------------------------------------------------------------------


def _parse_crs(crs: Any) -> pyproj.CRS:
    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        msg = f"unknown CRS {crs!r}; give an EPSG code such as 'EPSG:32650'"
        raise CRSError(msg) from None


def _check_lonlat_range(
    table: _Table, lon: NDArray[np.float64], lat: NDArray[np.float64], lon_name: str, lat_name: str
) -> None:
    hint = "pass --x-col/--y-col and --crs"
    bad_lon = np.abs(lon) > 180.0
    bad_lat = np.abs(lat) > 90.0
    if not (bad_lon.any() or bad_lat.any()):
        return
    swapped = bool(np.all(np.abs(lon) <= 90.0) and np.all(np.abs(lat) <= 180.0))
    if bad_lon.any():
        i = int(np.flatnonzero(bad_lon)[0])
        msg = (
            f"{table.where(i, lon_name)}: longitude {lon[i]:g} is outside -180..180; "
            f"the coordinates look projected, not lon/lat: {hint}"
        )
        raise CRSError(msg)
    i = int(np.flatnonzero(bad_lat)[0])
    if swapped:
        msg = (
            f"{table.where(i, lat_name)}: latitude {lat[i]:g} is outside -90..90; "
            f"longitude and latitude look swapped: pass --lon-col/--lat-col"
        )
    else:
        msg = (
            f"{table.where(i, lat_name)}: latitude {lat[i]:g} is outside -90..90; "
            f"the coordinates look projected, not lon/lat: {hint}"
        )
    raise CRSError(msg)


def _transform(
    table: _Table,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    src_crs: pyproj.CRS,
    col: str,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    transformer = pyproj.Transformer.from_crs(src_crs, "EPSG:4326", always_xy=True)
    lon, lat = transformer.transform(x, y)
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    bad = ~(np.isfinite(lon) & np.isfinite(lat)) | (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = (
            f"{table.where(i, col)}: point ({x[i]:g}, {y[i]:g}) cannot be transformed from "
            f"{src_crs.to_string()} to EPSG:4326; check --crs"
        )
        raise CRSError(msg)
    return lon, lat


def _coordinates(
    table: _Table,
    cols: _Columns,
    *,
    lon_col: str | None,
    lat_col: str | None,
    x_col: str | None,
    y_col: str | None,
    crs: Any,
    coords: str,
) -> tuple[gpd.GeoSeries, list[str]]:
    """Find, parse, check and convert the coordinates to WGS-84 points."""
    if coords not in COORD_SYSTEMS:
        msg = f"coords must be one of {', '.join(COORD_SYSTEMS)}; got {coords!r}"
        raise InputError(msg)
    if crs is not None and coords != "wgs84":
        msg = (
            f"{table.path}: coords={coords!r} applies to lon/lat read from a Chinese web map; "
            f"it cannot be combined with --crs {crs}"
        )
        raise InputError(msg)
    if (lon_col or lat_col) and (x_col or y_col):
        msg = f"{table.path}: pass either --lon-col/--lat-col or --x-col/--y-col, not both"
        raise InputError(msg)
    src_crs = _parse_crs(crs) if crs is not None else None

    given = [lon_col, lat_col, x_col, y_col]
    if table.geometry is not None and not any(given):
        return _geometry_points(table, src_crs=src_crs, coords=coords)

    lon_c = cols.given(lon_col, "--lon-col") or cols.find(LON_NAMES)
    lat_c = cols.given(lat_col, "--lat-col") or cols.find(LAT_NAMES)
    x_c = cols.given(x_col, "--x-col") or cols.find(X_NAMES)
    y_c = cols.given(y_col, "--y-col") or cols.find(Y_NAMES)
    if x_col or y_col:
        projected = True
    elif lon_col or lat_col:
        projected = False
    elif src_crs is not None and x_c is not None and y_c is not None:
        projected = True
    elif lon_c is not None and lat_c is not None:
        projected = False
    else:
        projected = x_c is not None and y_c is not None

    first_c, second_c = (x_c, y_c) if projected else (lon_c, lat_c)
    if first_c is None or second_c is None:
        missing = "longitude" if (not projected and lon_c is None) else "latitude"
        if projected:
            missing = "x" if x_c is None else "y"
        msg = (
            f"{table.path}: no {missing} column found; expected lon/lat columns "
            f"(lon, lng, longitude, 经度 / lat, latitude, 纬度) or x/y with --crs; "
            f"columns found: {table.columns_present()}"
        )
        raise InputError(msg)
    first_name, second_name = str(first_c), str(second_c)
    if projected and src_crs is None:
        msg = (
            f"{table.path}: columns {first_name!r}/{second_name!r} hold projected x/y "
            f"coordinates; pass --crs (e.g. EPSG:32650) to say which system they are in"
        )
        raise CRSError(msg)

    first, first_empty = _numbers(table, first_c, what="a coordinate")
    second, second_empty = _numbers(table, second_c, what="a coordinate")
    for values_empty, col in ((first_empty, first_c), (second_empty, second_c)):
        if values_empty.any():
            i = int(np.flatnonzero(values_empty)[0])
            value = table.data[col].iloc[i]
            msg = f"{table.where(i, str(col))}: coordinate is missing ({_show(value)})"
            raise InputError(msg)

    notes: list[str] = []
    if src_crs is None:
        _check_lonlat_range(table, first, second, first_name, second_name)
        lon, lat = first, second
    else:
        if src_crs.is_geographic:
            _check_lonlat_range(table, first, second, first_name, second_name)
        elif np.all(np.abs(first) <= 180.0) and np.all(np.abs(second) <= 90.0):
            notes.append(
                f"x/y values all look like degrees but {src_crs.to_string()} is projected; "
                f"check --crs"
            )
        if src_crs.equals(pyproj.CRS.from_epsg(4326)):
            lon, lat = first, second
        else:
            lon, lat = _transform(table, first, second, src_crs, first_name)
            notes.append(f"coordinates reprojected from {src_crs.to_string()} to EPSG:4326")
    if coords != "wgs84":
        lon, lat = to_wgs84(lon, lat, coords=_coord_system(coords))
        notes.append(f"{_rows(len(lon), 'point')} converted from {_COORD_LABEL[coords]} to WGS-84")
    return gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326"), notes


def _coord_system(coords: str) -> CoordSystem:
    if coords == "gcj02":
        return "gcj02"
    if coords == "bd09":
        return "bd09"
    return "wgs84"


def _geometry_points(
    table: _Table, *, src_crs: pyproj.CRS | None, coords: str
) -> tuple[gpd.GeoSeries, list[str]]:
    """Check and convert the point geometry of a GeoJSON/GPKG/GeoParquet file."""
    assert table.geometry is not None
    geom = table.geometry
    notes: list[str] = []
    missing = (geom.isna() | geom.is_empty).to_numpy(dtype=bool)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        msg = f"{table.where(i)}: the feature has no geometry"
        raise InputError(msg)
    types = geom.geom_type.to_numpy()
    not_point = types != "Point"
    if not_point.any():
        i = int(np.flatnonzero(not_point)[0])
        msg = f"{table.where(i)}: geometry is a {types[i]}; only points can be loaded"
        raise InputError(msg)
    x = geom.x.to_numpy(dtype=np.float64)
    y = geom.y.to_numpy(dtype=np.float64)
    nonfinite = ~(np.isfinite(x) & np.isfinite(y))
    if nonfinite.any():
        i = int(np.flatnonzero(nonfinite)[0])
        msg = f"{table.where(i)}: the point has NaN or infinite coordinates"
        raise InputError(msg)

    file_crs = geom.crs
    if file_crs is None:
        if src_crs is not None:
            file_crs = src_crs
            notes.append(f"the file has no CRS; {src_crs.to_string()} used as given by --crs")
        elif np.all(np.abs(x) <= 180.0) and np.all(np.abs(y) <= 90.0):
            file_crs = pyproj.CRS.from_epsg(4326)
            notes.append("the file has no CRS; its coordinates fit lon/lat, EPSG:4326 assumed")
        else:
            bad = (np.abs(x) > 180.0) | (np.abs(y) > 90.0)
            i = int(np.flatnonzero(bad)[0])
            msg = (
                f"{table.where(i)}: the file has no CRS and point ({x[i]:g}, {y[i]:g}) is not "
                f"lon/lat; pass --crs"
            )
            raise CRSError(msg)
    elif src_crs is not None and not pyproj.CRS(file_crs).equals(src_crs):
        msg = (
            f"{table.path}: the file says its CRS is {pyproj.CRS(file_crs).to_string()} "
            f"but --crs says {src_crs.to_string()}; drop --crs or fix the file"
        )
        raise CRSError(msg)
    file_crs = pyproj.CRS(file_crs)
    if coords != "wgs84" and not file_crs.is_geographic:
        msg = (
            f"{table.path}: coords={coords!r} applies to lon/lat, but the file is in "
            f"projected {file_crs.to_string()}"
        )
        raise InputError(msg)
    if file_crs.equals(pyproj.CRS.from_epsg(4326)):
        lon, lat = x, y
        _check_lonlat_range(table, lon, lat, "geometry", "geometry")
    else:
        lon, lat = _transform(table, x, y, file_crs, "geometry")
        notes.append(f"coordinates reprojected from {file_crs.to_string()} to EPSG:4326")
    if coords != "wgs84":
        lon, lat = to_wgs84(lon, lat, coords=_coord_system(coords))
        notes.append(f"{_rows(len(lon), 'point')} converted from {_COORD_LABEL[coords]} to WGS-84")
    return gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326"), notes


# --------------------------------------------------------------------------------------------
# Ids, names, categories, weights
# --------------------------------------------------------------------------------------------


def _ids(table: _Table, col: Any, *, label: str, prefix: str) -> tuple[pd.Series, list[str]]:
    n = len(table.data)
    if col is None:
        ids = prefix + "-" + pd.Series(np.arange(1, n + 1)).astype(str)
        return ids.astype(str), [f"no {label} column; ids generated as {prefix}-1..{prefix}-{n}"]
    series = table.data[col]
    text, empty = _text(_integral_as_int(series))
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        msg = f"{table.where(i, str(col))}: the {label} is empty"
        raise InputError(msg)
    text = text.reset_index(drop=True)
    dup = text.duplicated(keep="first").to_numpy()
    if dup.any():
        j = int(np.flatnonzero(dup)[0])
        value = text.iloc[j]
        i = int(np.flatnonzero((text == value).to_numpy())[0])
        msg = (
            f"{table.path}, column {str(col)!r}: duplicate {label} {_show(value)} at "
            f"{table.row_word} {int(table.row_numbers[i])} and "
            f"{table.row_word} {int(table.row_numbers[j])}"
        )
        raise InputError(msg)
    return text.astype(str), []


def _labels(table: _Table, col: Any, *, default: pd.Series | str) -> pd.Series:
    n = len(table.data)
    if col is None:
        if isinstance(default, str):
            return pd.Series([default] * n, dtype=str)
        return default.astype(str)
    text, empty = _text(table.data[col])
    text = text.reset_index(drop=True)
    if isinstance(default, str):
        text = text.where(~empty, default)
    else:
        text = text.where(~empty, default.reset_index(drop=True))
    return text.astype(str)


def _weights(table: _Table, col: Any) -> tuple[NDArray[np.float64], list[str]]:
    n = len(table.data)
    if col is None:
        return np.ones(n, dtype=np.float64), []
    values, empty = _numbers(table, col, what="a weight")
    negative = values < 0
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        value = table.data[col].iloc[i]
        msg = f"{table.where(i, str(col))}: weight {_show(value)} is negative"
        raise InputError(msg)
    notes = []
    if empty.any():
        values = np.where(empty, 1.0, values)
        notes.append(f"{_rows(int(empty.sum()))} without a weight; weight 1.0 used")
    return values, notes


# --------------------------------------------------------------------------------------------
# Times
# --------------------------------------------------------------------------------------------


def _check_timezone(timezone: str | None) -> None:
    if timezone is None:
        return
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        msg = f"unknown timezone {timezone!r}; give an IANA name such as 'Asia/Shanghai'"
        raise InputError(msg) from None


def _normalise_chinese(text: pd.Series) -> pd.Series:
    """Turn 2024年5月1日 22时10分05秒 into 2024-5-1 22:10:05."""
    if not _matches(text, r"[年月日时点分秒]").any():
        return text
    text = text.str.replace(
        r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?", r"\1-\2-\3", regex=True
    )
    text = text.str.replace(
        r"(\d{1,2})\s*[时点]\s*(\d{1,2})\s*分\s*(\d{1,2})\s*秒", r"\1:\2:\3", regex=True
    )
    text = text.str.replace(r"(\d{1,2})\s*[时点]\s*(\d{1,2})\s*分?", r"\1:\2", regex=True)
    return text.str.replace(r"(\d{1,2})\s*[时点]", r"\1:00", regex=True).str.strip()


def _to_datetime(text: pd.Series, *, utc: bool) -> pd.Series:
    """Parse strings, first with one inferred format, then cell by cell for the leftovers."""
    if len(text) == 0:
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]" if utc else None)
    with warnings.catch_warnings():
        # "Could not infer format": expected for odd columns; the cell-by-cell pass follows.
        warnings.filterwarnings("ignore", message="Could not infer format", category=UserWarning)
        parsed = pd.to_datetime(text, errors="coerce", utc=utc)
    retry = parsed.isna()
    if retry.any():
        again = pd.to_datetime(text[retry], errors="coerce", utc=utc, format="mixed")
        parsed = parsed.astype(again.dtype) if parsed.dtype != again.dtype else parsed
        parsed.loc[retry] = again
    return parsed


def _looks_like_time_of_day(series: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return False
    text, empty = _text(_integral_as_int(series))
    filled = text[~empty]
    return len(filled) > 0 and bool(_matches(filled, _TOD_RE).all())


def _time_of_day_seconds(table: _Table, col: Any) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Seconds after midnight for each cell of a time-of-day column (NaN where empty)."""
    series = table.data[col]
    text, empty = _text(_integral_as_int(series))
    parts = _extract(text, _TOD_RE)
    matched = _matches(text, _TOD_RE) & ~empty
    h, m, s = parts["h"], parts["m"], parts["s"]
    hhmm, hhmmss = parts["hhmm"], parts["hhmmss"]
    s = np.where(np.isnan(s), 0.0, s)
    use4 = ~np.isnan(hhmm)
    h = np.where(use4, hhmm // 100, h)
    m = np.where(use4, hhmm % 100, m)
    use6 = ~np.isnan(hhmmss)
    h = np.where(use6, hhmmss // 10000, h)
    m = np.where(use6, (hhmmss // 100) % 100, m)
    s = np.where(use6, hhmmss % 100, s)
    with np.errstate(invalid="ignore"):
        valid = matched & (h <= 23) & (m <= 59) & (s <= 59)
    bad = ~empty & ~valid
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = f"{table.where(i, str(col))}: cannot read {_show(series.iloc[i])}; {_TOD_HINT}"
        raise InputError(msg)
    seconds = np.where(empty, np.nan, h * 3600.0 + m * 60.0 + s)
    return seconds, empty


def _parse_dates(table: _Table, col: Any) -> pd.Series:
    """A naive datetime series of dates at midnight (NaT where empty)."""
    series = table.data[col]
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        parsed = series
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_localize(None)
        return parsed.dt.normalize().reset_index(drop=True)
    text, empty = _text(series)
    text = _normalise_chinese(text).reset_index(drop=True)
    parsed = _to_datetime(text.where(~empty, None), utc=False)
    bad = parsed.isna().to_numpy() & ~empty
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = f"{table.where(i, str(col))}: cannot read {_show(series.iloc[i])} as a date"
        raise InputError(msg)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(None)
    return parsed.dt.normalize()


def _need_timezone(table: _Table, col: str, i: int, value: Any) -> InputError:
    msg = (
        f"{table.where(i, col)}: time {_show(value)} has no UTC offset; "
        f"pass --timezone (e.g. Asia/Shanghai)"
    )
    return InputError(msg)


def _localise(
    naive: pd.Series, table: _Table, col: str, raw: pd.Series, timezone: str | None
) -> pd.Series:
    """Attach ``timezone`` to naive datetimes; without one, any actual time is an error."""
    present = naive.notna().to_numpy()
    if timezone is None:
        if present.any():
            i = int(np.flatnonzero(present)[0])
            raise _need_timezone(table, col, i, raw.iloc[i])
        return naive.dt.tz_localize("UTC")
    return naive.dt.tz_localize(
        timezone, ambiguous=np.zeros(len(naive), dtype=bool), nonexistent="shift_forward"
    )


def _parse_datetimes(table: _Table, col: Any, timezone: str | None) -> tuple[pd.Series, list[str]]:
    """Parse a full date-and-time column into a timezone-aware series."""
    series = table.data[col].reset_index(drop=True)
    name = str(col)
    notes: list[str] = []
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            return (series.dt.tz_convert(timezone) if timezone else series), notes
        return _localise(series, table, name, series, timezone), notes
    if pd.api.types.is_numeric_dtype(series.dtype):
        present = series.notna().to_numpy()
        i = int(np.flatnonzero(present)[0]) if present.any() else 0
        msg = (
            f"{table.where(i, name)}: cannot read {_show(series.iloc[i])} as a date and time "
            f"(the column holds numbers)"
        )
        raise InputError(msg)

    text, empty = _text(series)
    text = _normalise_chinese(text)
    aware = _matches(text, _OFFSET_RE) & ~empty
    naive = ~aware & ~empty

    result = pd.Series(pd.NaT, index=series.index, dtype="datetime64[us, UTC]")
    if aware.any():
        parsed = _to_datetime(text[aware], utc=True)
        result.loc[aware] = parsed.dt.as_unit("us")
    if naive.any():
        parsed_naive = _to_datetime(text[naive], utc=False)
        if isinstance(parsed_naive.dtype, pd.DatetimeTZDtype):  # e.g. a "UTC" suffix
            result.loc[naive] = parsed_naive.dt.tz_convert("UTC").dt.as_unit("us")
        else:
            ok = parsed_naive.notna().to_numpy()
            if ok.any() and timezone is None:
                i = int(np.flatnonzero(naive)[int(np.flatnonzero(ok)[0])])
                raise _need_timezone(table, name, i, series.iloc[i])
            if timezone is not None:
                local = _localise(parsed_naive, table, name, series[naive], timezone)
                result.loc[naive] = local.dt.tz_convert("UTC").dt.as_unit("us")
    bad = result.isna().to_numpy() & ~empty
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = f"{table.where(i, name)}: cannot read {_show(series.iloc[i])} as a date and time"
        raise InputError(msg)

    if timezone is not None:
        return result.dt.tz_convert(timezone), notes
    offset = text[aware].str.extract(_OFFSET_RE)["off"]
    offsets = offset.str.replace(":", "", regex=False).str.upper().unique()
    if len(offsets) == 1:
        return result.dt.tz_convert(_fixed_offset(str(offsets[0]))), notes
    if len(offsets) > 1:
        notes.append(
            f"times in column {name!r} carry different UTC offsets; converted to UTC "
            f"(pass --timezone to get local times)"
        )
    return result, notes


def _fixed_offset(code: str) -> dt_timezone:
    """A tzinfo for 'Z', '+08', '+0800' (colons already removed)."""
    if code == "Z":
        return UTC
    sign = -1 if code[0] == "-" else 1
    hours = int(code[1:3])
    minutes = int(code[3:5]) if len(code) >= 5 else 0
    return dt_timezone(sign * timedelta(hours=hours, minutes=minutes))


def _times(
    table: _Table,
    cols: _Columns,
    *,
    time_col: str | None,
    date_col: str | None,
    timezone: str | None,
) -> tuple[pd.Series, list[str]]:
    """Find and parse the time of each incident."""
    _check_timezone(timezone)
    n = len(table.data)
    date_c = cols.given(date_col, "--date-col")
    time_c = cols.given(time_col, "--time-col")
    notes: list[str] = []
    full_c = None
    tod_c = None
    if date_c is not None:
        tod_c = time_c if time_c is not None else cols.find(TIME_NAMES)
    elif time_c is not None:
        rec_date = cols.find(DATE_NAMES)
        if rec_date is not None and _looks_like_time_of_day(table.data[time_c]):
            date_c, tod_c = rec_date, time_c
        else:
            full_c = time_c
    else:
        full_c = cols.find(DATETIME_NAMES)
        if full_c is None:
            date_c = cols.find(DATE_NAMES)
            tod_c = cols.find(TIME_NAMES)
            if date_c is None:
                full_c, tod_c = tod_c, None
    both_given = date_col is not None and time_col is not None
    if (
        date_c is not None
        and tod_c is not None
        and not both_given
        and not _looks_like_time_of_day(table.data[tod_c])
    ):
        # The "time" column holds full dates and times; the date column is not needed.
        full_c, date_c, tod_c = tod_c, None, None
    if full_c is None and date_c is not None and tod_c is None:
        full_c, date_c = date_c, None

    if full_c is not None:
        if _looks_like_time_of_day(table.data[full_c]):
            msg = (
                f"{table.where(0, str(full_c))}: the column holds times of day without a "
                f"date; pass --date-col naming the date column"
            )
            raise InputError(msg)
        times, more = _parse_datetimes(table, full_c, timezone)
        notes.extend(more)
        source = repr(str(full_c))
        if times.notna().any():
            local = times.dropna()
            if bool((local == local.dt.normalize()).all()):
                notes.append(
                    f"all times in column {str(full_c)!r} are at 00:00; they look like dates "
                    f"only, so hour-by-hour figures will be wrong"
                )
    elif date_c is not None and tod_c is not None:
        dates = _parse_dates(table, date_c)
        seconds, _ = _time_of_day_seconds(table, tod_c)
        naive = dates + pd.to_timedelta(seconds, unit="s")
        raw = table.data[date_c].astype(str).reset_index(drop=True)
        raw = raw + " " + table.data[tod_c].astype(str).reset_index(drop=True)
        times = _localise(naive, table, str(tod_c), raw, timezone)
        source = f"{str(date_c)!r} + {str(tod_c)!r}"
    else:
        tz = timezone or "UTC"
        times = pd.Series(pd.NaT, index=range(n), dtype=f"datetime64[us, {tz}]")
        notes.append(
            f"no time column found (looked for {', '.join(DATETIME_NAMES + TIME_NAMES)} "
            f"or date + time); all {n} rows are kept without a time and count in all-day "
            f"figures only"
        )
        return times, notes

    missing = int(times.isna().sum())
    if missing:
        notes.append(
            f"{missing} of {n} rows have no time in {source}; kept, they count in all-day "
            f"figures only"
        )
    return times.reset_index(drop=True), notes


# --------------------------------------------------------------------------------------------
# Public readers
# --------------------------------------------------------------------------------------------


def read_incidents(
    path: str | os.PathLike[str],
    *,
    lon_col: str | None = None,
    lat_col: str | None = None,
    x_col: str | None = None,
    y_col: str | None = None,
    crs: Any = None,
    time_col: str | None = None,
    date_col: str | None = None,
    id_col: str | None = None,
    category_col: str | None = None,
    weight_col: str | None = None,
    coords: CoordSystem = "wgs84",
    timezone: str | None = None,
) -> LoadedPoints:
    """Load incident records from a CSV, GeoJSON, GeoPackage or Parquet file.

    Parameters
    ----------
    path
        The file; the format follows from its suffix (see ``ACCEPTED_SUFFIXES``).
    lon_col, lat_col
        Longitude/latitude columns, if the recognised names do not fit.
    x_col, y_col
        Projected coordinate columns; ``crs`` is then required.
    crs
        The CRS of x/y columns (anything :class:`pyproj.CRS` accepts), or of a geographic file
        that carries none.
    time_col
        A date-and-time column, or a time-of-day column when combined with ``date_col``.
    date_col
        A date column, combined with the time-of-day column (``09:05``, ``09:05:00``,
        ``0905``).
    id_col, category_col, weight_col
        Columns for ``incident_id``, ``category`` and ``weight``.
    coords
        ``"gcj02"`` or ``"bd09"`` if lon/lat come from a Chinese web map; converted to WGS-84.
    timezone
        IANA name; naive times are taken to be in it, times with an offset are converted to it.

    Returns
    -------
    LoadedPoints
        ``frame`` has ``incident_id`` (str), ``time`` (timezone-aware; NaT where the file has
        none), ``category`` (str, ``"unknown"`` where absent), ``weight`` (float, 1.0 where
        absent) and point ``geometry`` in EPSG:4326.

    Raises
    ------
    InputError
        For a missing, empty or unreadable file, a missing column, or a cell that cannot be
        read; the message names file, row, column and value.
    CRSError
        For coordinates that are not lon/lat and have no CRS, or cannot be reprojected.
    """
    table = _read_table(path)
    cols = _Columns(table)
    geometry, notes = _coordinates(
        table,
        cols,
        lon_col=lon_col,
        lat_col=lat_col,
        x_col=x_col,
        y_col=y_col,
        crs=crs,
        coords=coords,
    )
    times, time_notes = _times(table, cols, time_col=time_col, date_col=date_col, timezone=timezone)
    id_c = cols.given(id_col, "--id-col") or cols.find(INCIDENT_ID_NAMES)
    ids, id_notes = _ids(table, id_c, label="incident_id", prefix="row")
    category_c = cols.given(category_col, "--category-col") or cols.find(CATEGORY_NAMES)
    categories = _labels(table, category_c, default="unknown")
    weight_c = cols.given(weight_col, "--weight-col") or cols.find(WEIGHT_NAMES)
    weights, weight_notes = _weights(table, weight_c)

    frame = gpd.GeoDataFrame(
        {
            "incident_id": ids.to_numpy(),
            "time": times,
            "category": categories.to_numpy(),
            "weight": weights,
        },
        geometry=geometry.reset_index(drop=True),
        crs="EPSG:4326",
    )
    all_notes = notes + time_notes + id_notes + weight_notes
    if category_c is None:
        all_notes.append("no category column; every incident is 'unknown'")
    return LoadedPoints(frame=frame, notes=tuple(all_notes), source=str(path))


def read_posts(
    path: str | os.PathLike[str],
    *,
    lon_col: str | None = None,
    lat_col: str | None = None,
    x_col: str | None = None,
    y_col: str | None = None,
    crs: Any = None,
    id_col: str | None = None,
    name_col: str | None = None,
    coords: CoordSystem = "wgs84",
) -> LoadedPoints:
    """Load street police posts from a CSV, GeoJSON, GeoPackage or Parquet file.

    Parameters
    ----------
    path
        The file; the format follows from its suffix (see ``ACCEPTED_SUFFIXES``).
    lon_col, lat_col, x_col, y_col, crs, coords
        As for :func:`read_incidents`.
    id_col, name_col
        Columns for ``id`` and ``name``, if the recognised names do not fit.

    Returns
    -------
    LoadedPoints
        ``frame`` has ``id`` (str, ``post-<n>`` if the file has none), ``name`` (str, the id
        where absent) and point ``geometry`` in EPSG:4326.

    Raises
    ------
    InputError
        As for :func:`read_incidents`; also for duplicate ids.
    CRSError
        As for :func:`read_incidents`.
    """
    table = _read_table(path)
    cols = _Columns(table)
    geometry, notes = _coordinates(
        table,
        cols,
        lon_col=lon_col,
        lat_col=lat_col,
        x_col=x_col,
        y_col=y_col,
        crs=crs,
        coords=coords,
    )
    id_c = cols.given(id_col, "--id-col") or cols.find(POST_ID_NAMES)
    ids, id_notes = _ids(table, id_c, label="post id", prefix="post")
    name_c = cols.given(name_col, "--name-col") or cols.find(POST_NAME_NAMES)
    names = _labels(table, name_c, default=ids)
    frame = gpd.GeoDataFrame(
        {"id": ids.to_numpy(), "name": names.to_numpy()},
        geometry=geometry.reset_index(drop=True),
        crs="EPSG:4326",
    )
    return LoadedPoints(frame=frame, notes=tuple(notes + id_notes), source=str(path))
