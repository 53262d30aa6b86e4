"""Maps of stored plans through :mod:`maps` (issue 5), rendered on demand and kept a while.

If the maps package cannot be imported the map endpoints answer 503 with the reason.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from api.errors import NotFoundError, UnavailableError
from api.runner import plan_folder
from api.storage import Storage

ASSETS_URL = "/v1/maps/assets/"
_CACHE_SIZE = 16


class MapService:
    """Renders command and officer maps of finished plans, with a small cache."""

    def __init__(self, storage: Storage, root: Path, *, tiles: str | None) -> None:
        self.storage = storage
        self.root = root
        self.tiles = tiles
        self._cache: OrderedDict[tuple[str, ...], str] = OrderedDict()
        self._lock = threading.Lock()
        try:
            import maps.assets
            import maps.command_map
            import maps.officer_map  # noqa: F401
        except ImportError as exc:
            self.unavailable: str | None = f"maps are not available here: {exc}"
        else:
            self.unavailable = None

    def _check(self) -> None:
        if self.unavailable:
            raise UnavailableError(self.unavailable)

    def assets(self) -> dict[str, bytes]:
        self._check()
        from maps.assets import asset_files

        return asset_files()

    def _cached(self, key: tuple[str, ...], render: object) -> str:
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        html = render()  # type: ignore[operator]
        with self._lock:
            self._cache[key] = html
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return html

    def command(self, plan_id: str, *, lang: str) -> str:
        self._check()

        def render() -> str:
            from geo.plan_files import read_plan_dir
            from maps.command_map import command_map

            layers = read_plan_dir(plan_folder(self.storage, plan_id, self.root))
            m = command_map(layers, lang=lang, tiles=self.tiles, assets=ASSETS_URL)
            return m.get_root().render()

        return self._cached(("command", plan_id, lang), render)

    def officer(self, plan_id: str, line_id: str, *, slot: str | None, lang: str) -> str:
        self._check()
        from geo.plan_files import read_plan_dir

        layers = read_plan_dir(plan_folder(self.storage, plan_id, self.root))
        lines = layers.patrol_lines
        mine = lines[lines["line_id"].astype(str) == line_id] if "line_id" in lines else lines[:0]
        if len(mine) == 0:
            msg = f"plan {plan_id!r} has no patrol line {line_id!r}"
            raise NotFoundError(msg)
        slots = [str(s) for s in mine["slot"]]
        if slot is None:
            slot = slots[0]
        elif slot not in slots:
            msg = f"patrol line {line_id!r} does not run in slot {slot!r} (it runs {slots[0]})"
            raise NotFoundError(msg)

        def render() -> str:
            from maps.officer_map import officer_map

            m = officer_map(
                layers, slot=slot, line_id=line_id, lang=lang, tiles=self.tiles, assets=ASSETS_URL
            )
            return m.get_root().render()

        return self._cached(("officer", plan_id, line_id, slot, lang), render)
