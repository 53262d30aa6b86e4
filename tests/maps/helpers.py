"""Reading back what a map page holds: the GeoJSON embedded in it, its script and link URLs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

_DECODER = json.JSONDecoder()


_DATA_BLOCK = re.compile(
    r'<script type="application/json" class="patrol-data" id="([\w-]+)">(.*?)</script>', re.S
)


def data_blocks(html: str) -> dict[str, Any]:
    """The page's JSON data blocks (the data its layers are built from), by element id."""
    out = {}
    for match in _DATA_BLOCK.finditer(html):
        assert match.group(1) not in out, f"two data blocks with the id {match.group(1)}"
        out[match.group(1)] = json.loads(match.group(2))
    return out


def embedded_collections(html: str) -> list[dict[str, Any]]:
    """Every FeatureCollection in the page: its data blocks, and any ``L.geoJson({...})``
    literal (none in our maps now; kept so a layer written inline is still counted)."""
    out = [d for d in data_blocks(html).values() if _is_collection(d)]
    for match in re.finditer(r"L\.geoJson\((?:patrolDecode\()?(?=\{)", html):
        data, _ = _DECODER.raw_decode(html, match.end())
        out.append(data)
    return out


def _is_collection(data: Any) -> bool:
    return isinstance(data, dict) and data.get("type") == "FeatureCollection"


def embedded_features(html: str) -> list[dict[str, Any]]:
    return [f for fc in embedded_collections(html) for f in fc["features"]]


def coordinates(geometry: dict[str, Any]) -> Iterator[tuple[float, float]]:
    """Every (lon, lat) of a GeoJSON geometry, plain or with encoded coordinates (``enc``)."""

    def walk(c: Any) -> Iterator[tuple[float, float]]:
        if isinstance(c, str):
            yield from decode_polyline(c)
        elif isinstance(c[0], (int, float)):
            yield float(c[0]), float(c[1])
        else:
            for part in c:
                yield from walk(part)

    yield from walk(geometry["enc"] if "enc" in geometry else geometry["coordinates"])


def resource_urls(html: str) -> list[str]:
    """The ``src`` of every script and the ``href`` of every stylesheet link."""
    scripts = re.findall(r"<script[^>]*\ssrc=[\"']([^\"']+)", html)
    links = re.findall(r"<link[^>]*\shref=[\"']([^\"']+)", html)
    return scripts + links


def decode_polyline(text: str, precision: int = 5) -> list[tuple[float, float]]:
    """(lon, lat) pairs of an encoded polyline (what the page's ``patrolDecodeLine`` does)."""
    coords, index, lat, lon = [], 0, 0, 0
    while index < len(text):
        values = []
        for _ in range(2):
            shift = result = 0
            while True:
                byte = ord(text[index]) - 63
                index += 1
                result |= (byte & 0x1F) << shift
                shift += 5
                if byte < 0x20:
                    break
            values.append(~(result >> 1) if result & 1 else result >> 1)
        lat += values[0]
        lon += values[1]
        coords.append((lon / 10**precision, lat / 10**precision))
    return coords
