"""Building blocks of the maps: encoded polylines (Google's documented example), packed layers."""

from __future__ import annotations

import numpy as np
import pytest

from maps._layers import GeoJsonLayer, encode_coords, encode_lines
from tests.maps.helpers import decode_polyline

# developers.google.com/maps/documentation/utilities/polylinealgorithm, as (lon, lat)
GOOGLE = [(-120.2, 38.5), (-120.95, 40.7), (-126.453, 43.252)]
GOOGLE_TEXT = "_p~iF~ps|U_ulLnnqC_mqNvxq`@"


def test_encode_google_example():
    assert encode_coords(np.array(GOOGLE)) == GOOGLE_TEXT
    assert decode_polyline(GOOGLE_TEXT) == GOOGLE


def test_encode_many_lines_at_once_as_one_by_one():
    rng = np.random.default_rng(1)
    lines = [rng.uniform([-180, -90], [180, 90], (n, 2)) for n in (2, 1, 7, 0, 3)]
    texts = encode_lines(np.concatenate(lines), [len(x) for x in lines])
    assert texts == [encode_coords(x) if len(x) else "" for x in lines]
    for x, text in zip(lines, texts, strict=True):
        decoded = np.array(decode_polyline(text), dtype=float).reshape(-1, 2)
        assert np.allclose(decoded, np.round(x, 5), atol=1e-9)


def test_packed_layers_take_lines_only():

    line = {"type": "LineString", "enc": encode_coords(np.array(GOOGLE))}
    point = {"type": "Point", "coordinates": [24.9, 60.2]}
    lines = {"type": "FeatureCollection", "features": [{"properties": {}, "geometry": line}]}
    layer = GeoJsonLayer(lines, name="road", style={}, popup=[("band", "Band")], packed=True)
    assert layer.js_expression("x").startswith("patrolLines(")
    points = {"type": "FeatureCollection", "features": [{"properties": {}, "geometry": point}]}
    with pytest.raises(ValueError, match="packed: lines only"):
        GeoJsonLayer(points, name="posts", style={}, packed=True)
    with pytest.raises(ValueError, match="no tooltip"):
        GeoJsonLayer(lines, name="road", style={}, tooltip="band", packed=True)
