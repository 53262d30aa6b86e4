"""One router per resource."""

from __future__ import annotations

from typing import Any

from api.schemas import ErrorBody

# error bodies of the statuses a route may answer besides success
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "not found"},
    422: {"model": ErrorBody, "description": "invalid input"},
}
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no API key"},
    403: {"model": ErrorBody, "description": "wrong or revoked API key"},
}
