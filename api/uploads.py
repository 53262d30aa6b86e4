"""Checking an uploaded incidents file: read with the same loader as the CLI, then snapped."""

from __future__ import annotations

import hashlib
import re
import tempfile
import uuid
from pathlib import Path

from api.city import City
from api.storage import Storage, UploadRow
from geo.errors import InputError
from geo.points import ACCEPTED_SUFFIXES, read_incidents
from geo.snap import snap_incidents

_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


def clean_filename(name: str | None) -> str:
    """A safe file name that keeps the suffix, or :class:`InputError`."""
    base = _NAME_RE.sub("_", Path(name or "").name).strip("._") or "incidents"
    if not base.lower().endswith(ACCEPTED_SUFFIXES):
        msg = (
            f"upload {name!r}: cannot read files of this type; accepted suffixes are "
            f"{', '.join(ACCEPTED_SUFFIXES)}"
        )
        raise InputError(msg)
    return base[-120:]


def check_incidents(
    content: bytes, *, filename: str, timezone: str | None, city: City
) -> tuple[int, list[str]]:
    """Rows of an incidents file and the loader's notes; :class:`InputError` naming the row and
    column of the first problem, or saying that no point lies on the network."""
    with tempfile.TemporaryDirectory(prefix="patrol-upload-") as tmp:
        path = Path(tmp) / filename
        path.write_bytes(content)
        try:
            loaded = read_incidents(path, timezone=timezone)
            _, report = snap_incidents(loaded.frame, city.net)
        except InputError as exc:
            text = str(exc).replace(f"{tmp}/", "")
            raise type(exc)(text) from None
    return report.total, [*loaded.notes, report.summary("incidents")]


def store_upload(
    storage: Storage, content: bytes, *, filename: str | None, timezone: str | None, city: City
) -> tuple[UploadRow, list[str]]:
    name = clean_filename(filename)
    rows, notes = check_incidents(
        content, filename=name, timezone=timezone or city.timezone, city=city
    )
    row = storage.add_upload(
        uuid.uuid4().hex,
        filename=name,
        sha256=hashlib.sha256(content).hexdigest(),
        rows=rows,
        content=content,
    )
    return row, notes
