"""Headless Chromium for the map tests and the benchmark: serve files, load a page, look at it.

Chromium and chromedriver are Debian's packages (``apt-get install -y chromium
chromium-driver``); selenium drives them. Nothing here reaches beyond 127.0.0.1: pages are
served by a local ``http.server`` in a thread, and the ``/tiles/{z}/{x}/{y}.png`` path of that
server answers with a plain tile so a "custom tile URL" can be tested offline.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
)
INSTALL_HINT = "apt-get update && apt-get install -y chromium chromium-driver"


def find_chromium() -> tuple[str, str] | None:
    """Paths of (chromium, chromedriver), or None when either is not installed."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        return None
    return browser, driver


@functools.cache
def _tile_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (236, 232, 224)).save(buf, format="PNG")
    return buf.getvalue()


class _Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/tiles/"):
            body = _tile_png()
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


@contextlib.contextmanager
def serve(folder: str | Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(_Handler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class PageReport:
    """What a page showed: console errors, layer-control entries, timings, the screenshot."""

    url: str
    errors: list[str]
    layer_names: list[str]
    load_s: float
    ready_ms: float
    screenshot: Path
    map_size: tuple[int, int]
    extra: dict[str, object] = field(default_factory=dict)


_READY_JS = """
var done = arguments[arguments.length - 1];
requestAnimationFrame(function () { requestAnimationFrame(function () {
    var labels = Array.from(document.querySelectorAll(
        ".leaflet-control-layers label")).map(function (s) { return s.textContent.trim(); });
    var box = document.querySelector(".leaflet-container").getBoundingClientRect();
    var nav = performance.getEntriesByType("navigation")[0] || {};
    done({ready_ms: performance.now(), labels: labels,
          dcl_ms: nav.domContentLoadedEventEnd || null,
          width: Math.round(box.width), height: Math.round(box.height),
          heap: (performance.memory || {}).usedJSHeapSize || null});
}); });
"""


class Browser:
    """One headless Chromium session (a fresh profile folder, removed on close)."""

    def __init__(self, *, width: int = 1280, height: int = 860, mobile: bool = False) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        found = find_chromium()
        if found is None:
            msg = f"chromium/chromedriver not installed ({INSTALL_HINT})"
            raise RuntimeError(msg)
        browser, driver = found
        self._profile = tempfile.mkdtemp(prefix="patrol-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self._profile}")
        options.add_argument(f"--window-size={width},{height}")
        if mobile:
            options.add_experimental_option(
                "mobileEmulation",
                {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0}},
            )
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(options=options, service=Service(executable_path=driver))
        self.driver.set_page_load_timeout(120)
        self.driver.set_script_timeout(120)

    def open(self, url: str, screenshot: str | Path) -> PageReport:
        """Load ``url``, wait until the map has drawn, take a screenshot, read the console."""
        t0 = time.perf_counter()
        self.driver.get(url)
        info = self.driver.execute_async_script(_READY_JS)
        load_s = time.perf_counter() - t0
        shot = Path(screenshot)
        shot.parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(shot))
        logs = self.driver.get_log("browser")
        errors = [e["message"] for e in logs if e.get("level") == "SEVERE"]
        return PageReport(
            url=url,
            errors=errors,
            layer_names=list(info["labels"]),
            load_s=load_s,
            ready_ms=float(info["ready_ms"]),
            screenshot=shot,
            map_size=(int(info["width"]), int(info["height"])),
            extra={"heap_bytes": info.get("heap"), "dcl_ms": info.get("dcl_ms")},
        )

    def run(self, script: str) -> object:
        """Run JavaScript in the page and return its result."""
        return self.driver.execute_script(script)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.driver.quit()
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def drawn_share(png: str | Path, *, background: tuple[int, int, int] | None = None) -> float:
    """Share of pixels that differ clearly from the background colour (the most common one)."""
    import numpy as np
    from PIL import Image

    rgb = np.asarray(Image.open(png).convert("RGB"), dtype=np.int16)
    flat = rgb.reshape(-1, 3)
    if background is None:
        colours, counts = np.unique(flat, axis=0, return_counts=True)
        background = tuple(int(c) for c in colours[np.argmax(counts)])
    diff = np.abs(flat - np.asarray(background, dtype=np.int16)).sum(axis=1)
    return float((diff > 40).mean())


def colour_share(png: str | Path, colour: str, *, tolerance: int = 40) -> float:
    """Share of pixels close to ``colour`` (``"#rrggbb"``)."""
    import numpy as np
    from PIL import Image

    target = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    rgb = np.asarray(Image.open(png).convert("RGB"), dtype=np.int16).reshape(-1, 3)
    return float((np.abs(rgb - target).sum(axis=1) < tolerance).mean())
