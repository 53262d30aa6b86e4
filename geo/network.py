"""Loading road networks: OSM XML/PBF files, osmnx GraphML, or (online only) osmnx queries.

Every loader ends the same way (:func:`prepare_graph`): keep the largest strongly connected
part (reporting what was dropped), project to the local UTM zone, and set ``speed_kph`` and
``travel_time`` on every edge. One-way streets stay one-way on the drive network; the walk
network is two-way everywhere.
"""

from __future__ import annotations

import bz2
import logging
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import osmnx as ox

from geo.errors import InputError
from geo.travel_time import Profile, add_travel_times, first_tag, load_profile

log = logging.getLogger(__name__)

Mode = Literal["drive", "walk"]

# Road classes kept on each network. Ways with access=no/private are dropped on both.
DRIVE_HIGHWAYS = frozenset(
    {
        "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
        "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
        "residential", "living_street", "service", "road", "busway",
    }
)  # fmt: skip
WALK_EXCLUDED_HIGHWAYS = frozenset(
    {
        "motorway", "motorway_link", "trunk", "trunk_link", "construction", "proposed",
        "planned", "abandoned", "razed", "raceway", "bus_guideway", "escalator", "elevator",
        "platform", "no",
    }
)  # fmt: skip
_DRIVE_SERVICE_EXCLUDED = frozenset({"parking", "parking_aisle", "private", "emergency_access"})
_NO = frozenset({"no", "private"})
# Edge attributes kept after loading (the rest of OSM's tags only cost memory).
_KEEP_EDGE_ATTRS = ("osmid", "highway", "name", "maxspeed", "oneway", "length", "geometry", "ref")

SUFFIXES = (".osm", ".osm.bz2", ".xml", ".osm.pbf", ".pbf", ".graphml")


@dataclass(frozen=True)
class NetworkReport:
    """What loading did: the source, and what the largest strongly connected part dropped."""

    source: str
    mode: str
    crs: str
    nodes: int
    edges: int
    nodes_dropped: int
    edges_dropped: int
    road_km_directed: float

    def summary(self) -> str:
        return (
            f"{self.source}: {self.mode} network, {self.nodes:,} nodes, {self.edges:,} edges, "
            f"{self.road_km_directed:,.1f} km directed, CRS {self.crs}; "
            f"dropped {self.nodes_dropped:,} nodes / {self.edges_dropped:,} edges "
            "outside the largest strongly connected part"
        )


@dataclass(frozen=True)
class LoadedNetwork:
    """A road graph ready for planning, and the report of how it was made."""

    graph: nx.MultiDiGraph
    report: NetworkReport


def _keep_edge(data: dict[str, Any], mode: Mode) -> bool:
    hwy = data.get("highway")
    classes = set(hwy) if isinstance(hwy, list | tuple) else {hwy}
    if str(data.get("area", "no")) == "yes":
        return False
    if str(first_tag(data.get("access", "yes"))) in _NO:
        return False
    if mode == "drive":
        if not classes & DRIVE_HIGHWAYS:
            return False
        for tag in ("motor_vehicle", "motorcar"):
            if str(first_tag(data.get(tag, "yes"))) in _NO:
                return False
        return str(first_tag(data.get("service", ""))) not in _DRIVE_SERVICE_EXCLUDED
    if hwy is None or classes <= WALK_EXCLUDED_HIGHWAYS:
        return False
    return str(first_tag(data.get("foot", "yes"))) not in _NO


def _filter_edges(G: nx.MultiDiGraph, mode: Mode) -> nx.MultiDiGraph:
    drop = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if not _keep_edge(d, mode)]
    G.remove_edges_from(drop)
    G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
    return G


