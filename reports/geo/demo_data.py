"""``ioc demo-data --reports N``: realistic reports over the past year, in bulk, for scale tests.

Places come from ``reports.geo.demo_world`` (wards weighted by estimated residents, clustered
around centres), routing from routing's own assignment, lives from ``reports.geo.demo_story``.
Intake grows over the year (adoption: the last month has about twice the first's) and follows
the day: few reports at night, peaks in the morning and after work. Categories follow the shares
published by Hue-S and Cổng 1022 (urban order, rubbish and roads first). About one report in
twenty-five repeats an earlier report at the same place and is merged into it.

Rows go in with COPY, a chunk per transaction, made in one thread while the last chunk is
written in the caller's (``reports.geo.demo_write``: tracking codes are given at write time, so
the gapless counter never skips a number). The map-grid counts are rebuilt once at the end and
the dashboards get one "bulk" notice. Reports carry no media files and queue no notifications
(they happened in the past); events carry no attachments.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ioc.auth.models import Role, User
from reports.geo import cells
from reports.geo.demo_clock import WindowClock
from reports.geo.demo_story import Cast, Deadlines, Plan, Story, iso, play
from reports.geo.demo_world import (
    CategoryInfo,
    Route,
    Router,
    Ward,
    agency_ids,
    load_categories,
    load_service_areas,
    load_wards,
)
from reports.geo.demo_write import (
    BULK_NOTICE,
    Chunk,
    Writer,
    may_quiet_triggers,
    pipeline,
    write_ratings,
)
from reports.models import Report
from routing import seed as routing_seed
from routing import service as routing
from routing.models import Agency, AgencyMember
from routing.sla import VN_TZ

YEAR = timedelta(days=365)
CHUNK = 10_000  # small enough that the first and the last chunk, not overlapped, are short
# Shares of reports per category code (others: 1 each).
CATEGORY_SHARES = {
    "trat-tu-do-thi": 20,
    "ve-sinh-moi-truong": 18,
    "giao-thong": 14,
    "an-ninh-trat-tu": 8,
    "chieu-sang": 8,
    "thoat-nuoc": 7,
    "cay-xanh": 6,
    "cap-nuoc": 5,
    "dien-luc": 5,
    "vien-thong": 3,
    "khac": 3,
    "thai-do-phuc-vu": 1.5,
    "ho-so-cham-tre": 1.5,
}
# Reports per hour of the day (Vietnam), relative.
HOURS = (1, 0.5, 0.3, 0.3, 0.5, 2, 5, 8, 9, 8, 7, 6, 5, 5, 6, 6, 7, 8, 8, 7, 6, 4, 3, 2)
REPEATS = 0.04
DESCRIPTIONS = {
    "giao-thong": ("Ổ gà lớn giữa đường, xe máy phải tránh gấp.", "Biển báo bị đổ ở ngã tư."),
    "trat-tu-do-thi": ("Hàng quán lấn chiếm vỉa hè.", "Xây dựng không phép, vật liệu đổ ra đường."),
    "ve-sinh-moi-truong": ("Rác thải tồn đọng nhiều ngày chưa thu gom.", "Đổ trộm xà bần."),
    "cap-nuoc": ("Ống nước bị vỡ, nước chảy tràn ra đường.", "Mất nước sinh hoạt nhiều ngày."),
    "thoat-nuoc": ("Ngập sâu sau mưa, cống bị rác bịt kín.", "Nắp cống bị mất, rất nguy hiểm."),
    "chieu-sang": ("Đèn đường không sáng cả đoạn.", "Đèn chiếu sáng bật cả ban ngày."),
    "cay-xanh": ("Cây xanh nghiêng, có nguy cơ đổ.", "Cành cây gãy chắn ngang đường."),
    "dien-luc": ("Dây điện võng thấp sát đầu người.", "Cột điện nghiêng sau mưa bão."),
    "vien-thong": ("Cáp viễn thông chằng chịt, treo thấp.",),
    "an-ninh-trat-tu": ("Karaoke gây ồn sau 23 giờ.", "Tụ tập đua xe ban đêm."),
}
OTHER_DESCRIPTION = ("Đề nghị cơ quan chức năng kiểm tra, xử lý.",)
NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Minh Đức")
SOURCES = ("device", "device", "device", "exif", "exif", "map")
REPORT_COLUMNS = (
    "id, tracking_code, state, category_id, description, location, location_source, ward_id, "
    "office_id, suggested_agency_id, agency_id, rule_position, priority, routing_reason, "
    "routing_reason_params, outside_coverage, verify_by, accept_by, resolve_by, due_at, overdue, "
    "overdue_since, forwarded_at, accepted_at, resolved_at, published_at, on_time, closed_at, "
    "extension_state, extension_until, extension_reason, duplicate_of_id, result_text, version, "
    "updated_at, "
    "locale, reporter_name, reporter_phone, reporter_email, keep_identity_private, "
    "status_token_hash, submitter_key, created_at"
)
TIMES = [
    "verify_by",
    "accept_by",
    "resolve_by",
    "due_at",
    "overdue_since",
    "forwarded_at",
    "accepted_at",
    "resolved_at",
    "published_at",
    "closed_at",
    "extension_until",
    "created_at",
    "updated_at",
]
COLUMN_NAMES = tuple(name.strip() for name in REPORT_COLUMNS.split(","))
EVENT_COLUMNS = "report_id, at, actor_kind, user_id, from_state, to_state, action, note, payload"

Earlier = tuple[int, int, float, tuple[float, float, int]]  # id, position, created, place


@dataclass
class World:
    """Everything the generator draws from, loaded once."""

    wards: list[Ward]
    weights: np.ndarray[Any, np.dtype[np.float64]]
    categories: list[CategoryInfo]
    shares: np.ndarray[Any, np.dtype[np.float64]]
    areas: Any
    router: Router
    deadlines: dict[int, Deadlines]
    agencies: dict[int, tuple[int, str, str]]
    codes: dict[str, int]
    cast: Cast


def _deadlines(
    db: Session, categories: list[CategoryInfo], start: datetime, now: datetime
) -> dict[int, Deadlines]:
    """Each category's deadlines, on one window clock laid out from the start to a year on."""
    first, last = start.astimezone(VN_TZ).date(), (now + YEAR).astimezone(VN_TZ).date()
    found: dict[int, Deadlines] = {}
    for category in categories:
        clock = routing.clock(db, category.id, start)
        found[category.id] = Deadlines.of(clock, WindowClock(clock.calendar, first, last))
    return found


