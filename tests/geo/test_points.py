"""Tests for geo.points: loading incidents and posts from files."""

from __future__ import annotations

import gzip
import time
from datetime import timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, Point

from geo.coords import wgs84_to_bd09, wgs84_to_gcj02
from geo.errors import CRSError, InputError
from geo.points import LoadedPoints, read_incidents, read_posts

TZ = "Asia/Shanghai"


def write(tmp_path: Path, name: str, text: str, *, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def local(text: str, tz: str = TZ) -> pd.Timestamp:
    return pd.Timestamp(text).tz_localize(tz)


def xy(loaded: LoadedPoints) -> tuple[np.ndarray, np.ndarray]:
    geom = loaded.frame.geometry
    return geom.x.to_numpy(), geom.y.to_numpy()


# --------------------------------------------------------------------------------------------
# Column recognition
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lon_name", ["lon", "lng", "long", "Longitude", " X_WGS84 ", "经度"])
@pytest.mark.parametrize("lat_name", ["lat", " LATITUDE", "纬度"])
def test_lon_lat_names_are_recognised(tmp_path: Path, lon_name: str, lat_name: str) -> None:
    path = write(tmp_path, "inc.csv", f"{lon_name},{lat_name}\n114.05,22.54\n114.06,22.55\n")
    loaded = read_incidents(path, timezone=TZ)
    lon, lat = xy(loaded)
    assert lon.tolist() == [114.05, 114.06]
    assert lat.tolist() == [22.54, 22.55]
    assert loaded.frame.crs.to_epsg() == 4326
    assert loaded.source == str(path)


@pytest.mark.parametrize(
    "time_name", ["time", "datetime", "Timestamp", "occurred_at", "报警时间", "发生时间"]
)
def test_datetime_names_are_recognised(tmp_path: Path, time_name: str) -> None:
    path = write(tmp_path, "inc.csv", f"lon,lat,{time_name}\n114.05,22.54,2024-05-01 22:10:05\n")
    frame = read_incidents(path, timezone=TZ).frame
    assert frame["time"].iloc[0] == local("2024-05-01 22:10:05")


@pytest.mark.parametrize("date_name", ["date", "日期"])
@pytest.mark.parametrize("tod_name", ["time", "时间"])
def test_date_plus_time_of_day_columns(tmp_path: Path, date_name: str, tod_name: str) -> None:
    text = (
        f"lon,lat,{date_name},{tod_name}\n"
        "114.05,22.54,2024-05-01,09:05\n"
        "114.05,22.54,2024-05-01,09:05:00\n"
        "114.05,22.54,2024-05-01,0905\n"
        "114.05,22.54,2024-05-01,905\n"
        "114.05,22.54,2024-05-02,2359\n"
        "114.05,22.54,2024/05/03,5\n"
    )
    frame = read_incidents(write(tmp_path, "inc.csv", text), timezone=TZ).frame
    assert frame["time"].tolist() == [local("2024-05-01 09:05")] * 4 + [
        local("2024-05-02 23:59"),
        local("2024-05-03 00:05"),
    ]


def test_time_column_with_full_datetimes_beside_a_date_column(tmp_path: Path) -> None:
    text = "lon,lat,date,time\n114.05,22.54,2024-05-01,2024-05-01 23:30\n"
    frame = read_incidents(write(tmp_path, "inc.csv", text), timezone=TZ).frame
    assert frame["time"].iloc[0] == local("2024-05-01 23:30")


def test_explicit_date_and_time_columns(tmp_path: Path) -> None:
    text = "lon,lat,day,hhmm,datetime\n114.05,22.54,2024-05-01,0130,2030-01-01 00:00\n"
    frame = read_incidents(
        write(tmp_path, "inc.csv", text), date_col="day", time_col="hhmm", timezone=TZ
    ).frame
    assert frame["time"].iloc[0] == local("2024-05-01 01:30")


@pytest.mark.parametrize("id_name", ["incident_id", "ID", "case_id", "编号"])
@pytest.mark.parametrize("cat_name", ["category", "Type", "class", "类别", "警情类别"])
@pytest.mark.parametrize("weight_name", ["weight", "权重"])
def test_id_category_weight_names(
    tmp_path: Path, id_name: str, cat_name: str, weight_name: str
) -> None:
    text = (
        f"lon,lat,{id_name},{cat_name},{weight_name}\n"
        "114.05,22.54,007,theft,2.5\n"
        "114.06,22.55,008,,\n"
    )
    loaded = read_incidents(write(tmp_path, "inc.csv", text), timezone=TZ)
    frame = loaded.frame
    assert frame["incident_id"].tolist() == ["007", "008"]  # leading zeros kept
    assert frame["category"].tolist() == ["theft", "unknown"]
    assert frame["weight"].tolist() == [2.5, 1.0]
    assert any("weight 1.0" in note for note in loaded.notes)


def test_defaults_when_optional_columns_are_absent(tmp_path: Path) -> None:
    text = "lon,lat,time\n114.05,22.54,2024-05-01 22:00\n114.06,22.55,2024-05-01 23:00\n"
    loaded = read_incidents(write(tmp_path, "inc.csv", text), timezone=TZ)
    frame = loaded.frame
    assert list(frame.columns) == ["incident_id", "time", "category", "weight", "geometry"]
    assert frame["incident_id"].tolist() == ["row-1", "row-2"]
    assert frame["category"].tolist() == ["unknown", "unknown"]
    assert frame["weight"].dtype == np.float64
    assert frame["weight"].tolist() == [1.0, 1.0]
    assert any("category" in note for note in loaded.notes)


def test_explicit_columns_override_recognition(tmp_path: Path) -> None:
    text = "lon,lat,LNG_84,LAT_84,id,ref\n1,2,114.05,22.54,a,r1\n"
    frame = read_incidents(
        write(tmp_path, "inc.csv", text),
        lon_col="LNG_84",
        lat_col="lat_84",  # matched case-insensitively
        id_col="ref",
        timezone=TZ,
    ).frame
    assert xy(LoadedPoints(frame, (), "")) == ([114.05], [22.54])
    assert frame["incident_id"].tolist() == ["r1"]


def test_explicit_column_that_does_not_exist(tmp_path: Path) -> None:
    path = write(tmp_path, "inc.csv", "lon,lat,kind\n114.05,22.54,x\n")
    with pytest.raises(InputError, match=r"inc\.csv: column 'cat' .*columns present: 'lon', 'lat'"):
        read_incidents(path, category_col="cat", timezone=TZ)


def test_tab_separated_txt_and_gzipped_csv(tmp_path: Path) -> None:
    txt = write(tmp_path, "inc.txt", "lon\tlat\tid\n114.05\t22.54\tA\n")
    assert read_incidents(txt, timezone=TZ).frame["incident_id"].tolist() == ["A"]
    gz = tmp_path / "inc.csv.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        fh.write("lon,lat,id\n114.05,22.54,B\n114.06,22.55,C\n")
    assert read_incidents(gz, timezone=TZ).frame["incident_id"].tolist() == ["B", "C"]


def test_gb18030_encoded_csv_with_chinese_headers(tmp_path: Path) -> None:
    text = "编号,经度,纬度,警情类别\nA1,114.05,22.54,盗窃\n"
    path = write(tmp_path, "inc.csv", text, encoding="gb18030")
    frame = read_incidents(path, timezone=TZ).frame
    assert frame["category"].tolist() == ["盗窃"]


# --------------------------------------------------------------------------------------------
# Times and time zones
# --------------------------------------------------------------------------------------------


def test_naive_times_are_localised(tmp_path: Path) -> None:
    path = write(tmp_path, "inc.csv", "lon,lat,time\n114.05,22.54,2024-05-01 22:10\n")
    frame = read_incidents(path, timezone=TZ).frame
    assert str(frame["time"].dt.tz) == TZ
    assert frame["time"].iloc[0].hour == 22
    assert frame["time"].iloc[0] == pd.Timestamp("2024-05-01 14:10", tz="UTC")


def test_naive_times_without_timezone_are_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path, "inc.csv", "lon,lat,time\n114.05,22.54,\n114.05,22.54,2024-05-01 22:10\n"
    )
    with pytest.raises(InputError, match=r"inc\.csv, line 3, column 'time': .*--timezone"):
        read_incidents(path)


