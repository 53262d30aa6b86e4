"""The map library's own files, from installed packages, so maps work with no internet.

folium links Leaflet, jQuery, Bootstrap, awesome-markers and its plugins from public CDNs, so a
default folium map is blank offline. Our maps use only Leaflet itself and the Leaflet.heat
plugin (layer control, popups, circle markers and ``DivIcon`` markers are plain Leaflet), so:

- Leaflet's JavaScript, stylesheet and images come from the ``XStatic-Leaflet`` package
  (``xstatic.pkg.leaflet``);
- Leaflet.heat comes from folium itself, which ships it as ``folium/templates/leaflet_heat.min.js``.

:func:`use_local_assets` strips every CDN link from a finished map and puts the files in
instead, either inline (one standalone HTML file) or linked from a base URL (``"assets/"``
beside the HTML, or a path the API serves with :func:`asset_files`). A map that needs a file we
do not ship raises :class:`MissingAssetError` rather than fall back to a CDN.
"""

from __future__ import annotations

import base64
import importlib.resources
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import folium
from branca.element import Element, Figure
from folium.elements import JSCSSMixin

from geo.errors import PatrolError
from geo.export import write_files

__all__ = [
    "INLINE",
    "MissingAssetError",
    "asset_files",
    "save_map",
    "use_local_assets",
    "map_files",
]

INLINE = "inline"


class MissingAssetError(PatrolError, LookupError):
    """A map needs a JavaScript or CSS file that no installed package provides here."""


# folium's resource names -> our asset file (None: not needed by our maps, dropped)
_JS: dict[str, str | None] = {
    "leaflet": "leaflet.js",
    "leaflet-heat.js": "leaflet-heat.js",
    "jquery": None,
    "bootstrap": None,
    "awesome_markers": None,
}
_CSS: dict[str, str | None] = {
    "leaflet_css": "leaflet.css",
    "bootstrap_css": None,
    "glyphicons_css": None,
    "awesome_markers_font_css": None,
    "awesome_markers_css": None,
    "awesome_rotate_css": None,
}
# load order: Leaflet before its plugins
_ORDER = ("leaflet.css", "leaflet.js", "leaflet-heat.js")
_LEAFLET_IMAGES = (
    "layers.png",
    "layers-2x.png",
    "marker-icon.png",
    "marker-icon-2x.png",
    "marker-shadow.png",
)


def _leaflet_dir() -> Path:
    try:
        from xstatic.pkg import leaflet
    except ImportError as err:  # pragma: no cover - a broken install
        msg = "offline map assets: install XStatic-Leaflet (pip install 'XStatic-Leaflet>=1.9')"
        raise MissingAssetError(msg) from err
    return Path(leaflet.BASE_DIR)


def _sources() -> dict[str, Path]:
    leaflet = _leaflet_dir()
    heat = importlib.resources.files(folium) / "templates" / "leaflet_heat.min.js"
    out = {
        "leaflet.js": leaflet / "leaflet.js",
        "leaflet.css": leaflet / "leaflet.css",
        "leaflet-heat.js": Path(str(heat)),
    }
    out.update({f"images/{name}": leaflet / "images" / name for name in _LEAFLET_IMAGES})
    return out


@cache
def asset_files() -> dict[str, bytes]:
    """Every file our maps load, by the relative name maps link it under.

    The API serves these (e.g. ``GET /maps/assets/{name}``) for maps built with
    ``assets="/maps/assets/"``; :func:`map_files` adds them beside a map linking them.
    """
    out = {}
    for name, path in _sources().items():
        if not path.is_file():
            msg = f"offline map assets: {name} not found at {path} (reinstall its package)"
            raise MissingAssetError(msg)
        out[name] = path.read_bytes()
    return out


@cache
def _inline_css() -> str:
    """leaflet.css with its images as data: URIs."""
    files = asset_files()
    css = files["leaflet.css"].decode("utf-8")

    def data_uri(match: re.Match[str]) -> str:
        name = match.group(1)
        encoded = base64.b64encode(files[name]).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)


class _Asset(Element):
    """One asset tag in the page head: inline, or linked from ``base_url``."""

    def __init__(self, name: str, *, base_url: str) -> None:
        super().__init__()
        self._name = f"patrol_asset_{name}"
        self.asset = name
        self.base_url = base_url

    def render(self, **kwargs: object) -> str:
        is_css = self.asset.endswith(".css")
        if self.base_url != INLINE:
            url = f"{self.base_url}{self.asset}"
            if is_css:
                return f'<link rel="stylesheet" href="{url}"/>\n'
            return f'<script src="{url}"></script>\n'
        if is_css:
            return f"<style>\n{_inline_css()}\n</style>\n"
        js = asset_files()[self.asset].decode("utf-8").replace("</script", "<\\/script")
        return f"<script>\n{js}\n</script>\n"


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def use_local_assets(m: folium.Map, *, assets: str = INLINE) -> folium.Map:
    """Replace every CDN link of a finished map by our packaged files.

    Call it after the last layer is added (a layer added later brings its CDN links back).

    Parameters
    ----------
    m
        The map.
    assets
        ``"inline"`` to put the files into the page (a standalone file), or a base URL ending
        in ``/`` to link them from (``"assets/"`` beside the HTML, ``"/maps/assets/"`` for the
        API).

    Returns
    -------
    folium.Map
        ``m`` itself, changed in place.
    """
    if assets != INLINE and not assets.endswith("/"):
        msg = f"assets: expected 'inline' or a base URL ending in '/', got {assets!r}"
        raise ValueError(msg)
    figure = m.get_root()
    if not isinstance(figure, Figure):  # pragma: no cover - folium always makes one
        msg = "use_local_assets: the map is not in a Figure"
        raise TypeError(msg)
    needed: set[str] = set()
    for element in _walk(m):
        if not isinstance(element, JSCSSMixin):
            continue
        for links, table in ((element.default_js, _JS), (element.default_css, _CSS)):
            for name, url in links:
                if name not in table:
                    msg = (
                        f"offline map assets: {type(element).__name__} needs {name!r} "
                        f"({url}), which no installed package provides here"
                    )
                    raise MissingAssetError(msg)
                if table[name] is not None:
                    needed.add(table[name])
        element.default_js = []  # instance attributes: folium's class lists stay as they are
        element.default_css = []
    for name in _ORDER:
        if name in needed:
            figure.header.add_child(_Asset(name, base_url=assets), name=f"patrol_asset_{name}")
    return m


def map_files(m: folium.Map, name: str) -> dict[str, bytes]:
    """The files of a finished map: its HTML under ``name``, and the assets it links
    relatively (``assets/...``) beside it; none when inline or served by the API."""
    html = m.get_root().render()
    files = {name: html.encode("utf-8")}
    bases = {
        child.base_url
        for child in m.get_root().header._children.values()
        if isinstance(child, _Asset) and child.base_url != INLINE
    }
    for base in sorted(bases):
        if "://" in base or base.startswith("/"):
            continue  # served by someone else (the API)
        files.update({f"{base}{asset}": data for asset, data in asset_files().items()})
    return files


def save_map(m: folium.Map, path: str | Path) -> list[Path]:
    """Write :func:`map_files` beside ``path`` (all or nothing); returns the files, HTML first."""
    out = Path(path)
    return write_files(out.parent, map_files(m, out.name))
