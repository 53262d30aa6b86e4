"""The travel-time model: a speed on every edge, and travel time = length / speed.

The defaults live in one place, ``data/default_profile.toml``; a profile file (TOML) overrides
any key of it. Effective speed on an edge of a drive network::

    base  = uniform_speed_kph                     if set, else
            maxspeed_kph * maxspeed_share         if use_maxspeed and the edge has a usable tag, else
            speeds_kph[highway] (or speeds_kph["default"])
    speed = min(base * night_factor * emergency_factor, max_speed_kph)

On a walk network every edge gets ``walk.speed_kph``. Every edge gets ``speed_kph`` and
``travel_time`` (seconds).
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx

from geo.errors import InputError

# Implicit OSM maxspeed values ("CN:urban" and the like), km/h. Country-specific values first;
# for a country not listed, the generic value of the zone type after the colon is used.
IMPLICIT_MAXSPEED_KPH: dict[str, float] = {
    "CN:urban": 50.0,
    "CN:rural": 70.0,
    "CN:motorway": 120.0,
    "CN:trunk": 100.0,
    "CN:living_street": 20.0,
    "RU:urban": 60.0,
    "RU:rural": 90.0,
    "RU:motorway": 110.0,
    "RU:living_street": 20.0,
    "DE:urban": 50.0,
    "DE:rural": 100.0,
    "DE:living_street": 7.0,
    "FI:urban": 50.0,
    "FI:rural": 80.0,
    "FR:urban": 50.0,
    "FR:rural": 80.0,
    "FR:motorway": 130.0,
    "GB:nsl_single": 96.6,
    "GB:nsl_dual": 112.7,
    "GB:motorway": 112.7,
    "US:urban": 40.2,
}
GENERIC_ZONE_KPH: dict[str, float] = {
    "urban": 50.0,
    "rural": 80.0,
    "trunk": 100.0,
    "motorway": 110.0,
    "living_street": 20.0,
    "walk": 6.0,
    "zone20": 20.0,
    "zone30": 30.0,
}
_NUMBER_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)
_MPH = 1.609344


@dataclass(frozen=True)
class Profile:
    """A travel-time profile. Build one with :func:`load_profile`."""

    speeds_kph: dict[str, float]
    use_maxspeed: bool = True
    maxspeed_share: float = 0.8
    night_factor: float = 1.0
    emergency_factor: float = 1.0
    uniform_speed_kph: float | None = None
    max_speed_kph: float = 120.0
    walk_speed_kph: float = 5.0
    source: str = "default"
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, for reports and plan files."""
        return {
            "source": self.source,
            "speeds_kph": dict(self.speeds_kph),
            "use_maxspeed": self.use_maxspeed,
            "maxspeed_share": self.maxspeed_share,
            "night_factor": self.night_factor,
            "emergency_factor": self.emergency_factor,
            "uniform_speed_kph": self.uniform_speed_kph,
            "max_speed_kph": self.max_speed_kph,
            "walk_speed_kph": self.walk_speed_kph,
        }


_OPTION_KEYS = {
    "use_maxspeed",
    "maxspeed_share",
    "night_factor",
    "emergency_factor",
    "uniform_speed_kph",
    "max_speed_kph",
}