def test_aware_times_are_kept(tmp_path: Path) -> None:
    text = "lon,lat,time\n114.05,22.54,2024-05-01T22:10:00+08:00\n114.05,22.54,\n"
    frame = read_incidents(write(tmp_path, "inc.csv", text)).frame
    first = frame["time"].iloc[0]
    assert first.utcoffset() == timedelta(hours=8)
    assert first.hour == 22
    assert first == pd.Timestamp("2024-05-01 14:10", tz="UTC")
    assert pd.isna(frame["time"].iloc[1])


def test_aware_times_are_converted_to_the_given_timezone(tmp_path: Path) -> None:
    text = "lon,lat,time\n114.05,22.54,2024-05-01T14:10:00Z\n114.05,22.54,2024-05-01 23:00\n"
    frame = read_incidents(write(tmp_path, "inc.csv", text), timezone=TZ).frame
    assert str(frame["time"].dt.tz) == TZ
    assert frame["time"].iloc[0] == local("2024-05-01 22:10")
    assert frame["time"].iloc[1] == local("2024-05-01 23:00")


def test_mixed_offsets_without_timezone_become_utc(tmp_path: Path) -> None:
    text = (
        "lon,lat,time\n114.05,22.54,2024-05-01 22:10+08:00\n114.05,22.54,2024-05-01 23:10+09:00\n"
    )
    loaded = read_incidents(write(tmp_path, "inc.csv", text))
    assert str(loaded.frame["time"].dt.tz) == "UTC"
    assert loaded.frame["time"].tolist() == [
        pd.Timestamp("2024-05-01 14:10", tz="UTC"),
        pd.Timestamp("2024-05-01 14:10", tz="UTC"),
    ]
    assert any("different UTC offsets" in note for note in loaded.notes)


