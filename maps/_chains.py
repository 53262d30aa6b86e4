"""Road pieces joined into long strokes for drawing: across crossings, straightest first.

A road layer cut at every node is one short line per block (about two vertices each; 200,000
lines at city scale). ``shapely.line_merge`` joins lines only where exactly two meet, never
across a crossing, so a grid stays in pieces: the canvas then strokes 200,000 sub-paths and
Leaflet keeps a few objects per vertex, which is where a city map's load time went. Here each
piece is joined, at every node, to the piece that carries on most nearly straight (the
"strokes" or "natural roads" of street-network analysis): a grid's streets become one line
each. The same road is drawn; only the number of parts and shared vertices changes.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import shapely

__all__ = ["chain_lines"]

_LINE_TYPES = (1, 5)  # LineString, MultiLineString


def _pair_ends(
    node: npt.NDArray[np.int64], direction: npt.NDArray[np.float64], *, min_score: float
) -> npt.NDArray[np.int64]:
    """The end each line end continues into (-1: none), at most one per end.

    ``node[e]`` is the node of end ``e`` (ends ``2 i`` and ``2 i + 1`` belong to piece ``i``),
    ``direction[e]`` the unit vector from that node into the piece. Two ends at a node continue
    each other when the turn between them is small (score = cosine of the turn >=
    ``min_score``); pairs are taken where both ends like each other best, for a few rounds.
    """
    n_ends = len(node)
    order = np.argsort(node, kind="stable")
    sorted_node = node[order]
    a_list, b_list = [], []
    for k in range(1, n_ends):
        same = sorted_node[:-k] == sorted_node[k:]
        if not same.any():
            break
        a, b = order[:-k][same], order[k:][same]
        keep = (a >> 1) != (b >> 1)  # never a piece with itself
        a_list.append(a[keep])
        b_list.append(b[keep])
    partner = np.full(n_ends, -1, dtype=np.int64)
    if not a_list:
        return partner
    a = np.concatenate(a_list)
    b = np.concatenate(b_list)
    score = -(direction[a] * direction[b]).sum(axis=1)  # straight on: directions opposite
    degree = np.bincount(node)
    score[degree[node[a]] == 2] = 2.0  # where only two meet, they always join (as line_merge)
    ok = score >= min_score
    a, b, score = a[ok], b[ok], score[ok]
    for _ in range(8):
        if len(a) == 0:
            break
        end = np.concatenate([a, b])
        other = np.concatenate([b, a])
        both = np.concatenate([score, score])
        by_end = np.lexsort((-both, end))
        head = np.ones(len(by_end), dtype=bool)
        head[1:] = end[by_end][1:] != end[by_end][:-1]
        best = np.full(n_ends, -1, dtype=np.int64)
        best[end[by_end][head]] = other[by_end][head]
        has = np.flatnonzero(best >= 0)
        mutual = has[best[best[has]] == has]
        if len(mutual) == 0:
            break
        partner[mutual] = best[mutual]
        free = partner < 0
        keep = free[a] & free[b]
        a, b, score = a[keep], b[keep], score[keep]
    return partner


def _walk(partner: npt.NDArray[np.int64], n: int) -> tuple[list[int], list[int]]:
    """Pieces in stroke order: (entry end of each visited piece, stroke number)."""
    partner_l = partner.tolist()
    visited = bytearray(n)
    entries: list[int] = []
    strokes: list[int] = []
    stroke = 0
    starts = [e for e in range(2 * n) if partner_l[e] < 0]
    starts += [2 * i for i in range(n)]  # what is left after the open strokes: rings
    for e in starts:
        if visited[e >> 1]:
            continue
        enter = e
        while True:
            visited[enter >> 1] = 1
            entries.append(enter)
            strokes.append(stroke)
            nxt = partner_l[enter ^ 1]
            if nxt < 0 or visited[nxt >> 1]:
                break
            enter = nxt
        stroke += 1
    return entries, strokes


def chain_lines(geoms: npt.ArrayLike, *, max_turn_deg: float = 50.0) -> npt.NDArray[np.object_]:
    """Each (multi)line of ``geoms`` as a MultiLineString of strokes: the same road, fewer parts.

    Parameters
    ----------
    geoms
        Shapely geometries; lines and multi-lines are joined, anything else (points, polygons,
        missing) is returned as it is. Lines of different geometries are never joined.
    max_turn_deg
        Largest turn, in degrees, at which two pieces meeting at a node are joined.

    Returns
    -------
    numpy.ndarray
        One geometry per input, in the same order.
    """
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    is_line = ~shapely.is_missing(geoms) & np.isin(shapely.get_type_id(geoms), _LINE_TYPES)
    is_line &= ~shapely.is_empty(geoms)
    if not is_line.any():
        return out
    lines = np.flatnonzero(is_line)
    parts, owner = shapely.get_parts(geoms[lines], return_index=True)
    coords = shapely.get_coordinates(parts)
    counts = shapely.get_num_coordinates(parts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    last = first + counts - 1
    n = len(parts)

    # ends 2i (first vertex of piece i) and 2i + 1 (last vertex); nodes by exact coordinates
    ends = np.empty(2 * n, dtype=np.int64)
    ends[0::2], ends[1::2] = first, last
    inner = np.empty(2 * n, dtype=np.int64)
    inner[0::2], inner[1::2] = first + 1, last - 1
    point = coords[ends]
    direction = coords[inner] - point
    norm = np.hypot(direction[:, 0], direction[:, 1])
    direction /= np.where(norm > 0, norm, np.inf)[:, None]  # zero-length: pairs with nothing
    end_owner = np.repeat(owner, 2)
    key = np.lexsort((point[:, 1], point[:, 0], end_owner))
    change = np.ones(2 * n, dtype=bool)
    change[1:] = (np.diff(point[key], axis=0) != 0).any(axis=1) | (np.diff(end_owner[key]) != 0)
    node = np.empty(2 * n, dtype=np.int64)
    node[key] = np.cumsum(change) - 1
    partner = _pair_ends(node, direction, min_score=math.cos(math.radians(max_turn_deg)))

    entries_l, strokes_l = _walk(partner, n)
    entries = np.asarray(entries_l, dtype=np.int64)
    strokes = np.asarray(strokes_l, dtype=np.int64)
    piece = entries >> 1
    backwards = (entries & 1).astype(bool)
    head = np.ones(len(entries), dtype=bool)
    head[1:] = strokes[1:] != strokes[:-1]
    # vertices of each piece in travel order, the shared first one dropped after a stroke's head
    step = np.where(backwards, -1, 1)
    start = np.where(backwards, last[piece], first[piece]) + np.where(head, 0, step)
    take = counts[piece] - np.where(head, 0, 1)
    total = int(take.sum())
    offset = np.repeat(np.cumsum(take) - take, take)
    idx = np.repeat(start, take) + np.repeat(step, take) * (np.arange(total) - offset)
    stroke_lines = shapely.linestrings(coords[idx], indices=np.repeat(strokes, take))
    by_owner = np.argsort(owner[piece[head]], kind="stable")
    done, group = np.unique(owner[piece[head]][by_owner], return_inverse=True)
    out[lines[done]] = shapely.multilinestrings(stroke_lines[by_owner], indices=group)
    return out
