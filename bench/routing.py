"""Routing benchmark (not a test): assign 100,000 random points on the national ward layer.

Loads the 2025 ward layer of the whole country (3,321 wards) into a database of its own
(``ioc_bench`` by default, in the same cluster as the app; ``ioc`` and ``ioc_test`` are never
touched), with each ward's People's Committee and police, sector bodies whose service areas cross
ward boundaries, the categories and a rule set of every kind. Then routes random points (mostly
inside wards, the rest anywhere in Vietnam's bounding box: sea, Laos, Cambodia) one ``assign`` at a
time through the database, and prints points per second and p50/p99 latency.

Usage: IOC_DEMO=1 .venv/bin/python bench/routing.py [WARDS.geojson.gz] [--points N] [--reload]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

# Run as a script, this file's directory comes first on sys.path, where bench/routing.py would
# shadow the routing package: put the project root there instead (the benchmarks use tests/ too).
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ioc import db
from ioc.db import migrate
from ioc.settings import PROJECT_ROOT, get_settings
from routing import queries, seed, service
from routing.models import AgencyKind, Jurisdiction, JurisdictionLevel, RuleTarget
from routing.seed_data import AgencySeed, AreaSeed, RuleSeed

DEFAULT_WARDS = PROJECT_ROOT.parent / "shared" / "data" / "vn_wards_2025.geojson.gz"
VN_BBOX = (102.1, 8.4, 109.5, 23.4)  # lon, lat, lon, lat
CATEGORIES = (
    "giao-thong",
    "trat-tu-do-thi",
    "ve-sinh-moi-truong",
    "cap-nuoc",
    "chieu-sang",
    "dien-luc",
    "an-ninh-trat-tu",
)
W, P = JurisdictionLevel.ward, JurisdictionLevel.province
RULES = (
    RuleSeed(1, "giao-thong", RuleTarget.jurisdiction, AgencyKind.department, P,
             jurisdictions=("01", "79")),
    RuleSeed(2, "giao-thong", RuleTarget.jurisdiction, AgencyKind.ward_committee, W),
    RuleSeed(3, "trat-tu-do-thi", RuleTarget.jurisdiction, AgencyKind.ward_committee, W),
    RuleSeed(4, "cap-nuoc", RuleTarget.service_area, AgencyKind.water),
    RuleSeed(5, "cap-nuoc", RuleTarget.jurisdiction, AgencyKind.ward_committee, W),
    RuleSeed(6, "dien-luc", RuleTarget.service_area, AgencyKind.power),
    RuleSeed(7, "an-ninh-trat-tu", RuleTarget.jurisdiction, AgencyKind.ward_police, W),
    RuleSeed(8, "chieu-sang", RuleTarget.agency, agency="chieusang-01", within_service_area=True),
    RuleSeed(9, "chieu-sang", RuleTarget.jurisdiction, AgencyKind.ward_committee, W),
    RuleSeed(10, "ve-sinh-moi-truong", RuleTarget.service_area, AgencyKind.urban_services),
    RuleSeed(11, "ve-sinh-moi-truong", RuleTarget.jurisdiction, AgencyKind.ward_committee, W),
)  # fmt: skip


def _sector_seeds(session: Session) -> list[AgencySeed]:
    """Per province: a power company, two branches (north, south), a water company (towns)."""
    rows = session.execute(
        select(
            Jurisdiction.province_code,
            Jurisdiction.code,
            Jurisdiction.type,
            func.ST_Y(func.ST_Centroid(Jurisdiction.geom)),
        ).where(Jurisdiction.level == JurisdictionLevel.ward)
    ).all()
    provinces: dict[str, list[Any]] = {}
    for row in rows:
        provinces.setdefault(row[0], []).append(row)
    seeds: list[AgencySeed] = []
    for code, wards in sorted(provinces.items()):
        wards.sort(key=lambda r: r[3])
        half = len(wards) // 2
        south, north = tuple(w[1] for w in wards[:half]), tuple(w[1] for w in wards[half:])
        towns = tuple(w[1] for w in wards if w[2] == "Phường") or north
        seeds += [
            AgencySeed(f"pc-{code}", f"Công ty Điện lực {code}", AgencyKind.power,
                       area=AreaSeed(tuple(w[1] for w in wards))),
            AgencySeed(f"dl-{code}-s", f"Điện lực {code} phía Nam", AgencyKind.power,
                       parent=f"pc-{code}", area=AreaSeed(south, buffer_m=300)),
            AgencySeed(f"dl-{code}-n", f"Điện lực {code} phía Bắc", AgencyKind.power,
                       parent=f"pc-{code}", area=AreaSeed(north, buffer_m=300)),
            AgencySeed(f"capnuoc-{code}", f"Công ty Cấp nước {code}", AgencyKind.water,
                       area=AreaSeed(towns, buffer_m=300)),
        ]  # fmt: skip
    hanoi = tuple(w[1] for w in provinces.get("01", [])[:40])
    seeds.append(
        AgencySeed("chieusang-01", "Đội chiếu sáng Hà Nội", AgencyKind.lighting,
                   area=AreaSeed(hanoi, buffer_m=200))
    )  # fmt: skip
    return seeds


def prepare(url: str, wards_file: Path, reload: bool) -> None:
    """Create, migrate and load the benchmark database (skipped when already loaded)."""
    db.ensure_database(url)
    migrate.upgrade(url)
    engine = db.make_engine(url)
    with db.session_scope(db.make_sessionmaker(engine)) as session:
        loaded = session.scalar(
            select(func.count()).where(Jurisdiction.level == JurisdictionLevel.ward)
        )
        if loaded and loaded >= 3000 and not reload:
            print(f"{loaded} wards already loaded in {make_url(url).database}")
            return
        started = time.perf_counter()
        with gzip.open(wards_file, "rt", encoding="utf-8") as handle:
            count = seed.load_collection(session, json.load(handle), {})
        print(f"loaded {count} wards in {time.perf_counter() - started:.0f} s")
        seed.load_categories(session)
        sectors = _sector_seeds(session)
        seed.load_sector_agencies(session, tuple(sectors))
        seed.load_rules(session, RULES)
        took = time.perf_counter() - started
        print(f"{len(sectors)} sector bodies, {len(RULES)} rules; loaded in {took:.0f} s")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def points(session: Session, total: int, rng: random.Random) -> list[tuple[float, float]]:
    """70% inside wards (uniform per ward), 30% anywhere in Vietnam's bounding box."""
    wards = session.scalar(select(func.count()).where(Jurisdiction.level == JurisdictionLevel.ward))
    per_ward = max(1, int(total * 0.7 / (wards or 1)))
    generated = func.ST_GeneratePoints(Jurisdiction.geom, per_ward, 7)
    dumped = (
        select(func.ST_Dump(generated).geom.label("g"))
        .where(Jurisdiction.level == JurisdictionLevel.ward)
        .subquery()
    )
    inside = [(float(y), float(x)) for y, x in session.execute(
        select(func.ST_Y(dumped.c.g), func.ST_X(dumped.c.g))
    )]  # fmt: skip
    lon0, lat0, lon1, lat1 = VN_BBOX
    anywhere = [
        (rng.uniform(lat0, lat1), rng.uniform(lon0, lon1)) for _ in range(total - len(inside))
    ]
    everything = inside[:total] + anywhere
    rng.shuffle(everything)
    return everything