def test_unknown_timezone(tmp_path: Path) -> None:
    path = write(tmp_path, "inc.csv", "lon,lat,time\n114.05,22.54,2024-05-01 22:10\n")
    with pytest.raises(InputError, match="unknown timezone 'Mars/Olympus'"):
        read_incidents(path, timezone="Mars/Olympus")


def test_chinese_date_format(tmp_path: Path) -> None:
    text = "lon,lat,报警时间\n114.05,22.54,2024年5月1日 22时10分05秒\n114.05,22.54,2024年5月2日 1时5分\n"
    frame = read_incidents(write(tmp_path, "inc.csv", text), timezone=TZ).frame
    assert frame["time"].tolist() == [local("2024-05-01 22:10:05"), local("2024-05-02 01:05")]


def test_mixed_date_formats_in_one_column(tmp_path: Path) -> None:
    text = "lon,lat,time\n114.05,22.54,2024-05-01 22:10\n114.05,22.54,2024/05/02 23:15:30\n"
    frame = read_incidents(write(tmp_path, "inc.csv", text), timezone=TZ).frame
    assert frame["time"].tolist() == [local("2024-05-01 22:10"), local("2024-05-02 23:15:30")]


def test_empty_times_are_kept_and_counted_in_notes(tmp_path: Path) -> None:
    text = (
        "lon,lat,time\n"
        "114.05,22.54,2024-05-01 22:10\n"
        "114.05,22.54,\n"
        "114.05,22.54,  \n"
        "114.05,22.54,NaN\n"
    )
    loaded = read_incidents(write(tmp_path, "inc.csv", text), timezone=TZ)
    assert len(loaded.frame) == 4
    assert loaded.frame["time"].isna().tolist() == [False, True, True, True]
    assert any(note.startswith("3 of 4 rows have no time") for note in loaded.notes)


