"""Benchmark of the public site's search: ``/public?q=…`` (tone marks or not, rare and common
words, with and without a filter), the list, a report page and the map's data, with N reports.

It uses the scale benchmarks' database (``bench.serving.scale_database``: ``ioc demo-data
--reports N``, shared with bench/map.py and bench/kpi.py), serves the app with ``ioc serve
--workers 2`` and requests each page ``--requests`` times, one at a time, with no sign-in and no
cache validator (every request is computed). Prints p50/p95/max per page and the target
(search p95 < 100 ms with 1M reports).

Run from the project root: ``IOC_DEMO=1 .venv/bin/python bench/public.py [--reports 1000000]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx
from sqlalchemy import create_engine, select

from bench.kpi import measure, print_figures
from bench.serving import fresh_media_root, report_count, scale_database, serve
from reports import publication
from reports.models import Report
from tests.ioc.serving import free_port

SEARCHES = {
    "search rare": "/public?q=vong+nga+ba",
    "search tones": "/public?q=%C4%91%C6%B0%E1%BB%9Dng",  # "đường"
    "search common": "/public?q=duong",
    "search + state": "/public?q=rac&state=published",
}
TARGET_MS = 100.0


def a_public_code(url: str) -> str:
    """The newest public report's code (for the report page)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        statement = publication.public_reports().order_by(Report.created_at.desc()).limit(1)
        code = conn.execute(select(statement.subquery().c.code)).scalar_one()
    engine.dispose()
    return str(code)


def run_pages(url: str, requests: int, code: str) -> None:
    """Each page, one request at a time, as an anonymous visitor."""
    pages = {
        **SEARCHES,
        "list": "/public",
        "report page": f"/public/reports/{code}",
        "map z12": "/public/map.json?bbox=107.0,10.3,107.2,10.45&zoom=12",
    }
    with httpx.Client(base_url=url, timeout=120) as client:
        for name, path in pages.items():
            ms = measure(client, path, requests)
            print_figures(name, ms)
            if name.startswith("search"):
                p95 = (
                    statistics.quantiles(ms, n=100, method="inclusive")[94]
                    if len(ms) > 1
                    else ms[0]
                )
                verdict = "met" if p95 < TARGET_MS else "MISSED"
                print(f"    target p95 < {TARGET_MS:.0f} ms: {verdict}")


def main() -> None:
    """Prepare, serve, measure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=10_000, help="reports in the database")
    parser.add_argument("--requests", type=int, default=50, help="requests per page")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    url = scale_database(args.reports, args.seed)
    media_root = fresh_media_root("public")
    port = free_port()
    server = serve(url, media_root, args.workers, port, {})
    try:
        print(f"{report_count(url)} reports; {args.requests} requests per page, one at a time")
        run_pages(f"http://127.0.0.1:{port}", args.requests, a_public_code(url))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
