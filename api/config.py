"""The service's settings: environment variables with the ``PATROL_`` prefix, or a TOML file.

With no configuration at all the service serves the demo district: its inputs are built into
``data_dir`` at start-up. ``PATROL_CONFIG`` (or ``create_app(settings=...)``) may name a TOML
file whose keys are the field names below; environment variables win over the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

Mode = Literal["drive", "walk"]


class Settings(BaseSettings):
    """Everything the service reads at start-up."""

    model_config = SettingsConfigDict(env_prefix="PATROL_", extra="forbid")

    network: str | None = Field(
        None, description="road network file (OSM XML/PBF or GraphML); None: the demo district"
    )
    posts: Path | None = Field(None, description="posts file (CSV/GeoJSON); None: demo posts")
    profile: Path | None = Field(None, description="travel-time profile (TOML)")
    mode: Mode = Field("drive", description="network the dispatch answers on")
    timezone: str | None = Field(
        None, description="IANA time zone of incident times without one (demo: Europe/Helsinki)"
    )
    data_dir: Path = Field(Path("patrol-data"), description="where the database and plans live")
    db_path: Path | None = Field(None, description="SQLite file; default <data_dir>/patrol.db")
    cors_origins: list[str] = Field(default_factory=list, description="allowed CORS origins")
    max_upload_bytes: int = Field(20 * 1024 * 1024, gt=0, description="upload size cap")
    map_link_secret: str | None = Field(
        None, description="HMAC key of map links; default: generated once into data_dir"
    )
    map_link_ttl_s: int = Field(24 * 3600, gt=0, description="life of a map link (s)")
    map_tiles: str | None = Field(
        "osm", description="map tiles: 'osm', a tile URL template, or None for no tiles"
    )
    require_api_keys: bool = Field(True, description="False: planning endpoints are open")
    max_snap_m: float = Field(250.0, gt=0, description="farther from a road: outside the area")
    dispatch_table_max_cells: int = Field(
        50_000_000,
        ge=0,
        description="posts x nodes up to which every post's travel times are kept in memory; "
        "above it, each dispatch runs its own search",
    )
    dispatch_limit_s: float = Field(
        3600.0, gt=0, description="no dispatch route longer than this (s) in a search"
    )
    dispatch_fast_path: bool = Field(
        True,
        description="answer valid dispatch questions outside FastAPI's request handling, "
        "those of one event-loop round together (api.fastpath); False: each through the "
        "route on its own (the same answers, slower)",
    )
    plan_workers: int = Field(1, ge=1, le=8, description="plans computed at the same time")
    workers: int = Field(
        1, ge=1, le=64, description="server processes of `patrol serve` (dispatch: one per core)"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config = os.environ.get("PATROL_CONFIG")
        if config:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config)))
        return tuple(sources)

    @property
    def is_demo(self) -> bool:
        return self.network is None

    @property
    def database(self) -> Path:
        return self.db_path or self.data_dir / "patrol.db"

    @property
    def plans_dir(self) -> Path:
        return self.data_dir / "plans"