def test_no_time_column_at_all(tmp_path: Path) -> None:
    loaded = read_incidents(write(tmp_path, "inc.csv", "lon,lat\n114.05,22.54\n"))
    assert loaded.frame["time"].isna().all()
    assert isinstance(loaded.frame["time"].dtype, pd.DatetimeTZDtype)
    assert any("no time column" in note for note in loaded.notes)


def test_time_of_day_without_a_date(tmp_path: Path) -> None:
    path = write(tmp_path, "inc.csv", "lon,lat,time\n114.05,22.54,09:05\n")
    with pytest.raises(InputError, match=r"inc\.csv, line 2, column 'time': .*--date-col"):
        read_incidents(path, timezone=TZ)


def test_unparsable_time(tmp_path: Path) -> None:
    text = "lon,lat,time\n114.05,22.54,2024-05-01 22:10\n114.05,22.54,yesterday night\n"
    with pytest.raises(
        InputError, match=r"inc\.csv, line 3, column 'time': cannot read 'yesterday night'"
    ):
        read_incidents(write(tmp_path, "inc.csv", text), timezone=TZ)


@pytest.mark.parametrize("bad", ["25:00", "0961", "9.05", "12345678"])
def test_unparsable_time_of_day(tmp_path: Path, bad: str) -> None:
    text = f"lon,lat,date,time\n114.05,22.54,2024-05-01,09:05\n114.05,22.54,2024-05-01,{bad}\n"
    path = write(tmp_path, "inc.csv", text)
    with pytest.raises(InputError, match=rf"inc\.csv, line 3, column 'time': .*'{bad}'"):
        read_incidents(path, date_col="date", timezone=TZ)


def test_unparsable_date(tmp_path: Path) -> None:
    text = "lon,lat,date,time\n114.05,22.54,someday,09:05\n"
    with pytest.raises(InputError, match=r"line 2, column 'date': cannot read 'someday' as a date"):
        read_incidents(write(tmp_path, "inc.csv", text), timezone=TZ)


# --------------------------------------------------------------------------------------------
# Coordinates: projected, Chinese web-map offsets
# --------------------------------------------------------------------------------------------


def test_projected_xy_with_crs(tmp_path: Path) -> None:
    to_utm = Transformer.from_crs(4326, 32650, always_xy=True)
    x, y = to_utm.transform(114.05, 22.54)
    path = write(tmp_path, "inc.csv", f"X,Y\n{x:.3f},{y:.3f}\n")
    loaded = read_incidents(path, crs="EPSG:32650")
    lon, lat = xy(loaded)
    assert lon[0] == pytest.approx(114.05, abs=1e-7)
    assert lat[0] == pytest.approx(22.54, abs=1e-7)
    assert any("EPSG:32650" in note for note in loaded.notes)


def test_projected_xy_without_crs(tmp_path: Path) -> None:
    path = write(tmp_path, "inc.csv", "x,y\n500000,2500000\n")
    with pytest.raises(CRSError, match=r"inc\.csv: columns 'x'/'y' .*--crs"):
        read_incidents(path)


def test_unknown_crs(tmp_path: Path) -> None:
    path = write(tmp_path, "inc.csv", "x,y\n500000,2500000\n")
    with pytest.raises(CRSError, match="unknown CRS 'EPSG:nonsense'"):
        read_incidents(path, crs="EPSG:nonsense")


