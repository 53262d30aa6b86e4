"""Bounded many-source shortest paths, tiled so that each search only sees its neighbourhood.

scipy's Dijkstra allocates a dense row per source, which at city scale (10^5 nodes, 10^4
sources) costs more than the searches. Searches bounded by ``limit`` only ever reach nodes
within ``limit * max_speed`` of their source, so sources are grouped into square tiles and
each tile searches only the sub-network within that Euclidean margin: exact distances, for a
fraction of the memory and time.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from geo.graph import Network

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def bounded_distances(
    net: Network,
    sources: IntArray,
    *,
    limit: float,
    csr: sparse.csr_array | None = None,
    max_rate: float | None = None,
    tile_m: float = 1500.0,
) -> tuple[IntArray, IntArray, FloatArray]:
    """All (source, node, distance) with distance <= ``limit``, from each source separately.

    Parameters
    ----------
    net
        Compiled network.
    sources
        Node indices to search from (each gets its own search).
    limit
        Cut-off, in the units of ``csr``.
    csr
        Weights (travel time in seconds when ``None``, i.e. ``net.csr``).
    max_rate
        Largest Euclidean metres covered per unit of weight (m/s for travel time; 1 for
        lengths). Derived from the network when ``None``.

    Returns
    -------
    src, node, dist
        Flat arrays: position in ``sources``, node index and distance of every pair in reach.
    """
    csr = net.csr if csr is None else csr
    sources = np.asarray(sources, dtype=np.int64)
    if max_rate is None:
        if csr is net.csr:
            max_rate = float(np.max(net.edge_length_m / np.maximum(net.edge_time_s, 1e-9)))
        else:
            max_rate = 1.0
    margin = limit * max_rate + 1.0
    xy = np.column_stack([net.x, net.y])
    sx, sy = net.x[sources], net.y[sources]
    tx = np.floor((sx - sx.min()) / tile_m).astype(np.int64) if len(sources) else sx
    ty = np.floor((sy - sy.min()) / tile_m).astype(np.int64) if len(sources) else sy
    tile = tx * 1_000_003 + ty
    order = np.argsort(tile, kind="stable")
    bounds = np.flatnonzero(np.diff(tile[order])) + 1
    out_s, out_n, out_d = [], [], []
    for group in np.split(order, bounds):
        if len(group) == 0:
            continue
        gx, gy = sx[group], sy[group]
        inside = (
            (xy[:, 0] >= gx.min() - margin)
            & (xy[:, 0] <= gx.max() + margin)
            & (xy[:, 1] >= gy.min() - margin)
            & (xy[:, 1] <= gy.max() + margin)
        )
        local = np.flatnonzero(inside)
        sub = csr[local][:, local]
        pos = np.searchsorted(local, sources[group])
        for start in range(0, len(group), 256):
            chunk = slice(start, start + 256)
            dist = dijkstra(sub, directed=True, indices=pos[chunk], limit=limit)
            r, c = np.nonzero(np.isfinite(dist))
            out_s.append(group[chunk][r])
            out_n.append(local[c])
            out_d.append(dist[r, c])
    if not out_s:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    return np.concatenate(out_s), np.concatenate(out_n), np.concatenate(out_d)
