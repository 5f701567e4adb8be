"""The reporting page's weight on a phone: bytes over the wire of a first and a repeat visit.

Serves the app (``ioc serve``) on a bench database, opens ``/report`` in Debian's headless
Chromium at 360 x 740 twice in one browser context, and prints each response's bytes on the
wire (DevTools' ``encodedDataLength``: compressed, headers included, 0 from the browser's cache)
and the totals without the base map's tiles, against the targets of issue 13 (first visit
< 160 KB, repeat visit < 40 KB). The same measure is asserted by tests/e2e/test_weight_browser.py.

Run from the project root: ``IOC_DEMO=1 .venv/bin/python bench/report_page.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from playwright.sync_api import sync_playwright

from bench.serving import bench_database, fresh_media_root, serve
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.weighing import PHONE, report, weigh
from tests.ioc.serving import free_port

TARGETS = {"first visit": 160_000, "repeat visit": 40_000}


def main() -> None:
    """Weigh two visits of ``/report`` and print them."""
    url = bench_database("ioc_bench_report_page")
    port = free_port()
    server = serve(url, fresh_media_root("report_page"), workers=1, port=port)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=PHONE, locale="vi-VN")
            for name, target in TARGETS.items():
                weighing = weigh(context, f"http://127.0.0.1:{port}/report")
                total = weighing.total()
                verdict = "met" if total < target else "NOT MET"
                print(f"{name}: {total / 1000:.1f} KB (target < {target // 1000} KB: {verdict})")
                print(report(weighing))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