@pytest.mark.parametrize(
    ("coords", "forward"), [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)]
)
def test_chinese_offsets_are_removed_on_load(tmp_path: Path, coords: str, forward) -> None:
    wgs = np.array([[114.0579, 22.5431], [116.404, 39.915]])
    shifted_lon, shifted_lat = forward(wgs[:, 0], wgs[:, 1])
    rows = "\n".join(f"{a:.15f},{b:.15f}" for a, b in zip(shifted_lon, shifted_lat, strict=True))
    path = write(tmp_path, "inc.csv", f"lng,lat\n{rows}\n")
    loaded = read_incidents(path, coords=coords)
    lon, lat = xy(loaded)
    np.testing.assert_allclose(lon, wgs[:, 0], atol=1e-9)
    np.testing.assert_allclose(lat, wgs[:, 1], atol=1e-9)
    # Without the conversion the points would sit hundreds of metres off.
    plain_lon, _ = xy(read_incidents(path))
    assert np.abs(plain_lon - wgs[:, 0]).min() > 1e-3
    label = {"gcj02": "GCJ-02", "bd09": "BD-09"}[coords]
    assert any(f"converted from {label} to WGS-84" in note for note in loaded.notes)


def test_coords_with_crs_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "inc.csv", "x,y\n500000,2500000\n")
    with pytest.raises(InputError, match=r"inc\.csv: coords='gcj02' .*--crs"):
        read_incidents(path, crs="EPSG:32650", coords="gcj02")


def test_unknown_coords_name(tmp_path: Path) -> None:
    path = write(tmp_path, "inc.csv", "lon,lat\n114.05,22.54\n")
    with pytest.raises(InputError, match="coords must be one of"):
        read_incidents(path, coords="wgs72")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Errors with file, line, column and value
# --------------------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.csv: file not found"):
        read_incidents(tmp_path / "nope.csv")


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = write(tmp_path, "inc.xlsx", "whatever")
    with pytest.raises(InputError, match=r"inc\.xlsx: .*accepted suffixes are .*\.csv.*\.parquet"):
        read_incidents(path)


@pytest.mark.parametrize("text", ["", "lon,lat\n", "lon,lat\n\n\n"])
def test_empty_files(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "inc.csv", text)
    with pytest.raises(InputError, match=r"inc\.csv: the file (is empty|has no data rows)"):
        read_incidents(path)


def test_missing_coordinate_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "inc.csv", "lon,place,time\n114.05,market,2024-05-01 22:00\n")
    with pytest.raises(
        InputError,
        match=r"inc\.csv: no latitude column found.*columns found: 'lon', 'place', 'time'",
    ):
        read_incidents(path, timezone=TZ)


def test_non_numeric_coordinate(tmp_path: Path) -> None:
    text = "lon,lat\n114.05,22.54\n114.06,22.55\n114.07,north\n"
    with pytest.raises(InputError, match=r"inc\.csv, line 4, column 'lat': cannot read 'north'"):
        read_incidents(write(tmp_path, "inc.csv", text))


def test_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    text = "lon,lat\n114.05,22.54\n\n114.07,abc\n"
    with pytest.raises(InputError, match=r"line 4, column 'lat'"):
        read_incidents(write(tmp_path, "inc.csv", text))


def test_missing_coordinate(tmp_path: Path) -> None:
    text = "lon,lat\n114.05,22.54\n,22.55\n"
    with pytest.raises(InputError, match=r"inc\.csv, line 3, column 'lon': coordinate is missing"):
        read_incidents(write(tmp_path, "inc.csv", text))


def test_nan_coordinate(tmp_path: Path) -> None:
    text = "lon,lat\n114.05,22.54\n114.05,NaN\n"
    with pytest.raises(InputError, match=r"line 3, column 'lat': coordinate is missing \('NaN'\)"):
        read_incidents(write(tmp_path, "inc.csv", text))


def test_projected_values_in_lon_lat_columns(tmp_path: Path) -> None:
    text = "lon,lat\n114.05,22.54\n500123.5,2493000.1\n"
    with pytest.raises(
        CRSError, match=r"inc\.csv, line 3, column 'lon': longitude 500124 .*projected.*--x-col"
    ):
        read_incidents(write(tmp_path, "inc.csv", text))


