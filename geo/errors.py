"""The project's exceptions, in one small hierarchy.

::

    PatrolError                 base of every error this project raises on purpose
    ├── InputError(ValueError)  bad input: a file, row, column or value that is wrong
    │   └── CRSError            coordinates in the wrong or an unknown reference system
    ├── UnreachableError        a point or node the road network cannot reach
    └── InfeasibleError(ValueError)  parameters no plan can satisfy

The CLI prints any of these as one line and exits with status 2; the API maps them to 4xx.
"""

from __future__ import annotations


class PatrolError(Exception):
    """Base class of the errors raised on purpose by this project."""


class InputError(PatrolError, ValueError):
    """Input data or a parameter is wrong; the message names file, row, column and value."""


class CRSError(InputError):
    """Coordinates are in the wrong, or an unknown, coordinate reference system."""


class UnreachableError(PatrolError):
    """A point or node cannot be reached on the road network."""


class InfeasibleError(PatrolError, ValueError):
    """The parameters ask for something no plan can satisfy."""
