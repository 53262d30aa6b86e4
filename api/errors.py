"""Errors of the service, added to the project's hierarchy (:mod:`geo.errors`).

::

    PatrolError
    ├── NotFoundError(LookupError)       an unknown plan, upload, line or layer -> 404
    └── UnavailableError                 a part of the service that is not installed -> 503

Together with :class:`geo.errors.InputError`, ``UnreachableError`` and ``InfeasibleError``
(422) they are mapped to JSON bodies in one exception handler (:mod:`api.main`).
"""

from __future__ import annotations

from geo.errors import PatrolError


class NotFoundError(PatrolError, LookupError):
    """Something asked for by id does not exist."""


class UnavailableError(PatrolError):
    """A part of the service (e.g. the maps) cannot be used in this installation."""