def test_swapped_lon_lat(tmp_path: Path) -> None:
    text = "lon,lat\n22.54,114.05\n"
    with pytest.raises(CRSError, match=r"line 2, column 'lat': .*swapped"):
        read_incidents(write(tmp_path, "inc.csv", text))


@pytest.mark.parametrize(
    ("value", "problem"),
    [("-1", "weight '-1' is negative"), ("inf", "'inf' is not a finite number")],
)
def test_bad_weight(tmp_path: Path, value: str, problem: str) -> None:
    text = f"lon,lat,weight\n114.05,22.54,1\n114.05,22.54,{value}\n"
    with pytest.raises(InputError, match=rf"inc\.csv, line 3, column 'weight': {problem}"):
        read_incidents(write(tmp_path, "inc.csv", text))


def test_non_numeric_weight(tmp_path: Path) -> None:
    text = "lon,lat,weight\n114.05,22.54,high\n"
    with pytest.raises(
        InputError, match=r"line 2, column 'weight': cannot read 'high' as a weight"
    ):
        read_incidents(write(tmp_path, "inc.csv", text))


def test_duplicate_incident_ids(tmp_path: Path) -> None:
    text = "id,lon,lat\nA,114.05,22.54\nB,114.05,22.54\nA,114.05,22.54\n"
    with pytest.raises(
        InputError, match=r"inc\.csv, column 'id': duplicate incident_id 'A' at line 2 and line 4"
    ):
        read_incidents(write(tmp_path, "inc.csv", text))


def test_empty_incident_id(tmp_path: Path) -> None:
    text = "id,lon,lat\nA,114.05,22.54\n ,114.05,22.54\n"
    with pytest.raises(InputError, match=r"line 3, column 'id': the incident_id is empty"):
        read_incidents(write(tmp_path, "inc.csv", text))


def test_error_messages_are_one_line(tmp_path: Path) -> None:
    text = 'lon,lat\n114.05,"22.\n54x"\n'
    with pytest.raises(InputError) as info:
        read_incidents(write(tmp_path, "inc.csv", text))
    assert "\n" not in str(info.value)
    assert "inc.csv" in str(info.value)


# --------------------------------------------------------------------------------------------
# GeoJSON, GeoPackage, Parquet
# --------------------------------------------------------------------------------------------


def _incident_gdf(crs: str | None = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "case_id": ["c1", "c2", "c3"],
            "类别": ["theft", "fight", "theft"],
            "time": ["2024-05-01T22:10:00+08:00", "2024-05-01T23:40:00+08:00", None],
        },
        geometry=[Point(114.05, 22.54), Point(114.06, 22.55), Point(114.07, 22.56)],
        crs=crs,
    )


def test_geojson_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "inc.geojson"
    _incident_gdf().to_file(path, driver="GeoJSON")
    loaded = read_incidents(path, timezone=TZ)
    frame = loaded.frame
    assert frame["incident_id"].tolist() == ["c1", "c2", "c3"]
    assert frame["category"].tolist() == ["theft", "fight", "theft"]
    assert xy(loaded)[0].tolist() == [114.05, 114.06, 114.07]
    assert frame["time"].iloc[1] == local("2024-05-01 23:40")
    assert pd.isna(frame["time"].iloc[2])