def _slim(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    for _, _, data in G.edges(data=True):
        for key in [k for k in data if k not in _KEEP_EDGE_ATTRS]:
            del data[key]
    for _, data in G.nodes(data=True):
        for key in [k for k in data if k not in ("x", "y", "street_count", "highway")]:
            del data[key]
    return G


def _from_pbf(path: Path, mode: Mode) -> nx.MultiDiGraph:
    import pyrosm  # imported here: slow to import, and only PBF needs it

    try:
        osm = pyrosm.OSM(str(path))
        nodes, edges = osm.get_network(
            network_type="driving" if mode == "drive" else "walking", nodes=True
        )
    except Exception as exc:  # pyrosm raises bare Exceptions on corrupt files
        msg = f"{path}: not a readable OSM PBF file ({type(exc).__name__}: {exc})"
        raise InputError(msg) from None
    if edges is None or len(edges) == 0:
        msg = f"{path}: holds no {mode} road network"
        raise InputError(msg)
    G = osm.to_graph(nodes, edges, graph_type="networkx")
    for _, _, data in G.edges(data=True):
        # pyrosm writes a boolean `oneway` that already reflects the direction of each edge
        data["oneway"] = bool(data.get("oneway", False))
    return G


def _from_xml(path: Path, mode: Mode) -> nx.MultiDiGraph:
    target = path
    tmp: tempfile.TemporaryDirectory[str] | None = None
    try:
        if path.name.endswith(".bz2"):
            tmp = tempfile.TemporaryDirectory()
            target = Path(tmp.name) / path.name[: -len(".bz2")]
            try:
                target.write_bytes(bz2.decompress(path.read_bytes()))
            except OSError as exc:
                msg = f"{path}: not a bzip2 file ({exc})"
                raise InputError(msg) from None
        try:
            G = ox.graph_from_xml(
                target, bidirectional=(mode == "walk"), simplify=False, retain_all=True
            )
        except Exception as exc:  # the XML parser raises several unrelated types
            msg = f"{path}: not a readable OSM XML file ({type(exc).__name__}: {exc})"
            raise InputError(msg) from None
    finally:
        if tmp is not None:
            tmp.cleanup()
    G = _filter_edges(G, mode)
    if G.number_of_edges() == 0:
        msg = f"{path}: holds no {mode} road network"
        raise InputError(msg)
    return ox.simplify_graph(G)


def _from_graphml(path: Path) -> nx.MultiDiGraph:
    try:
        G = ox.load_graphml(path)
    except Exception as exc:  # malformed XML, missing attributes, wrong types
        msg = f"{path}: not a readable osmnx GraphML file ({type(exc).__name__}: {exc})"
        raise InputError(msg) from None
    if G.number_of_edges() == 0:
        msg = f"{path}: the graph has no edges"
        raise InputError(msg)
    missing = [n for n, d in G.nodes(data=True) if "x" not in d or "y" not in d][:3]
    if missing:
        msg = f"{path}: nodes without x/y coordinates, e.g. {missing}"
        raise InputError(msg)
    if "crs" not in G.graph:
        msg = f"{path}: the graph has no 'crs' attribute"
        raise InputError(msg)
    return G


_BBOX_RE = re.compile(r"^bbox:\s*([-\d.]+),\s*([-\d.]+),\s*([-\d.]+),\s*([-\d.]+)$")


def _from_osmnx_query(query: str, mode: Mode) -> nx.MultiDiGraph:
    network_type = "drive" if mode == "drive" else "walk"
    try:
        m = _BBOX_RE.match(query)
        if m:
            west, south, east, north = (float(g) for g in m.groups())
            return ox.graph_from_bbox((west, south, east, north), network_type=network_type)
        return ox.graph_from_place(query, network_type=network_type)
    except Exception as exc:  # network errors, geocoding failures
        msg = f"osmnx query {query!r} failed ({type(exc).__name__}: {exc})"
        raise InputError(msg) from None


def read_graph(
    source: str | Path, *, mode: Mode = "drive", online: bool = False
) -> nx.MultiDiGraph:
    """Read a raw road graph (unprojected or as stored) from a file or an osmnx query."""
    if mode not in ("drive", "walk"):
        msg = f"mode must be 'drive' or 'walk', got {mode!r}"
        raise InputError(msg)
    text = str(source)
    path = Path(text)
    name = path.name.lower()
    if path.exists():
        if path.is_dir():
            msg = f"{path}: is a folder, not a network file ({', '.join(SUFFIXES)})"
            raise InputError(msg)
        if path.stat().st_size == 0:
            msg = f"{path}: the file is empty"
            raise InputError(msg)
        if name.endswith((".osm.pbf", ".pbf")):
            return _from_pbf(path, mode)
        if name.endswith((".osm", ".osm.bz2", ".xml")):
            return _from_xml(path, mode)
        if name.endswith(".graphml"):
            return _from_graphml(path)
        msg = f"{path}: unknown network file type; expected one of {', '.join(SUFFIXES)}"
        raise InputError(msg)
    if name.endswith(SUFFIXES) or "/" in text:
        msg = f"{path}: network file not found"
        raise InputError(msg)
    if not online:
        msg = (
            f"{text!r} is not a file; to fetch it from OpenStreetMap as a place name or "
            "'bbox:W,S,E,N', allow online queries (--online)"
        )
        raise InputError(msg)
    ox.settings.use_cache = True
    return _from_osmnx_query(text, mode)


def prepare_graph(
    G: nx.MultiDiGraph,
    *,
    mode: Mode = "drive",
    profile: Profile | None = None,
    source: str = "graph",
    to_crs: str | None = None,
) -> LoadedNetwork:
    """Largest strongly connected part, projected to a metric CRS, with travel times.

    Parameters
    ----------
    G
        A road graph as osmnx makes it (node ``x``/``y``, edge ``length`` in metres).
    mode
        ``"drive"`` or ``"walk"``.
    profile
        Travel-time profile; the default profile when ``None``.
    source
        Name of where the graph came from, for the report.
    to_crs
        Target CRS; the local UTM zone when ``None``. A graph already in a projected CRS is
        kept in it unless ``to_crs`` is given.
    """
    profile = profile or load_profile()
    n0, m0 = G.number_of_nodes(), G.number_of_edges()
    if m0 == 0:
        msg = f"{source}: the road graph has no edges"
        raise InputError(msg)
    G = ox.truncate.largest_component(G, strongly=True)
    G = _slim(nx.MultiDiGraph(G))
    crs = G.graph.get("crs")
    if crs is None:
        msg = f"{source}: the road graph has no CRS (graph attribute 'crs')"
        raise InputError(msg)
    if to_crs is not None or ox.projection.is_projected(crs) is False:
        G = ox.project_graph(G, to_crs=to_crs)
    add_travel_times(G, profile=profile, mode=mode)
    road_m = sum(float(d["length"]) for _, _, d in G.edges(data=True))
    report = NetworkReport(
        source=source,
        mode=mode,
        crs=str(G.graph["crs"]),
        nodes=G.number_of_nodes(),
        edges=G.number_of_edges(),
        nodes_dropped=n0 - G.number_of_nodes(),
        edges_dropped=m0 - G.number_of_edges(),
        road_km_directed=road_m / 1000.0,
    )
    G.graph["mode"] = mode
    return LoadedNetwork(graph=G, report=report)


def load_network(
    source: str | Path,
    *,
    mode: Mode = "drive",
    profile: Profile | None = None,
    online: bool = False,
) -> LoadedNetwork:
    """Load a road network ready for planning.

    Parameters
    ----------
    source
        An OSM XML (``.osm``, ``.osm.bz2``), OSM PBF (``.osm.pbf``) or osmnx GraphML file; or,
        with ``online=True``, a place name or ``"bbox:W,S,E,N"`` queried through osmnx.
    mode
        ``"drive"`` (default) or ``"walk"`` (foot patrols).
    profile
        Travel-time profile; the default profile when ``None``.
    online
        Allow osmnx to query OpenStreetMap (it caches answers).
    """
    G = read_graph(source, mode=mode, online=online)
    return prepare_graph(G, mode=mode, profile=profile, source=str(source))
