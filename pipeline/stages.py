"""Stage lines: what a long run is doing, and how long each step took."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any


class Stages:
    """Stage lines on stderr: ``[2] snapping incidents ... 0.4 s``."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.done = 0
        self.quiet = quiet

    def run(self, label: str, fn: Callable[[], Any]) -> Any:
        self.done += 1
        if not self.quiet:
            print(f"[{self.done}] {label} ...", end="", file=sys.stderr, flush=True)
        t = time.perf_counter()
        result = fn()
        if not self.quiet:
            print(f" {time.perf_counter() - t:.2f} s", file=sys.stderr, flush=True)
        return result

    def note(self, text: str) -> None:
        if not self.quiet:
            print(f"      {text}", file=sys.stderr, flush=True)