def test_gpkg_in_projected_crs_is_reprojected(tmp_path: Path) -> None:
    path = tmp_path / "inc.gpkg"
    _incident_gdf().to_crs(32650).to_file(path, driver="GPKG")
    loaded = read_incidents(path, timezone=TZ)
    lon, lat = xy(loaded)
    np.testing.assert_allclose(lon, [114.05, 114.06, 114.07], atol=1e-7)
    np.testing.assert_allclose(lat, [22.54, 22.55, 22.56], atol=1e-7)
    assert loaded.frame.crs.to_epsg() == 4326
    assert any("EPSG:32650" in note for note in loaded.notes)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_geometry_file_without_crs(tmp_path: Path) -> None:
    lonlat = tmp_path / "lonlat.gpkg"
    _incident_gdf(crs=None).to_file(lonlat, driver="GPKG")
    loaded = read_incidents(lonlat, timezone=TZ)
    assert xy(loaded)[0].tolist() == [114.05, 114.06, 114.07]
    assert any("EPSG:4326 assumed" in note for note in loaded.notes)

    metres = tmp_path / "metres.gpkg"
    gdf = _incident_gdf().to_crs(32650).set_crs(None, allow_override=True)
    gdf.to_file(metres, driver="GPKG")
    with pytest.raises(CRSError, match=r"metres\.gpkg, feature 1: the file has no CRS .*--crs"):
        read_incidents(metres, timezone=TZ)
    fixed = read_incidents(metres, crs="EPSG:32650", timezone=TZ)
    np.testing.assert_allclose(xy(fixed)[0], [114.05, 114.06, 114.07], atol=1e-7)


def test_geojson_with_a_line_is_an_error(tmp_path: Path) -> None:
    gdf = _incident_gdf()
    gdf.loc[1, "geometry"] = LineString([(114.0, 22.5), (114.1, 22.6)])
    path = tmp_path / "inc.geojson"
    gdf.to_file(path, driver="GeoJSON")
    with pytest.raises(InputError, match=r"inc\.geojson, feature 2: geometry is a LineString"):
        read_incidents(path, timezone=TZ)


def test_geojson_gcj02_geometry_is_converted(tmp_path: Path) -> None:
    g_lon, g_lat = wgs84_to_gcj02(116.404, 39.915)
    gdf = gpd.GeoDataFrame({"name": ["p"]}, geometry=[Point(g_lon, g_lat)], crs=4326)
    path = tmp_path / "posts.geojson"
    gdf.to_file(path, driver="GeoJSON")
    lon, lat = xy(read_posts(path, coords="gcj02"))
    assert (lon[0], lat[0]) == pytest.approx((116.404, 39.915), abs=1e-9)


def test_plain_parquet(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "incident_id": [101, 102],
            "longitude": [114.05, 114.06],
            "latitude": [22.54, 22.55],
            "occurred_at": pd.to_datetime(["2024-05-01 22:10", "2024-05-01 23:00"]),
            "weight": [1.0, 3.0],
        }
    )
    path = tmp_path / "inc.parquet"
    df.to_parquet(path)
    frame = read_incidents(path, timezone=TZ).frame
    assert frame["incident_id"].tolist() == ["101", "102"]
    assert frame["time"].tolist() == [local("2024-05-01 22:10"), local("2024-05-01 23:00")]
    assert frame["weight"].tolist() == [1.0, 3.0]


def test_plain_parquet_aware_times_and_errors_by_row(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "lon": [114.05, 114.06],
            "lat": [22.54, np.nan],
            "time": pd.to_datetime(["2024-05-01 14:10", "2024-05-01 15:00"]).tz_localize("UTC"),
        }
    )
    path = tmp_path / "inc.parquet"
    df.to_parquet(path)
    with pytest.raises(
        InputError, match=r"inc\.parquet, row 2, column 'lat': coordinate is missing"
    ):
        read_incidents(path)
    df.loc[1, "lat"] = 22.55
    df.to_parquet(path)
    frame = read_incidents(path, timezone=TZ).frame
    assert frame["time"].iloc[0] == local("2024-05-01 22:10")


def test_geoparquet_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "posts.parquet"
    posts = gpd.GeoDataFrame(
        {"id": ["P1", "P2"], "name": ["North gate", "Market"]},
        geometry=[Point(114.05, 22.54), Point(114.06, 22.55)],
        crs=4326,
    )
    posts.to_parquet(path)
    loaded = read_posts(path)
    assert loaded.frame["id"].tolist() == ["P1", "P2"]
    assert loaded.frame["name"].tolist() == ["North gate", "Market"]
    assert xy(loaded)[1].tolist() == [22.54, 22.55]


