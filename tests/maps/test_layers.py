"""Building blocks of the maps: encoded polylines, checked against Google's documented example."""

from __future__ import annotations

import numpy as np

from maps._layers import encode_coords, encode_lines
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