def _default_table() -> dict[str, Any]:
    text = resources.files("data").joinpath("default_profile.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _positive(value: Any, *, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        msg = f"{where}: expected a number, got {value!r}"
        raise InputError(msg)
    if value <= 0:
        msg = f"{where}: must be > 0, got {value!r}"
        raise InputError(msg)
    return float(value)


def load_profile(
    path: str | Path | None = None, *, overrides: dict[str, Any] | None = None
) -> Profile:
    """Load the default profile, then apply a TOML file and a dict of overrides on top.

    Parameters
    ----------
    path
        A TOML file with any of the sections ``[speeds_kph]``, ``[options]``, ``[walk]``.
    overrides
        The same structure as the TOML file, applied last.
    """
    table = _default_table()
    source = "default"
    layers: list[tuple[str, dict[str, Any]]] = []
    if path is not None:
        p = Path(path)
        if not p.is_file():
            msg = f"{p}: profile file not found"
            raise InputError(msg)
        try:
            layers.append((str(p), tomllib.loads(p.read_text(encoding="utf-8"))))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            msg = f"{p}: not a valid TOML profile: {exc}"
            raise InputError(msg) from None
        source = str(p)
    if overrides:
        layers.append(("overrides", overrides))
    merged = copy.deepcopy(table)
    for where, layer in layers:
        for section, values in layer.items():
            if section not in ("speeds_kph", "options", "walk"):
                msg = f"{where}: unknown section [{section}]; expected speeds_kph, options, walk"
                raise InputError(msg)
            if not isinstance(values, dict):
                msg = f"{where}: [{section}] must be a table"
                raise InputError(msg)
            if section == "options":
                unknown = set(values) - _OPTION_KEYS
                if unknown:
                    msg = (
                        f"{where}: unknown option(s) {sorted(unknown)} in [options]; "
                        f"expected {sorted(_OPTION_KEYS)}"
                    )
                    raise InputError(msg)
            if section == "walk" and set(values) - {"speed_kph"}:
                msg = f"{where}: [walk] takes only speed_kph"
                raise InputError(msg)
            merged.setdefault(section, {}).update(values)

    speeds = {
        str(k): _positive(v, where=f"{source}: speeds_kph.{k}")
        for k, v in merged["speeds_kph"].items()
    }
    opts = merged.get("options", {})
    use_maxspeed = opts.get("use_maxspeed", True)
    if not isinstance(use_maxspeed, bool):
        msg = f"{source}: options.use_maxspeed must be true or false, got {use_maxspeed!r}"
        raise InputError(msg)
    uniform = opts.get("uniform_speed_kph")
    return Profile(
        speeds_kph=speeds,
        use_maxspeed=use_maxspeed,
        maxspeed_share=_positive(opts.get("maxspeed_share", 1.0), where="options.maxspeed_share"),
        night_factor=_positive(opts.get("night_factor", 1.0), where="options.night_factor"),
        emergency_factor=_positive(
            opts.get("emergency_factor", 1.0), where="options.emergency_factor"
        ),
        uniform_speed_kph=None
        if uniform is None
        else _positive(uniform, where="options.uniform_speed_kph"),
        max_speed_kph=_positive(opts.get("max_speed_kph", 120.0), where="options.max_speed_kph"),
        walk_speed_kph=_positive(
            merged.get("walk", {}).get("speed_kph", 5.0), where="walk.speed_kph"
        ),
        source=source,
        raw=merged,
    )


def parse_maxspeed(value: Any) -> float | None:
    """Parse an OSM ``maxspeed`` value to km/h; ``None`` where it gives no usable number.

    Handles plain numbers, ``"50 mph"``, ``"50 km/h"``, implicit values such as
    ``"CN:urban"``, lists of values and ``"30;50"`` (the mean is taken).
    """
    if value is None:
        return None
    if isinstance(value, list | tuple):
        parsed = [s for s in (parse_maxspeed(v) for v in value) if s is not None]
        return sum(parsed) / len(parsed) if parsed else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) and value > 0 else None
    text = str(value).strip()
    if ";" in text or "|" in text:
        return parse_maxspeed(re.split(r"[;|]", text))
    m = _NUMBER_RE.match(text)
    if m:
        speed = float(m.group(1))
        if m.group(2) and m.group(2).lower() == "mph":
            speed *= _MPH
        return speed if speed > 0 else None
    if text in IMPLICIT_MAXSPEED_KPH:
        return IMPLICIT_MAXSPEED_KPH[text]
    if ":" in text:
        zone = text.split(":", 1)[1].strip().lower()
        return GENERIC_ZONE_KPH.get(zone)
    return None


def first_tag(value: Any) -> Any:
    """The first of a list-valued tag (simplified edges merge ways), or the value itself."""
    return value[0] if isinstance(value, list | tuple) and value else value


def edge_speed_kph(data: dict[str, Any], profile: Profile) -> float:
    """The drive speed of one edge (its attribute dict) under ``profile``."""
    if profile.uniform_speed_kph is not None:
        base = profile.uniform_speed_kph
    else:
        limit = parse_maxspeed(data.get("maxspeed")) if profile.use_maxspeed else None
        if limit is not None:
            base = limit * profile.maxspeed_share
        else:
            hwy = str(first_tag(data.get("highway")) or "default")
            base = profile.speeds_kph.get(hwy, profile.speeds_kph.get("default", 25.0))
    return min(base * profile.night_factor * profile.emergency_factor, profile.max_speed_kph)


def add_travel_times(G: nx.MultiDiGraph, *, profile: Profile, mode: str = "drive") -> None:
    """Set ``speed_kph`` and ``travel_time`` (s) on every edge of ``G``, in place.

    Parameters
    ----------
    G
        Road graph whose edges carry ``length`` in metres.
    profile
        The travel-time profile.
    mode
        ``"drive"`` or ``"walk"``; on ``"walk"`` every edge gets ``profile.walk_speed_kph``.
    """
    if mode not in ("drive", "walk"):
        msg = f"mode must be 'drive' or 'walk', got {mode!r}"
        raise InputError(msg)
    for u, v, k, data in G.edges(keys=True, data=True):
        length = data.get("length")
        if length is None or not math.isfinite(float(length)) or float(length) < 0:
            msg = f"edge ({u}, {v}, {k}) has no valid length: {length!r}"
            raise InputError(msg)
        speed = profile.walk_speed_kph if mode == "walk" else edge_speed_kph(data, profile)
        data["speed_kph"] = speed
        data["travel_time"] = float(length) / (speed / 3.6)