def _percentile(sorted_ms: list[float], share: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * share))]


def run(url: str, total: int) -> None:
    """Route the points one at a time; print throughput, latency and outcomes."""
    rng = random.Random(2026)
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine)() as session:
        sample = points(session, total, rng)
        categories = [rng.choice(CATEGORIES) for _ in sample]
        for (lat, lon), category in zip(sample[:500], categories, strict=False):  # warm up
            service.assign(session, category=category, lat=lat, lon=lon)
        outcomes: Counter[str] = Counter()
        latencies: list[float] = []
        started = time.perf_counter()
        for (lat, lon), category in zip(sample, categories, strict=True):
            before = time.perf_counter()
            result = service.assign(session, category=category, lat=lat, lon=lon)
            latencies.append((time.perf_counter() - before) * 1000)
            outcomes[_outcome(result)] += 1
        elapsed = time.perf_counter() - started
        statement = _statement_only(session, sample[:20000], categories)
        indexes = _indexes_used(session)
    engine.dispose()
    latencies.sort()
    print(f"points: {len(sample)}; outcomes: {dict(outcomes)}")
    print(f"assign (service.assign, one statement + deadlines in Python): "
          f"{len(sample) / elapsed:,.0f} points/s, "
          f"p50 {_percentile(latencies, 0.5):.3f} ms, p99 {_percentile(latencies, 0.99):.3f} ms, "
          f"max {latencies[-1]:.1f} ms")  # fmt: skip
    print(f"statement only (Core, prepared): p50 {statement[0]:.3f} ms, p99 {statement[1]:.3f} ms")
    print(f"GiST indexes in the plan: {', '.join(indexes) or 'none'}")


def _indexes_used(session: Session) -> list[str]:
    """The spatial indexes the planner picks for the routing statement."""
    conn = session.connection()
    compiled = queries.assignment().compile(dialect=conn.dialect)
    params = {**compiled.params, "category": "dien-luc", "lat": 21.03, "lon": 105.85, "near": 300.0}
    params["since"] = date(2026, 11, 21)
    plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {compiled}", params))
    return [
        name for name in ("idx_jurisdictions_geom", "idx_agencies_service_area") if name in plan
    ]


def _outcome(result: service.Assignment) -> str:
    if result.outside_coverage:
        return "outside_coverage"
    return "routed" if result.agency else "ioc_queue"


def _statement_only(
    session: Session, sample: list[tuple[float, float]], categories: list[str]
) -> tuple[float, float]:
    """The routing statement alone through a Core connection (no Python deadline work)."""
    statement = queries.assignment()
    conn = session.connection()
    since = date(2026, 11, 21)
    latencies = []
    for (lat, lon), category in zip(sample, categories, strict=False):
        before = time.perf_counter()
        params = {"category": category, "lat": lat, "lon": lon, "since": since, "near": 300.0}
        conn.execute(statement, params)
        latencies.append((time.perf_counter() - before) * 1000)
    latencies.sort()
    return _percentile(latencies, 0.5), _percentile(latencies, 0.99)


def main() -> None:
    """Parse arguments, prepare the database, run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("wards", nargs="?", type=Path, default=DEFAULT_WARDS)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--database", default="ioc_bench")
    parser.add_argument("--reload", action="store_true", help="load the wards again")
    args = parser.parse_args()
    if args.database in ("ioc", "ioc_test"):
        parser.error("use a database of its own: the benchmark writes to it")
    url = make_url(db.database_url(get_settings())).set(database=args.database)
    url_text = url.render_as_string(hide_password=False)
    prepare(url_text, args.wards, args.reload)
    run(url_text, args.points)


if __name__ == "__main__":
    main()
