"""The demo city, for the service-side jobs."""

from __future__ import annotations

import pytest

from api.city import City, load_city
from api.config import Settings


@pytest.fixture(scope="session")
def city(tmp_path_factory: pytest.TempPathFactory) -> City:
    return load_city(Settings(data_dir=tmp_path_factory.mktemp("pipeline")))
