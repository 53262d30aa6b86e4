"""The inputs of a run, each read, loaded, compiled or snapped once."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from geo.errors import InputError
from pipeline.job import Job
from pipeline.stages import Stages


def read_points(job: Job, path: str, *, kind: str) -> Any:
    """Posts or incidents read as the job says (columns, CRS, coordinate system, zone)."""
    from geo.points import read_incidents, read_posts

    common = {
        "lon_col": job.lon_col,
        "lat_col": job.lat_col,
        "x_col": job.x_col,
        "y_col": job.y_col,
        "crs": job.crs,
        "coords": job.coords,
    }
    if kind == "posts":
        return read_posts(path, **common)
    return read_incidents(
        path,
        time_col=job.time_col,
        date_col=job.date_col,
        id_col=job.id_col,
        category_col=job.category_col,
        weight_col=job.weight_col,
        timezone=job.timezone,
        **common,
    )


def parse_staffing(text: str | None, n_slots: int, count: int) -> list[int] | None:
    """Points staffed per slot from ``"K"`` (every slot) or ``"K1,K2,..."``; None: all."""

    if text is None:
        return None
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        msg = f"staffing: expected whole numbers separated by commas, got {text!r}"
        raise InputError(msg) from None
    if len(values) == 1:
        values = values * n_slots
    if len(values) != n_slots:
        msg = f"staffing: {len(values)} numbers given for {n_slots} slots"
        raise InputError(msg)
    return values


class Workspace:
    """The inputs of one command, each read, loaded, compiled or snapped once however many
    stages use it: the profile, the network of each mode, posts and incidents."""

    def __init__(self, job: Job, stages: Stages) -> None:
        self.job = job
        self.stages = stages
        self._networks: dict[str, Any] = {}
        self._incidents: dict[str, Any] = {}
        self._posts: dict[str, Any] = {}

    @cached_property
    def profile(self) -> Any:
        from geo.travel_time import load_profile

        return load_profile(self.job.profile) if self.job.profile else load_profile()

    @cached_property
    def incidents(self) -> Any:
        """LoadedPoints of the job's incidents, or None."""
        if not self.job.incidents:
            return None
        loaded = self.stages.run(
            "reading incidents",
            lambda: read_points(self.job, self.job.incidents, kind="incidents"),
        )
        for n in loaded.notes:
            self.stages.note(n)
        return loaded

    @cached_property
    def posts(self) -> Any:
        """LoadedPoints of the job's posts, or None."""
        if not self.job.posts:
            return None
        loaded = self.stages.run(
            "reading posts", lambda: read_points(self.job, self.job.posts, kind="posts")
        )
        for n in loaded.notes:
            self.stages.note(n)
        return loaded

    def network(self, mode: str) -> tuple[Any, Any]:
        """(NetworkReport, compiled Network) of ``mode``: loaded and compiled on first use."""
        if mode not in self._networks:
            from geo.graph import compile_network
            from geo.network import load_network

            a = self.job
            loaded = self.stages.run(
                f"loading the {mode} network",
                lambda: load_network(a.network, mode=mode, profile=self.profile, online=a.online),
            )
            self.stages.note(loaded.report.summary())
            net = self.stages.run("compiling network", lambda: compile_network(loaded.graph))
            self._networks[mode] = (loaded.report, net)
        return self._networks[mode]

    def use_network(self, mode: str, report: Any, net: Any) -> None:
        """A network already loaded and compiled from the job's ``network`` and ``profile``
        (a service keeps its city's): not loaded again."""
        self._networks[mode] = (report, net)

    def snapped_incidents(self, mode: str) -> Any:
        """Incidents snapped to the ``mode`` network, or None."""
        if self.incidents is None:
            return None
        if mode not in self._incidents:
            from geo.snap import snap_incidents

            _, net = self.network(mode)
            frame, report = self.stages.run(
                "snapping incidents",
                lambda: snap_incidents(self.incidents.frame, net, max_snap_m=self.job.max_snap_m),
            )
            self.stages.note(report.summary("incidents"))
            self._incidents[mode] = frame
        return self._incidents[mode]

    def snapped_posts(self, mode: str) -> Any:
        """Posts snapped to the ``mode`` network, or None."""
        if self.posts is None:
            return None
        if mode not in self._posts:
            from geo.snap import snap_posts

            _, net = self.network(mode)
            self._posts[mode] = self.stages.run(
                "snapping posts",
                lambda: snap_posts(self.posts.frame, net, max_snap_m=self.job.max_snap_m),
            )
        return self._posts[mode]