def _cast(db: Session) -> Cast:
    """The first active operator and supervisor, and each agency's demo account (by its code)."""

    def first(role: Role) -> int | None:
        query = select(User.id).where(User.role == role, User.active.is_(True)).order_by(User.id)
        return db.scalars(query).first()

    staff: dict[int, int] = {}
    rows = db.execute(
        select(AgencyMember.agency_id, User.id)
        .join(User, User.id == AgencyMember.user_id)
        .join(Agency, Agency.id == AgencyMember.agency_id)
        .where(User.active.is_(True))
        .order_by(AgencyMember.agency_id, User.username != Agency.code, User.id)
    )
    for agency_id, user_id in rows:
        staff.setdefault(agency_id, user_id)
    return Cast(first(Role.ioc_operator), first(Role.ioc_supervisor), staff)


def load_world(db: Session, now: datetime, router: Session | None = None) -> World:
    """Wards, categories, service areas, routing, deadlines, agencies and the acting staff.

    Routing is asked through ``router`` (by default ``db``) while the rows are made.
    """
    wards = load_wards(db)
    weights = np.array([w.weight for w in wards])
    categories = load_categories(db)
    shares = np.array([CATEGORY_SHARES.get(c.code, 1.0) for c in categories])
    agencies = {
        id_: (id_, code, name)
        for id_, code, name in db.execute(select(Agency.id, Agency.code, Agency.name))
    }
    return World(
        wards,
        weights / weights.sum(),
        categories,
        shares / shares.sum(),
        load_service_areas(db),
        Router(router or db, now),
        _deadlines(db, categories, now - YEAR - timedelta(days=2), now),
        agencies,
        agency_ids(db),
        _cast(db),
    )