# --------------------------------------------------------------------------------------------
# Posts
# --------------------------------------------------------------------------------------------


def test_posts_with_ids_and_names(tmp_path: Path) -> None:
    text = "编号,名称,经度,纬度\nS01,华强北站,114.085,22.545\nS02,,114.09,22.55\n"
    loaded = read_posts(write(tmp_path, "posts.csv", text))
    frame = loaded.frame
    assert list(frame.columns) == ["id", "name", "geometry"]
    assert frame["id"].tolist() == ["S01", "S02"]
    assert frame["name"].tolist() == ["华强北站", "S02"]  # an empty name falls back to the id


def test_posts_without_ids(tmp_path: Path) -> None:
    text = "name,lon,lat\nNorth,114.05,22.54\nSouth,114.06,22.53\n"
    loaded = read_posts(write(tmp_path, "posts.csv", text))
    assert loaded.frame["id"].tolist() == ["post-1", "post-2"]
    assert loaded.frame["name"].tolist() == ["North", "South"]
    assert any("post-1" in note for note in loaded.notes)


def test_posts_without_ids_or_names(tmp_path: Path) -> None:
    loaded = read_posts(write(tmp_path, "posts.csv", "lon,lat\n114.05,22.54\n"))
    assert loaded.frame["name"].tolist() == ["post-1"]


def test_duplicate_post_ids(tmp_path: Path) -> None:
    text = "id,lon,lat\nP1,114.05,22.54\nP1,114.06,22.55\n"
    with pytest.raises(InputError, match=r"posts\.csv, column 'id': duplicate post id 'P1'"):
        read_posts(write(tmp_path, "posts.csv", text))


# --------------------------------------------------------------------------------------------
# Speed
# --------------------------------------------------------------------------------------------


def test_hundred_thousand_rows_load_fast(tmp_path: Path) -> None:
    n = 100_000
    rng = np.random.default_rng(0)
    start = pd.Timestamp("2024-05-01 20:00")
    times = start + pd.to_timedelta(rng.integers(0, 86_400 * 30, n), unit="s")
    df = pd.DataFrame(
        {
            "incident_id": np.char.add("i", np.arange(n).astype(str)),
            "lon": rng.uniform(114.0, 114.3, n).round(6),
            "lat": rng.uniform(22.5, 22.7, n).round(6),
            "time": times.strftime("%Y-%m-%d %H:%M:%S"),
            "category": rng.choice(["theft", "fight"], n),
        }
    )
    path = tmp_path / "big.csv"
    df.to_csv(path, index=False)
    t0 = time.perf_counter()
    loaded = read_incidents(path, timezone=TZ, coords="gcj02")
    elapsed = time.perf_counter() - t0
    assert len(loaded.frame) == n
    assert loaded.frame["time"].iloc[0] == times[0].tz_localize(TZ)
    assert elapsed < 2.0


def test_parquet_date_and_integer_hhmm_with_gaps(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "lon": [114.05, 114.06, 114.07],
            "lat": [22.54, 22.55, 22.56],
            "date": pd.to_datetime(["2024-05-01", "2024-05-02", "2024-05-02"]),
            "time": [905.0, 5.0, np.nan],  # ints with a gap come back as floats
            "id": [1.0, 2.0, 3.0],
        }
    )
    path = tmp_path / "inc.parquet"
    df.to_parquet(path)
    loaded = read_incidents(path, timezone=TZ)
    frame = loaded.frame
    assert frame["incident_id"].tolist() == ["1", "2", "3"]
    assert frame["time"].iloc[:2].tolist() == [local("2024-05-01 09:05"), local("2024-05-02 00:05")]
    assert pd.isna(frame["time"].iloc[2])
    assert any(note.startswith("1 of 3 rows have no time") for note in loaded.notes)
