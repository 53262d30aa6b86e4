"""Lean building blocks shared by the maps: compact GeoJSON, fixed-style layers, panels.

folium's ``GeoJson`` copies every column and, with a ``style_function``, writes a per-feature
JavaScript switch (slow at city scale, see the findings). Here a layer is one ``L.geoJson`` with
one fixed style, the geometry rounded and simplified, and only the properties the popups show;
its data waits in a JSON data block until the page builds the layer (:class:`LazyLayer`: only
when first shown). Big line layers can be one packed canvas path instead (``packed``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.plugins import HeatMap
from folium.template import Template

from geo.errors import CRSError
from maps._chains import chain_lines

WGS84 = "EPSG:4326"


_TEMPLATE_OPENERS = re.compile(r"\{(?=[{%#])")


def js_json(value: Any) -> str:
    """Compact JSON that is safe inside a ``<script>`` element and through Jinja.

    branca runs every rendered script once more through Jinja, so ``{{``, ``{%`` and ``{#``
    (which encoded polylines and user text may hold, only ever inside strings: JSON objects
    open with ``{"``) become ``\\u007b...``, which JavaScript reads back as ``{``.
    """
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _TEMPLATE_OPENERS.sub(r"\\u007b", text)


def plain(value: Any, *, digits: int = 3) -> Any:
    """A JSON-ready property value: numpy scalars to Python, NaN to None, floats rounded."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, digits)
    if isinstance(value, np.ndarray):
        return [plain(v, digits=digits) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [plain(v, digits=digits) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    try:
        if value != value:  # pandas NA / NaT
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def to_wgs84(frame: gpd.GeoDataFrame, *, what: str) -> gpd.GeoDataFrame:
    """The frame in EPSG:4326 (folium's CRS); a frame without a CRS is an error."""
    if frame.crs is None:
        msg = f"{what}: the frame has no CRS; set it before drawing"
        raise CRSError(msg)
    return frame if frame.crs == WGS84 else frame.to_crs(WGS84)


_CHUNK_LIMITS = np.array([1 << (5 * k) for k in range(1, 13)], dtype=np.int64)


def encode_lines(coords: npt.ArrayLike, counts: npt.ArrayLike, *, precision: int = 5) -> list[str]:
    """Runs of (lon, lat) rows, ``counts[i]`` rows each, as encoded polylines, all at once.

    Google's format (lat first, deltas from the previous vertex, zig-zag, 5-bit chunks as
    characters): about 5 characters a vertex instead of ~20 in JSON, so big layers shrink by
    ~3/4. The page decodes them with ``patrolDecode`` before Leaflet sees them.
    """
    counts = np.asarray(counts, dtype=np.int64)
    xy = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    q = np.round(xy[:, ::-1] * 10**precision).astype(np.int64)
    d = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    starts = np.cumsum(counts) - counts
    heads = starts[counts > 0]
    d[heads] = q[heads]  # each line starts from (0, 0)
    z = d.ravel()
    z = np.where(z < 0, ~(z << 1), z << 1)
    n = 1 + np.searchsorted(_CHUNK_LIMITS, z, side="right")  # 5-bit chunks of each value
    first = np.cumsum(n) - n
    k = np.arange(int(n.sum())) - np.repeat(first, n)
    chunk = (np.repeat(z, n) >> (5 * k)) & 0x1F
    chunk[k < np.repeat(n - 1, n)] |= 0x20  # more chunks follow
    text = (chunk + 63).astype(np.uint8).tobytes().decode("ascii")
    offset = np.concatenate([[0], np.cumsum(n)])
    begin = offset[2 * starts].tolist()
    stop = offset[2 * (starts + counts)].tolist()
    return [text[a:b] for a, b in zip(begin, stop, strict=True)]


def encode_coords(coords: npt.ArrayLike, *, precision: int = 5) -> str:
    """(lon, lat) rows as one encoded polyline (see :func:`encode_lines`)."""
    xy = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    return encode_lines(xy, [len(xy)], precision=precision)[0]


_ENCODED_TYPES = {1: "LineString", 3: "Polygon", 5: "MultiLineString", 6: "MultiPolygon"}


def _encoded_geometries(geoms: npt.NDArray[np.object_], precision: int) -> list[dict[str, Any]]:
    """``{"type": ..., "enc": ...}`` of each (multi)line or polygon, its rings and lines as
    encoded polylines (encoded all at once); other geometries as plain GeoJSON."""
    types = shapely.get_type_id(geoms)
    encoded = np.isin(types, list(_ENCODED_TYPES)) & ~shapely.is_empty(geoms)
    parts, owner = shapely.get_parts(geoms[encoded], return_index=True)
    is_poly = shapely.get_type_id(parts) == 3
    rings, ring_part = shapely.get_rings(parts[is_poly], return_index=True)
    pieces = np.concatenate([rings, parts[~is_poly]])
    piece_part = np.concatenate([np.flatnonzero(is_poly)[ring_part], np.flatnonzero(~is_poly)])
    order = np.argsort(piece_part, kind="stable")  # a polygon's rings stay exterior first
    pieces, piece_part = pieces[order], piece_part[order]
    texts = encode_lines(
        shapely.get_coordinates(pieces), shapely.get_num_coordinates(pieces), precision=precision
    )
    per_part: list[Any] = [[] if p else None for p in is_poly.tolist()]
    for part, text in zip(piece_part.tolist(), texts, strict=True):
        if per_part[part] is None:
            per_part[part] = text
        else:
            per_part[part].append(text)
    per_geom: list[list[Any]] = [[] for _ in range(int(encoded.sum()))]
    for geom, enc in zip(owner.tolist(), per_part, strict=True):
        per_geom[geom].append(enc)
    out: list[dict[str, Any]] = []
    encs = iter(per_geom)
    for g, kind, enc_ok in zip(geoms, types.tolist(), encoded.tolist(), strict=True):
        if not enc_ok:
            out.append(json.loads(shapely.to_geojson(g)))
            continue
        enc = next(encs)
        single = kind in (1, 3)
        out.append({"type": _ENCODED_TYPES[kind], "enc": enc[0] if single else enc})
    return out


def _drop_holes(geoms: npt.NDArray[np.object_], min_hole_m2: float) -> npt.NDArray[np.object_]:
    """Polygons without the holes smaller than ``min_hole_m2`` (metric CRS)."""
    out = geoms.copy()
    types = shapely.get_type_id(geoms)
    poly = np.flatnonzero(np.isin(types, (3, 6)) & ~shapely.is_empty(geoms))
    if len(poly) == 0:
        return out
    parts, owner = shapely.get_parts(geoms[poly], return_index=True)
    full = ~shapely.is_empty(parts)
    parts, owner = parts[full], owner[full]
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    exterior = np.ones(len(rings), dtype=bool)
    exterior[1:] = ring_part[1:] != ring_part[:-1]
    keep = exterior | (shapely.area(shapely.polygons(rings)) >= min_hole_m2)
    polys = shapely.polygons(rings[keep], indices=ring_part[keep])
    multi = shapely.multipolygons(polys, indices=owner)
    n_parts = np.bincount(owner, minlength=len(poly))
    first = np.cumsum(n_parts) - n_parts
    done = n_parts > 0
    out[poly[done]] = np.where(
        (types[poly] == 3)[done], polys[np.minimum(first, len(polys) - 1)][done], multi[done]
    )
    return out


def feature_collection(
    frame: gpd.GeoDataFrame,
    columns: Sequence[str] = (),
    *,
    what: str,
    simplify_m: float = 0.0,
    min_hole_m2: float = 0.0,
    merge_lines: bool = False,
    precision: int = 5,
    encode: bool = True,
    extra: Mapping[str, Sequence[Any]] | None = None,
) -> dict[str, Any]:
    """A compact GeoJSON FeatureCollection of ``frame`` in EPSG:4326.

    Lines and polygons carry their coordinates as encoded polylines (``"enc"`` instead of
    ``"coordinates"``, see :func:`encode_coords`) unless ``encode`` is false; points stay
    plain GeoJSON.

    Parameters
    ----------
    frame
        Any CRS; simplified in a metric CRS (its own if projected, else the local UTM zone),
        then reprojected to EPSG:4326.
    columns
        The properties to keep (missing columns are skipped).
    what
        Name of the layer, for error messages.
    simplify_m
        Douglas-Peucker tolerance in metres (0: none). For drawing only: topology is not
        preserved (preserving it costs minutes on city-scale polygons).
    min_hole_m2
        Holes of polygons smaller than this are dropped (the blocks inside an isochrone).
    merge_lines
        Join line pieces into long strokes across crossings first (see
        :func:`maps._chains.chain_lines`): big road layers draw in a fraction of the parts.
    precision
        Decimals kept in coordinates (5: about 1 m).
    encode
        Encode line and polygon coordinates (decoded in the page).
    extra
        More properties, one value per row.
    """
    frame = frame.copy() if extra else frame
    if frame.crs is None:
        msg = f"{what}: the frame has no CRS; set it before drawing"
        raise CRSError(msg)
    geoms = frame.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if keep.any() and (simplify_m > 0 or min_hole_m2 > 0 or merge_lines):
        metric = frame if frame.crs.is_projected else frame.to_crs(frame.estimate_utm_crs())
        geoms = metric.geometry.to_numpy().copy()
        if merge_lines:
            geoms[keep] = chain_lines(geoms[keep])
        if min_hole_m2 > 0:
            geoms[keep] = _drop_holes(geoms[keep], min_hole_m2)
        if simplify_m > 0:
            geoms[keep] = shapely.simplify(geoms[keep], simplify_m, preserve_topology=False)
        frame = gpd.GeoDataFrame(
            frame.drop(columns=frame.geometry.name), geometry=list(geoms), crs=metric.crs
        )
    frame = to_wgs84(frame, what=what)
    geoms = frame.geometry.to_numpy()
    keep &= ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, precision))
    cols = [c for c in columns if c in frame.columns]
    records = frame[cols].to_dict("records") if cols else [{} for _ in range(len(frame))]
    rows = np.flatnonzero(keep)
    geometries = (
        _encoded_geometries(geoms[rows], precision)
        if encode
        else [json.loads(shapely.to_geojson(g)) for g in geoms[rows]]
    )
    features = []
    for i, geometry in zip(rows.tolist(), geometries, strict=True):
        props = {k: plain(v) for k, v in records[i].items()}
        if extra:
            props.update({k: plain(v[i]) for k, v in extra.items()})
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


def data_block(element_id: str, data_json: str) -> Element:
    """``<script type="application/json">`` holding data for the page's scripts.

    The browser does not run it: its text waits until a layer reads it with ``patrolData``
    (``JSON.parse``, much faster than running the same data as a JavaScript literal), or for
    ever if that layer is never shown. Not run through the template engine (see :class:`RawHtml`);
    ``data_json`` comes from :func:`js_json`, so it holds no ``<`` that could end the element.
    """
    return RawHtml(
        f'<script type="application/json" class="patrol-data" id="{element_id}">{data_json}'
        "</script>\n"
    )


class GeoJsonLayer(Layer):
    """One ``L.geoJson`` layer with one fixed style, optional popups and point markers.

    The FeatureCollection goes into the page as a JSON data block (see :func:`data_block`);
    the layer is built from it when the page runs, or when first shown inside a
    :class:`LazyLayer`.

    Parameters
    ----------
    data
        A FeatureCollection (see :func:`feature_collection`).
    name
        Its name in the layer control.
    style
        Leaflet path options, the same for every feature.
    points
        How points are drawn: ``"circle"`` (circle markers in ``style``), ``"arrow"`` (a
        rotated arrow, property ``bearing`` in degrees from north), ``"label"`` (a text badge,
        property ``label``, placed by ``style["anchor"]``: center, above or right), or
        ``"hidden"``.
    popup
        (property, label) pairs shown in a popup table; empty for no popup.
    popup_title
        Property whose value heads the popup (optional).
    tooltip
        Property shown on hover (optional).
    pane
        Leaflet pane to draw in (e.g. :data:`TOP_PANE`, above the incident heat).
    packed
        Draw all the features (lines only) as one canvas path (``PatrolLines`` in the page)
        instead of one Leaflet polyline each: for the big road layers, where Leaflet's
        objects per vertex were most of a city map's load time. Popups still tell the
        features apart; no tooltips.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ this.js_expression(this.get_name() + "_data") }};
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        name: str,
        style: Mapping[str, Any],
        points: str = "circle",
        popup: Sequence[tuple[str, str]] = (),
        popup_title: str | None = None,
        tooltip: str | None = None,
        show: bool = True,
        control: bool = True,
        pane: str | None = None,
        packed: bool = False,
    ) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "PatrolGeoJson"
        if points not in ("circle", "arrow", "label", "hidden"):
            msg = f"points: expected circle, arrow, label or hidden, got {points!r}"
            raise ValueError(msg)
        if packed:
            kinds = {(f.get("geometry") or {}).get("type") for f in data.get("features", [])}
            if not kinds <= {"LineString", "MultiLineString"} or tooltip:
                msg = f"packed: lines only and no tooltip, got {sorted(map(str, kinds))}"
                raise ValueError(msg)
        self.builder = "patrolLines" if packed else "patrolGeoJson"
        self.data_json = js_json(data)
        self.n_features = len(data.get("features", []))
        self.options_json = js_json(
            {
                "style": dict(style),
                "points": points,
                "popup": [list(p) for p in popup],
                "popupTitle": popup_title,
                "tooltip": tooltip,
                "pane": pane,
                "interactive": bool(popup or tooltip),
            }
        )

    def js_expression(self, data_id: str) -> str:
        """JavaScript that builds the layer from the data block ``data_id``."""
        return f"{self.builder}(patrolData({js_json(data_id)}), {self.options_json})"

    def render(self, **kwargs: Any) -> None:
        name = self.get_name() + "_data"
        self.get_root().html.add_child(data_block(name, self.data_json), name=name)
        super().render(**kwargs)


class HeatData:
    """Incident heat (Leaflet.heat) for a :class:`LazyLayer`: built only when first shown.

    Parameters
    ----------
    points
        ``[lat, lon, weight]`` rows (EPSG:4326), rounded to 5 decimals (about 1 m).
    radius, blur, min_opacity
        Leaflet.heat's options (pixels, pixels, 0-1).
    """

    default_js = HeatMap.default_js  # folium's name for the plugin; maps.assets ships it

    def __init__(
        self, points: npt.ArrayLike, *, radius: int, blur: int, min_opacity: float
    ) -> None:
        rows = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        if not np.isfinite(rows).all():
            msg = "heat: points must be finite [lat, lon, weight] rows"
            raise ValueError(msg)
        self.data_json = js_json(np.round(rows, 5).tolist())
        self.options_json = js_json(
            {"radius": radius, "blur": blur, "minOpacity": min_opacity, "maxZoom": 18}
        )

    def js_expression(self, data_id: str) -> str:
        return f"L.heatLayer(patrolData({js_json(data_id)}), {self.options_json})"


class LazyLayer(JSCSSMixin, Layer):
    """A layer whose parts are built in the page only when it is first shown.

    Their data waits in JSON data blocks until then, so the layers of the night's other slots
    cost the page nothing at load but reading the text. Works with the layer control and the
    slot selector like any layer.

    Parameters
    ----------
    parts
        :class:`GeoJsonLayer` (not added to a map) and :class:`HeatData` objects.
    name
        Its name in the layer control.
    show
        Shown (so built) when the page opens.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = new PatrolLazy(function () {
            return [
            {%- for expression in this.expressions() %}
                {{ expression }}{% if not loop.last %},{% endif %}
            {%- endfor %}
            ];
        });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        parts: Sequence[GeoJsonLayer | HeatData],
        *,
        name: str,
        show: bool = True,
        control: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "PatrolLazy"
        self.parts = list(parts)
        self.default_js = [js for p in self.parts for js in getattr(p, "default_js", [])]

    def _data_ids(self) -> list[str]:
        return [f"{self.get_name()}_{i}" for i in range(len(self.parts))]

    def expressions(self) -> list[str]:
        return [p.js_expression(i) for p, i in zip(self.parts, self._data_ids(), strict=True)]

    def render(self, **kwargs: Any) -> None:
        html = self.get_root().html
        for part, data_id in zip(self.parts, self._data_ids(), strict=True):
            html.add_child(data_block(data_id, part.data_json), name=data_id)
        super().render(**kwargs)


_HELPERS = """
function patrolDecodeLine(text) {
    var coords = [], index = 0, lat = 0, lon = 0;
    while (index < text.length) {
        var values = [0, 0];
        for (var k = 0; k < 2; k++) {
            var shift = 0, result = 0, byte;
            do {
                byte = text.charCodeAt(index++) - 63;
                result |= (byte & 0x1f) << shift;
                shift += 5;
            } while (byte >= 0x20);
            values[k] = (result & 1) ? ~(result >> 1) : (result >> 1);
        }
        lat += values[0];
        lon += values[1];
        coords.push([lon / 1e5, lat / 1e5]);
    }
    return coords;
}
function patrolDecodeNested(enc) {
    return typeof enc === "string" ? patrolDecodeLine(enc) : enc.map(patrolDecodeNested);
}
function patrolDecode(collection) {
    collection.features.forEach(function (f) {
        var g = f.geometry;
        if (g && g.enc !== undefined) {
            g.coordinates = patrolDecodeNested(g.enc);
            delete g.enc;
        }
    });
    return collection;
}
function patrolData(id) {
    return JSON.parse(document.getElementById(id).textContent);
}
function patrolGeoJson(data, o) {
    var options = {
        style: function () { return o.style; },
        interactive: o.interactive,
        pointToLayer: function (feature, latlng) {
            return patrolPoint(feature, latlng, o.points, o.style, o.pane);
        },
        onEachFeature: function (feature, layer) {
            if (o.popup.length) {
                layer.bindPopup(function () {
                    return patrolPopup(feature.properties, o.popup, o.popupTitle);
                }, {maxWidth: 320});
            }
            if (o.tooltip) { layer.bindTooltip(String(feature.properties[o.tooltip])); }
        }
    };
    if (o.pane) { options.pane = o.pane; }
    return L.geoJson(patrolDecode(data), options);
}
var PatrolLazy = L.LayerGroup.extend({
    initialize: function (build, options) {
        L.LayerGroup.prototype.initialize.call(this, [], options);
        this._build = build;
    },
    onAdd: function (map) {
        if (this._build) {
            var build = this._build;
            this._build = null;
            build().forEach(function (layer) { this.addLayer(layer); }, this);
        }
        L.LayerGroup.prototype.onAdd.call(this, map);
    }
});
function patrolLines(data, o) {
    var options = Object.assign({interactive: o.interactive}, o.style);
    if (o.pane) { options.pane = o.pane; }
    var layer = new PatrolLines(data, options);
    if (o.popup.length) {
        layer.bindPopup(function (source) {
            return patrolPopup(source.hitProperties(), o.popup, o.popupTitle);
        }, {maxWidth: 320});
    }
    return layer;
}
// Many lines as one canvas path: coordinates decoded straight into typed arrays (Web
// Mercator, 0-1), projected to pixels per zoom, drawn with one stroke; no Leaflet object per
// vertex. Hit-testing finds the feature under the pointer for its popup.
var PatrolLines = L.Path.extend({
    options: {smoothFactor: 1},
    initialize: function (collection, options) {
        L.setOptions(this, options);
        var strings = [], owners = [];
        this._props = collection.features.map(function (f, k) {
            var enc = f.geometry ? f.geometry.enc : [];
            (typeof enc === "string" ? [enc] : enc).forEach(function (text) {
                strings.push(text);
                owners.push(k);
            });
            return f.properties;
        });
        var n = 0, i, j, text;
        for (i = 0; i < strings.length; i++) {
            text = strings[i];
            for (j = 0; j < text.length; j++) { if (text.charCodeAt(j) < 95) { n++; } }
        }
        n >>= 1;  // two numbers (their last chunks below 95) a vertex
        var xy = new Float64Array(2 * n), start = new Int32Array(strings.length + 1);
        var box = new Float64Array(4 * strings.length), v = 0;
        var max = 85.0511287798, d2r = Math.PI / 180, s = 90, w = 180, no = -90, e = -180;
        for (i = 0; i < strings.length; i++) {
            text = strings[i];
            start[i] = v;
            var index = 0, lat = 0, lon = 0, x0 = 1, y0 = 1, x1 = 0, y1 = 0;
            while (index < text.length) {
                for (var k = 0; k < 2; k++) {
                    var shift = 0, result = 0, byte;
                    do {
                        byte = text.charCodeAt(index++) - 63;
                        result |= (byte & 0x1f) << shift;
                        shift += 5;
                    } while (byte >= 0x20);
                    var delta = (result & 1) ? ~(result >> 1) : (result >> 1);
                    if (k === 0) { lat += delta; } else { lon += delta; }
                }
                var la = lat / 1e5, lo = lon / 1e5;
                var sin = Math.sin(Math.max(-max, Math.min(max, la)) * d2r);
                var x = lo / 360 + 0.5, y = 0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI);
                xy[2 * v] = x;
                xy[2 * v + 1] = y;
                v++;
                if (x < x0) { x0 = x; } if (x > x1) { x1 = x; }
                if (y < y0) { y0 = y; } if (y > y1) { y1 = y; }
                if (la < s) { s = la; } if (la > no) { no = la; }
                if (lo < w) { w = lo; } if (lo > e) { e = lo; }
            }
            box[4 * i] = x0; box[4 * i + 1] = y0; box[4 * i + 2] = x1; box[4 * i + 3] = y1;
        }
        start[strings.length] = v;
        this._xy = xy;
        this._start = start;
        this._box = box;
        this._owner = Int32Array.from(owners);
        this._hit = 0;
        this._latLngBounds = v ? L.latLngBounds([s, w], [no, e]) : L.latLngBounds([]);
    },
    getBounds: function () { return this._latLngBounds; },
    hitProperties: function () { return this._props[this._hit] || {}; },
    beforeAdd: function (map) {
        var renderer = map.getRenderer(this);
        if (!(renderer instanceof L.Canvas)) {  // a map without preferCanvas
            renderer = map._patrolCanvas = map._patrolCanvas || L.canvas({pane: this.options.pane});
            map.addLayer(renderer);
        }
        this._renderer = renderer;
    },
    _project: function () {
        var map = this._map, scale = map.options.crs.scale(map.getZoom()), o = map.getPixelOrigin();
        var xy = this._xy, px = this._px;
        if (!px || px.length !== xy.length) { px = this._px = new Float64Array(xy.length); }
        var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, x, y;
        for (var i = 0; i < xy.length; i += 2) {
            x = px[i] = Math.round(xy[i] * scale) - o.x;
            y = px[i + 1] = Math.round(xy[i + 1] * scale) - o.y;
            if (x < x0) { x0 = x; } if (x > x1) { x1 = x; }
            if (y < y0) { y0 = y; } if (y > y1) { y1 = y; }
        }
        this._scale = scale;
        this._origin = o;
        var t = this._clickTolerance();
        this._pxBounds = xy.length ? L.bounds([x0 - t, y0 - t], [x1 + t, y1 + t]) : null;
        this._simplify();
    },
    // Douglas-Peucker in pixels, as Leaflet does for its polylines (smoothFactor): the
    // vertices that matter at this zoom, marked in _keep
    _simplify: function () {
        var px = this._px, start = this._start, n = px.length >> 1;
        var keep = this._keep && this._keep.length === n ? this._keep : new Uint8Array(n);
        var stack = this._stack || (this._stack = new Int32Array(64));
        var t2 = this.options.smoothFactor * this.options.smoothFactor;
        keep.fill(0);
        for (var q = 0; q + 1 < start.length; q++) {
            var a = start[q], z = start[q + 1] - 1;
            if (z < a) { continue; }
            keep[a] = 1;
            keep[z] = 1;
            var top = 0;
            stack[top++] = a;
            stack[top++] = z;
            while (top > 0) {
                var last = stack[--top], first = stack[--top], worst = 0, at = -1;
                var ax = px[2 * first], ay = px[2 * first + 1];
                var dx = px[2 * last] - ax, dy = px[2 * last + 1] - ay, dd = dx * dx + dy * dy;
                for (var i = first + 1; i < last; i++) {
                    var ex = px[2 * i] - ax, ey = px[2 * i + 1] - ay, d;
                    if (dd > 0) {
                        var f = Math.max(0, Math.min(1, (ex * dx + ey * dy) / dd));
                        ex -= f * dx;
                        ey -= f * dy;
                    }
                    d = ex * ex + ey * ey;
                    if (d > worst) { worst = d; at = i; }
                }
                if (worst > t2) {
                    keep[at] = 1;
                    if (top + 4 > stack.length) {
                        var bigger = new Int32Array(stack.length * 2);
                        bigger.set(stack);
                        stack = this._stack = bigger;
                    }
                    stack[top++] = first;
                    stack[top++] = at;
                    stack[top++] = at;
                    stack[top++] = last;
                }
            }
        }
        this._keep = keep;
    },
    _update: function () {
        if (this._map) { this._updatePath(); }
    },
    _partOutside: function (q, x0, y0, x1, y1) {
        var b = this._box, s = this._scale, o = this._origin;
        return b[4 * q] * s - o.x > x1 || b[4 * q + 2] * s - o.x < x0
            || b[4 * q + 1] * s - o.y > y1 || b[4 * q + 3] * s - o.y < y0;
    },
    _updatePath: function () {
        var r = this._renderer;
        if (!r._drawing || !this._px) { return; }
        var ctx = r._ctx, px = this._px, start = this._start, keep = this._keep;
        var pad = (this.options.weight || 0) + 2, b = r._bounds;
        var x0 = b.min.x - pad, y0 = b.min.y - pad, x1 = b.max.x + pad, y1 = b.max.y + pad;
        ctx.beginPath();
        for (var q = 0; q + 1 < start.length; q++) {
            var a = start[q], z = start[q + 1];
            if (z - a < 2 || this._partOutside(q, x0, y0, x1, y1)) { continue; }
            ctx.moveTo(px[2 * a], px[2 * a + 1]);
            for (var k = a + 1; k < z; k++) {
                if (keep[k]) { ctx.lineTo(px[2 * k], px[2 * k + 1]); }
            }
        }
        r._fillStroke(ctx, this);
    },
    _containsPoint: function (p) {
        if (!this._pxBounds || !this._pxBounds.contains(p)) { return false; }
        var px = this._px, start = this._start, t = this._clickTolerance(), t2 = t * t;
        for (var q = start.length - 2; q >= 0; q--) {  // the one drawn last first
            if (this._partOutside(q, p.x - t - 1, p.y - t - 1, p.x + t + 1, p.y + t + 1)) {
                continue;
            }
            for (var k = start[q] + 1; k < start[q + 1]; k++) {
                var ax = px[2 * k - 2], ay = px[2 * k - 1];
                var dx = px[2 * k] - ax, dy = px[2 * k + 1] - ay;
                var f = dx || dy ? ((p.x - ax) * dx + (p.y - ay) * dy) / (dx * dx + dy * dy) : 0;
                f = Math.max(0, Math.min(1, f));
                var ex = ax + f * dx - p.x, ey = ay + f * dy - p.y;
                if (ex * ex + ey * ey <= t2) {
                    this._hit = this._owner[q];
                    return true;
                }
            }
        }
        return false;
    }
});
// The canvas of the top pane covers the whole map, so the pointer never reaches the canvas of
// the panes below it (road bands, blind spots): what no layer here takes, the canvas below
// gets (Leaflet asks only the canvas the pointer is on).
var PatrolTopCanvas = L.Canvas.extend({
    _below: function () {
        var below = this._map && this._map._renderer;
        return below && below !== this && below instanceof L.Canvas ? below : null;
    },
    _takes: function (point) {
        for (var order = this._drawFirst; order; order = order.next) {
            var layer = order.layer;
            if (layer.options.interactive && layer._containsPoint(point)) { return true; }
        }
        return false;
    },
    _onClick: function (e) {
        var below = this._below();
        if (below && !this._takes(this._map.mouseEventToLayerPoint(e))) {
            below._onClick(e);
            return;
        }
        L.Canvas.prototype._onClick.call(this, e);
    },
    _handleMouseHover: function (e, point) {
        var below = this._below();
        if (below && !this._mouseHoverThrottled && !this._takes(point)) {
            this._handleMouseOut(e);
            below._handleMouseHover(e, point);
            L.DomUtil[below._hoveredLayer ? "addClass" : "removeClass"](
                this._container, "leaflet-interactive");
            return;
        }
        if (below && below._hoveredLayer) { below._handleMouseOut(e); }
        L.Canvas.prototype._handleMouseHover.call(this, e, point);
    }
});
function patrolEscape(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
        return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
}
function patrolPopup(props, fields, title) {
    var rows = fields.map(function (f) {
        var v = props[f[0]];
        if (v === null || v === undefined) { v = "-"; }
        else if (Array.isArray(v)) { v = v.join(", "); }
        return "<tr><th>" + patrolEscape(f[1]) + "</th><td>" + patrolEscape(v) + "</td></tr>";
    });
    var head = title ? "<div class='patrol-popup-title'>" + patrolEscape(props[title]) + "</div>"
                     : "";
    return head + "<table class='patrol-popup'>" + rows.join("") + "</table>";
}
function patrolPoint(feature, latlng, kind, style, pane) {
    var p = feature.properties;
    if (kind === "arrow") {
        return L.marker(latlng, {interactive: false, keyboard: false, icon: L.divIcon({
            className: "patrol-arrow", iconSize: [22, 22], iconAnchor: [11, 11],
            html: "<svg width='22' height='22' viewBox='0 0 22 22' style='transform: rotate("
                + p.bearing + "deg)'><path d='M11 2 L19 19 L11 14 L3 19 Z' fill='"
                + style.color + "' stroke='#fff' stroke-width='2' stroke-linejoin='round'/>"
                + "</svg>"})});
    }
    if (kind === "label") {
        return L.marker(latlng, {icon: L.divIcon({
            className: "patrol-label " + (style.anchor || "center"), iconSize: null,
            html: "<div style='background: " + style.color + "'>"
                + patrolEscape(p.label) + "</div>"})});
    }
    if (kind === "hidden") { return L.circleMarker(latlng, {radius: 0, opacity: 0}); }
    return L.circleMarker(latlng, pane ? Object.assign({pane: pane}, style) : style);
}
"""

_CSS = """
.patrol-panel { background: rgba(255, 255, 255, 0.94); padding: 8px 10px; border-radius: 6px;
    box-shadow: 0 1px 5px rgba(0, 0, 0, 0.4); font: 13px/1.4 system-ui, -apple-system,
    "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; max-height: 70vh; overflow-y: auto; }
.patrol-panel h4 { margin: 0 0 4px; font-size: 14px; }
.patrol-panel table { border-collapse: collapse; }
.patrol-panel td, .patrol-panel th { padding: 1px 6px 1px 0; text-align: left; }
.patrol-swatch { display: inline-block; width: 22px; height: 0; border-top: 4px solid;
    vertical-align: middle; margin-right: 6px; }
.patrol-swatch.area { height: 10px; border: 1px solid; }
.patrol-swatch.dot { width: 10px; height: 10px; border-radius: 50%; border: 2px solid; }
.patrol-popup th { text-align: left; padding-right: 8px; font-weight: 600; }
.patrol-popup-title { font-weight: 700; margin-bottom: 3px; }
.patrol-arrow svg { display: block; }
.patrol-label div { color: #fff; font: bold 12px/1 system-ui, sans-serif; padding: 3px 5px;
    border-radius: 4px; border: 1px solid #fff; white-space: nowrap;
    transform: translate(-50%, -50%); box-shadow: 0 1px 3px rgba(0, 0, 0, 0.5); }
.patrol-label.above div { transform: translate(-50%, -135%); }
.patrol-label.right div { transform: translate(10px, -50%); }
.patrol-slot select { font-size: 14px; margin: 0 4px; }
.patrol-slot button { font-size: 14px; min-width: 28px; }
.leaflet-control-layers { font: 13px/1.4 system-ui, "Noto Sans CJK SC", sans-serif; }
"""


TOP_PANE = "patrolTop"


class PageSetup(MacroElement):
    """Shared CSS, the JavaScript helpers our layers call, and a pane above the heat layers
    (Leaflet.heat draws on the overlay pane, over the points otherwise); add once per map,
    before the layers."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>{{ this.css }}{{ this.extra_css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        {{ this.helpers }}
        {{ this._parent.get_name() }}.createPane("patrolTop").style.zIndex = 450;
        if ({{ this._parent.get_name() }}.options.preferCanvas) {
            {{ this._parent.get_name() }}._paneRenderers.patrolTop = new PatrolTopCanvas(
                {pane: "patrolTop"});
        }
        {% endmacro %}
        """
    )

    def __init__(self, *, extra_css: str = "") -> None:
        super().__init__()
        self._name = "PatrolPageSetup"
        self.css = _CSS
        self.extra_css = extra_css
        self.helpers = _HELPERS


class Panel(MacroElement):
    """A Leaflet control holding ready-made HTML (a legend, a summary, a turn list)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var control = L.control({position: {{ this.position_json }}});
            control.onAdd = function () {
                var div = L.DomUtil.create("div", "patrol-panel {{ this.css_class }}");
                div.innerHTML = {{ this.html_json }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            control.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str, *, position: str = "bottomleft", css_class: str = "") -> None:
        super().__init__()
        self._name = "PatrolPanel"
        self.html_json = js_json(html)
        self.position_json = js_json(position)
        self.css_class = css_class


class SlotSelector(MacroElement):
    """A control that steps through the night: shows one slot's layers, hides the others.

    The slot layers stay in the layer control too, so any mix can still be ticked by hand.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var groups = [
            {%- for layers in this.groups %}
                [{% for layer in layers %}{{ layer.get_name() }}{% if not loop.last %}, {% endif %}{% endfor %}],
            {%- endfor %}
            ];
            var labels = {{ this.labels_json }};
            var control = L.control({position: "topleft"});
            control.onAdd = function () {
                var div = L.DomUtil.create("div", "patrol-panel patrol-slot");
                var html = "<b>" + {{ this.title_json }} + "</b><br>"
                    + "<button type='button' data-step='-1'>&#9664;</button><select>"
                    + "<option value='-1'>" + {{ this.all_json }} + "</option>";
                labels.forEach(function (label, i) {
                    html += "<option value='" + i + "'>" + patrolEscape(label) + "</option>";
                });
                div.innerHTML = html + "</select><button type='button' data-step='1'>&#9654;</button>";
                var select = div.querySelector("select");
                function show(index) {
                    select.value = String(index);
                    groups.forEach(function (layers, i) {
                        layers.forEach(function (layer) {
                            if (index < 0 || index === i) { map.addLayer(layer); }
                            else { map.removeLayer(layer); }
                        });
                    });
                }
                select.addEventListener("change", function () { show(Number(select.value)); });
                div.querySelectorAll("button").forEach(function (button) {
                    button.addEventListener("click", function () {
                        var n = labels.length;
                        var i = Number(select.value) + Number(button.dataset.step);
                        show(((i % n) + n) % n);
                    });
                });
                L.DomEvent.disableClickPropagation(div);
                control.show = show;
                show({{ this.initial }});
                return div;
            };
            control.addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        labels: Sequence[str],
        groups: Sequence[Sequence[Element]],
        *,
        title: str,
        all_label: str,
        initial: int = 0,
    ) -> None:
        super().__init__()
        self._name = "PatrolSlotSelector"
        self.labels_json = js_json(list(labels))
        self.groups = [list(g) for g in groups]
        self.title_json = js_json(title)
        self.all_json = js_json(all_label)
        self.initial = int(initial)


class InitialView(MacroElement):
    """Show ``bounds`` ([[south, west], [north, east]]) at once, with no animation.

    Add it right after the map, before the layers: Leaflet then projects and draws every layer
    once, at the zoom it is shown at. folium's ``fit_bounds`` runs after the layers, and its
    animated zoom projected and drew the whole city a second time (a second of load time).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.fitBounds({{ this.bounds_json }}, {animate: false});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: Sequence[Sequence[float]]) -> None:
        super().__init__()
        self._name = "PatrolInitialView"
        self.bounds_json = js_json([[float(v) for v in corner] for corner in bounds])


class RawHtml(Element):
    """Ready-made HTML, not run through the template engine (user text may hold braces)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "PatrolRawHtml"
        self.text = text

    def render(self, **kwargs: object) -> str:
        return self.text


def page_head(m: Any, *, title: str) -> None:
    """The page title, and an empty favicon (no request that would 404)."""
    import html

    m.get_root().header.add_child(
        RawHtml(
            f"<title>{html.escape(title)}</title>\n"
            '<link rel="icon" href="data:image/svg+xml,%3Csvg%20xmlns%3D%22'
            'http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%22%2F%3E"/>\n'
        ),
        name="patrol_title",
    )


OSM = "osm"
_NO_TILES_CSS = ".leaflet-container { background: #f2efe9; }"


def add_tiles(
    m: Any, tiles: str | None, *, attribution: str | None, label: str, osm_label: str
) -> str:
    """Add the base tiles: ``"osm"``, a URL template (``{z}``, ``{x}``, ``{y}``) or ``None``.

    Returns the extra page CSS: with no tiles the page gets a paper background and the road
    layers drawn on top are the base the map reads on.
    """
    import folium

    if tiles is None:
        return _NO_TILES_CSS
    if tiles == OSM:
        folium.TileLayer("OpenStreetMap", name=osm_label, control=False).add_to(m)
        return ""
    if not isinstance(tiles, str) or not all(k in tiles for k in ("{z}", "{x}", "{y}")):
        msg = f"tiles: expected 'osm', None or a URL template with {{z}}/{{x}}/{{y}}, got {tiles!r}"
        raise ValueError(msg)
    folium.TileLayer(
        tiles=tiles, attr=attribution or label, name=label, control=False, max_zoom=19
    ).add_to(m)
    return ""