def created_times(
    rng: np.random.Generator, n: int, now: datetime
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """``n`` sorted creation times over the past year: growing, busier by day than by night."""
    days = np.arange(365)
    weekday = (now.astimezone(VN_TZ).weekday() - 365 + days) % 7
    weight = (0.5 + days / 365) * np.where(weekday >= 5, 0.8, 1.0)
    day = rng.choice(days, size=n, p=weight / weight.sum())
    hours = np.array(HOURS, dtype=float)
    hour = rng.choice(24, size=n, p=hours / hours.sum())
    seconds = hour * 3600 + rng.integers(0, 3600, size=n)
    midnight = datetime.combine(now.astimezone(VN_TZ).date(), datetime.min.time(), tzinfo=VN_TZ)
    first = (midnight - timedelta(days=365)).timestamp()
    moments = first + day * 86400.0 + seconds
    # Today's later hours have not come yet: those reports came the day before.
    moments = np.where(moments > now.timestamp() - 60.0, moments - 86400.0, moments)
    return np.asarray(np.sort(moments), dtype=np.float64)


@dataclass
class Generator:
    """Makes the rows of one chunk after another, in creation order."""

    world: World
    now: datetime
    seed: int
    rng: np.random.Generator
    chance: random.Random
    residents: int
    recent: dict[tuple[int, int], deque[Earlier]] = field(
        default_factory=lambda: defaultdict(lambda: deque(maxlen=20))
    )
    states: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    making: float = 0.0  # seconds spent making rows

    def places(self, n: int) -> tuple[Any, Any, Any, Any]:
        """Wards, longitudes, latitudes and service-area masks of ``n`` new reports."""
        world = self.world
        picks = self.rng.choice(len(world.wards), size=n, p=world.weights)
        xs, ys = np.zeros(n), np.zeros(n)
        for index in np.unique(picks):
            where = np.nonzero(picks == index)[0]
            xs[where], ys[where] = world.wards[index].draw(self.rng, len(where))
        return picks, xs, ys, world.areas.masks(xs, ys)

    def chunks(self, reader: Session, created: Any, size: int) -> Iterator[Chunk]:
        """The load's chunks in order, ids taken from the sequence through ``reader``."""
        for start in range(0, len(created), size):
            began = time.monotonic()
            moments = created[start : start + size]
            made = self.chunk(start, reserve_ids(reader, len(moments)), moments)
            reader.commit()  # it only read (routing) and took ids: no transaction left open
            self.making += time.monotonic() - began
            yield made

    def chunk(self, start: int, ids: list[int], created: Any) -> Chunk:
        """The report rows and event rows of one chunk (without their tracking codes)."""
        n = len(ids)
        picks, xs, ys, masks = self.places(n)
        kinds = self.rng.choice(len(self.world.categories), size=n, p=self.world.shares)
        reports: list[list[Any]] = []
        events: list[list[Any]] = []
        duplicates: list[tuple[int, int]] = []
        for i in range(n):
            ward = self.world.wards[picks[i]]
            category = self.world.categories[kinds[i]]
            place = (float(xs[i]), float(ys[i]), int(masks[i]))
            story = self.story(ids[i], start + i, float(created[i]), ward, category, place)
            reports.append(self.report_row(story))
            for event in story.events:
                if event[6] == "mark_duplicate":
                    duplicates.append((len(events), event[8]["of"]))
                events.append(event_row(event))
        return Chunk(start, created, reports, events, duplicates)

    def story(
        self,
        id_: int,
        position: int,
        created: float,
        ward: Ward,
        category: CategoryInfo,
        place: tuple[float, float, int],
    ) -> Story:
        """Play one report's life."""
        key = (ward.id, category.id)
        original = None
        candidates = self.recent[key]
        if candidates and self.chance.random() < REPEATS:
            other = self.chance.choice(candidates)
            if created - other[2] < 14 * 86400:  # a repeat of a report of the last two weeks
                original = (other[0], other[1])  # its id and its position in the load
                place = other[3]
        lon, lat, mask = place
        route = self.world.router.route(category, ward, mask, lon, lat)
        report = self.new_report(id_, created, category, route, (lon, lat))
        story = Story(
            self.chance,
            self.now.timestamp(),
            self.world.deadlines[category.id],
            self.world.cast,
            report,
        )
        play(story, self.plan(route, ward, category, original))
        self.states[report["state"]] += 1
        if report["state"] not in ("rejected", "duplicate"):
            candidates.append((id_, position, created, (lon, lat, mask)))
        return story

    def plan(self, route: Route, ward: Ward, category: CategoryInfo, original: Any) -> Plan:
        """Where the report goes: the suggestion, else the ward's People's Committee."""
        codes, agencies = self.world.codes, self.world.agencies
        committee = codes.get(routing_seed.ward_committee_code(ward.code))
        police = codes.get(routing_seed.police_code(ward.code))
        first = route.agency_id or committee
        other = committee if first != committee else police
        return Plan(
            agencies.get(first) if first else None,
            agencies.get(other) if other else None,
            original,
            category.geographic and category.priority == "normal",
        )

    def new_report(
        self,
        id_: int,
        created: float,
        category: CategoryInfo,
        route: Route,
        where: tuple[float, float],
    ) -> dict[str, Any]:
        """The report as intake files it (the story changes it from there)."""
        chance = self.chance
        contact = chance.random() < 0.4
        phone = f"09{chance.randrange(10**8):08d}" if contact else None
        resident = chance.randrange(self.residents)
        token = f"demo-token\0{self.seed}\0{id_}".encode()
        report = dict.fromkeys(TIMES)
        report |= {
            "id": id_,
            "tracking_code": None,  # given when written
            "state": "submitted",
            "category_id": category.id,
            "description": chance.choice(DESCRIPTIONS.get(category.code, OTHER_DESCRIPTION)),
            "location": f"SRID=4326;POINT({where[0]:.7f} {where[1]:.7f})",
            "location_source": chance.choice(SOURCES),
            "ward_id": route.ward_id,
            "office_id": route.office_id,
            "suggested_agency_id": route.agency_id,
            "agency_id": None,
            "rule_position": route.rule,
            "priority": category.priority,
            "routing_reason": route.reason,
            "routing_reason_params": route.params,
            "outside_coverage": route.outside_coverage,
            "overdue": False,
            "extension_state": None,
            "extension_reason": None,
            "duplicate_of_id": None,
            "result_text": None,
            "on_time": None,
            "version": 1,
            "locale": "en" if chance.random() < 0.03 else "vi",
            "reporter_name": chance.choice(NAMES) if contact else None,
            "reporter_phone": phone,
            "reporter_email": f"nguoidan{resident}@example.vn" if chance.random() < 0.1 else None,
            "keep_identity_private": chance.random() < 0.85,
            "status_token_hash": hashlib.sha256(token).hexdigest(),
            "submitter_key": hashlib.sha256(f"demo-resident\0{resident}".encode()).hexdigest(),
        }
        report["created_at"] = report["updated_at"] = created
        return report

    @staticmethod
    def report_row(story: Story) -> list[Any]:
        """The report's COPY row."""
        r = story.report
        for name in TIMES:
            if r[name] is not None:
                r[name] = iso(r[name])
        if r["state"] == "duplicate":  # its reporter would follow the original: no contact kept
            r["reporter_phone"] = r["reporter_email"] = None
        return [r[name] for name in COLUMN_NAMES]


def event_row(event: tuple[Any, ...]) -> list[Any]:
    """An event's COPY row (a duplicate's payload is written with the original's code)."""
    report_id, at, kind, user, from_state, to_state, action, note, payload = event
    text_payload = payload_text(tuple(payload.items())) if payload else "{}"
    return [report_id, iso(at), kind, user, from_state, to_state, action, note, text_payload]


@functools.lru_cache(maxsize=4096)
def payload_text(items: tuple[tuple[str, Any], ...]) -> str:
    """A payload as JSON; most repeat (reasons, agencies, results), so they are kept."""
    return json.dumps(dict(items), ensure_ascii=False)


def reserve_ids(db: Session, n: int) -> list[int]:
    """``n`` report ids from the table's own sequence (concurrent intakes take others)."""
    series = func.generate_series(1, n).table_valued("i")
    nextval = func.nextval(func.pg_get_serial_sequence("reports", "id"))
    return list(db.scalars(select(nextval).select_from(series)))


@dataclass(frozen=True)
class Loaded:
    """What a load did."""

    reports: int
    events: int
    seconds: float
    states: dict[str, int]

    @property
    def rate(self) -> float:
        """Reports per second."""
        return self.reports / self.seconds if self.seconds else 0.0


def load(
    db: Session,
    n: int,
    *,
    seed: int = 1,
    now: datetime | None = None,
    commit: Callable[[], None] = lambda: None,
    progress: Callable[[str], None] = lambda _: None,
    chunk: int = CHUNK,
) -> Loaded:
    """Generate and COPY ``n`` reports with their events, a chunk per ``commit``; then the cells.

    The rows are made in a thread that asks routing and the id sequence through a session of
    its own (reads only); everything is written through ``db``.
    """
    started = time.monotonic()
    now = now or datetime.now(UTC)
    before = db.scalar(select(func.coalesce(func.max(Report.id), 0))) or 0
    reader = Session(db.get_bind().engine)
    try:
        world = load_world(db, now, reader)
        rng = np.random.default_rng(seed)
        chance = random.Random(seed)  # noqa: S311 - made-up data, reproducible by its seed
        generator = Generator(world, now, seed, rng, chance, max(n // 3, 1))
        created = created_times(rng, n, now)
        quiet = may_quiet_triggers(db)
        writer = Writer(db, REPORT_COLUMNS, EVENT_COLUMNS, commit, quiet)
        tally = Tally(n, started, generator, progress)
        pipeline(generator.chunks(reader, created, chunk), lambda c: tally.write(writer, c))
    finally:
        reader.close()
    rated = write_ratings(db, before, seed, now)
    commit()
    progress(f"{rated} results rated by residents")
    finish(db, commit, progress)
    return Loaded(n, tally.events, time.monotonic() - started, dict(generator.states))


@dataclass
class Tally:
    """Writes chunks and tells the progress."""

    n: int
    started: float
    generator: Generator
    progress: Callable[[str], None]
    done: int = 0
    events: int = 0
    writing: float = 0.0

    def write(self, writer: Writer, chunk: Chunk) -> None:
        """Write a chunk, then tell how far the load is."""
        began = time.monotonic()
        writer.write(chunk)
        self.writing += time.monotonic() - began
        self.done += len(chunk.reports)
        self.events += len(chunk.events)
        spent = time.monotonic() - self.started
        self.progress(
            f"{self.done}/{self.n} reports, {self.events} events, {self.done / spent:.0f} "
            f"reports/s (making rows {self.generator.making:.1f} s and writing "
            f"{self.writing:.1f} s, at the same time)"
        )


def finish(db: Session, commit: Callable[[], None], progress: Callable[[str], None]) -> None:
    """Rebuild the map-grid counts, tell the dashboards, analyse the tables."""
    began = time.monotonic()
    cells.rebuild(db)
    db.execute(BULK_NOTICE)  # the live trigger was quiet: the dashboards refresh once
    commit()
    rebuilt = time.monotonic()
    db.execute(text("ANALYZE reports, report_events, report_cells, report_cells_daily"))
    commit()
    progress(
        f"cells rebuilt in {rebuilt - began:.1f} s, tables analysed in "
        f"{time.monotonic() - rebuilt:.1f} s"
    )
