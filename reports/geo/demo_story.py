"""One demo report's life, played at past moments as ``reports.lifecycle`` would have recorded it.

A report is filed, verified (or rejected, or merged into an earlier report nearby), forwarded,
accepted, handled and published, with the detours real reports take: an agency returns it, asks
for an extension, the IOC sends a result back, a resident reopens it. Each step waits a random
time (log-normal, in working hours; urgent reports on the clock), so most reports meet their
deadlines and some do not. Steps that would come after ``now`` do not happen: recent reports are
still open. A deadline that passed before the next step gets the sweep's "overdue" event a
minute later, and the flag stays until the stage's deadline changes, as ``set_due`` does.
Deadlines are routing's (``routing.sla`` through ``WindowClock``); fields follow
``reports.lifecycle.steps``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from reports.geo.demo_clock import WindowClock
from routing.service import Clock
from routing.sla import Priority

HOUR = 3600.0
SWEEP_DELAY = 60.0
# Working hours each step takes (median, log-normal sigma); the deadlines are 2 (verify),
# 8 (accept) and 24 / 80 working hours or 4 calendar hours (result): most steps are on time.
WAITS = {
    "verify": (0.8, 0.9),
    "accept": (2.0, 0.8),
    "resolve": (12.0, 0.5),
    "resolve_complex": (40.0, 0.5),
    "resolve_urgent": (2.5, 0.4),
    "review": (2.0, 0.8),
    "decide": (3.0, 0.8),
}
STALLED = 0.015  # reports an agency leaves lying for six times as long
REJECT, DUPLICATE, COMPLEX, RETURN, EXTENSION, SEND_BACK, REOPEN = (
    0.07, 0.04, 0.04, 0.04, 0.05, 0.03, 0.015,
)  # fmt: skip
REJECT_REASONS = (
    "Nội dung phản ánh không thuộc phạm vi tiếp nhận (khiếu nại, tố cáo): đề nghị gửi đơn đến "
    "cơ quan có thẩm quyền theo Luật Khiếu nại, Luật Tố cáo.",
    "Thông tin chưa đủ để xác minh: hình ảnh không rõ, không xác định được vị trí.",
    "Phản ánh không đúng sự thật sau khi kiểm tra hiện trường.",
)
RETURN_REASON = "Không thuộc thẩm quyền của đơn vị, đề nghị chuyển đơn vị khác."
EXTENSION_REASON = "Cần thêm thời gian phối hợp với các đơn vị liên quan."
SEND_BACK_REASON = "Hình ảnh sau xử lý chưa thể hiện rõ kết quả, đề nghị bổ sung."
RESULT_TEXT = "Đơn vị đã kiểm tra hiện trường và xử lý xong nội dung phản ánh."
REOPEN_NOTE = "Vấn đề vẫn chưa được khắc phục."
WAITING_FOR_IOC = ("submitted", "returned", "reopened")


def iso(moment: float | None) -> str | None:
    """A POSIX time as ISO 8601 with its UTC offset (None stays None)."""
    return None if moment is None else datetime.fromtimestamp(moment, UTC).isoformat()


Span = tuple[float, float]  # seconds of working time, seconds on the calendar clock


def _span(span: Any, clock: Clock) -> Span:
    return span.as_working_time(
        clock.calendar
    ).total_seconds(), span.as_calendar_time().total_seconds()


@dataclass(frozen=True)
class Deadlines:
    """A category's deadline rules as seconds, with the working-time clock."""

    clock: WindowClock
    verify: Span
    accept: Span
    resolve: dict[Priority, Span]
    on_calendar: frozenset[Priority]
    day: Span  # one day of an extension

    @classmethod
    def of(cls, clock: Clock, window: WindowClock) -> Deadlines:
        """From routing's clock of a category."""
        policy = clock.policy.for_category(clock.category)
        resolve = {p: _span(s, clock) for p, s in policy.resolve.items()}
        day = (clock.calendar.day_length.total_seconds(), 24 * HOUR)
        verify, accept = _span(policy.verify, clock), _span(policy.accept, clock)
        return cls(window, verify, accept, resolve, frozenset(policy.calendar_clock), day)

    def after(self, start: float, span: Span, priority: Priority, times: int = 1) -> float:
        """``start`` plus ``times`` a span, on the clock of the priority."""
        if priority in self.on_calendar:
            return start + span[1] * times
        return self.clock.add(start, span[0] * times)

    def due(self, start: float, priority: Priority) -> tuple[float, float, float]:
        """verify_by, accept_by and resolve_by counted from ``start`` (stage order kept)."""
        resolve = self.after(start, self.resolve[priority], priority)
        accept = min(self.after(start, self.accept, priority), resolve)
        return min(self.after(start, self.verify, priority), accept), accept, resolve


@dataclass
class Cast:
    """Who acts: user ids of the IOC's operator and supervisor, and of each agency's staff."""

    operator: int | None
    supervisor: int | None
    agency_staff: dict[int, int] = field(default_factory=dict)


@dataclass
class Story:
    """The report's fields and events as the steps leave them."""

    rng: random.Random
    now: float
    deadlines: Deadlines
    cast: Cast
    report: dict[str, Any]
    events: list[tuple[Any, ...]] = field(default_factory=list)
    t: float = 0.0
    late: bool = False  # the agency missed a deadline since the latest forward

    def wait(self, kind: str, *, longer: float = 1.0) -> float | None:
        """The moment of the next step after a random wait; None if that is after ``now``."""
        median, sigma = WAITS[kind]
        hours = self.rng.lognormvariate(0.0, sigma) * median * longer
        priority = self.report["priority"]
        if priority in self.deadlines.on_calendar:
            at = self.t + hours * HOUR
        else:
            at = self.deadlines.clock.add(self.t, hours * HOUR)
        at = max(at, self.t + SWEEP_DELAY)
        self.flag_overdue(min(at, self.now))
        return at if at < self.now else None

    def flag_overdue(self, before: float) -> None:
        """The sweep's event a minute after a deadline that passed before ``before``."""
        r = self.report
        due = r["due_at"]
        if due is None or r["overdue"] or self.stage() is None:
            return
        moment = max(due, self.t) + SWEEP_DELAY
        if moment >= before:
            return
        r["overdue"], r["overdue_since"] = True, due
        stage = self.stage()
        self.late = self.late or stage in ("accept", "resolve")
        payload = {"stage": stage, "due": iso(due)}
        payload["agency"] = r["agency_id"] if stage != "verify" else None
        self.event(moment, "overdue", r["state"], "system", payload)

    def stage(self) -> str | None:
        """The deadline the report's state waits on."""
        state = self.report["state"]
        if state in WAITING_FOR_IOC:
            return "verify"
        return {"assigned": "accept", "in_progress": "resolve"}.get(state)

    def set_due(self, due: float | None) -> None:
        """A new stage deadline clears the overdue flag (reports.lifecycle.steps.set_due)."""
        r = self.report
        if due != r["due_at"]:
            r["due_at"], r["overdue"], r["overdue_since"] = due, False, None

    def event(
        self, at: float, action: str, to: str, who: str, payload: Any = None, note: str = ""
    ) -> None:
        """Record a step at ``at`` by ``who`` (operator, supervisor, agency, resident, system)."""
        r = self.report
        kind = who if who in ("resident", "system") else "staff"
        user = {
            "operator": self.cast.operator,
            "supervisor": self.cast.supervisor,
            "agency": self.cast.agency_staff.get(r["agency_id"]),
        }.get(who)
        before = None if action == "submit" else r["state"]
        row = (r["id"], at, kind, user, before, to, action, note, payload or {})
        self.events.append(row)
        if action not in ("submit", "overdue"):  # the sweep does not make a view stale
            r["version"] += 1
            r["updated_at"] = at
        r["state"] = to
        self.t = at


@dataclass(frozen=True)
class Plan:
    """What happens to one report beyond chance: where it goes, what it may repeat."""

    agency: tuple[int, str, str] | None  # id, code, name: the suggestion or the IOC's choice
    other_agency: tuple[int, str, str] | None  # where a returned report goes next
    # An earlier report at the same place this one repeats: its id and its position in the load
    # (the event's payload names it by that position until it is written with the code).
    original: tuple[int, int] | None
    may_be_complex: bool


def play(story: Story, plan: Plan) -> None:
    """File the report and take it as far as ``now`` allows."""
    r, rng = story.report, story.rng
    story.t = r["created_at"]
    story.event(story.t, "submit", "submitted", "resident")
    r["verify_by"], r["accept_by"], r["resolve_by"] = story.deadlines.due(story.t, r["priority"])
    r["due_at"] = r["verify_by"]
    at = story.wait("verify")
    if at is None:
        return
    roll = rng.random()
    if roll < REJECT or plan.agency is None:
        _close(story, at, "reject", rng.choice(REJECT_REASONS))
    elif plan.original is not None:
        r["duplicate_of_id"] = plan.original[0]
        _close(story, at, "mark_duplicate", "", {"of": plan.original[1]})
    else:
        if plan.may_be_complex and rng.random() < COMPLEX:
            _set_complex(story, at)
            at += SWEEP_DELAY
        _forward(story, at, plan.agency)
        _handle(story, plan, returns=True)


def _close(story: Story, at: float, action: str, reason: str, payload: Any = None) -> None:
    r = story.report
    r["closed_at"] = at
    story.set_due(None)
    to = "rejected" if action == "reject" else "duplicate"
    story.event(at, action, to, "operator", payload or {"reason": reason}, reason)


def _set_complex(story: Story, at: float) -> None:
    """The IOC finds the job complex: deadlines counted again from submission."""
    r = story.report
    r["priority"] = Priority.complex
    r["verify_by"], r["accept_by"], r["resolve_by"] = story.deadlines.due(
        r["created_at"], Priority.complex
    )
    story.set_due(r["verify_by"])
    payload = {"priority": "complex", "from": "normal"}
    story.event(at, "set_priority", r["state"], "operator", payload)


def _forward(story: Story, at: float, agency: tuple[int, str, str]) -> None:
    r = story.report
    _, r["accept_by"], r["resolve_by"] = story.deadlines.due(at, r["priority"])
    r["agency_id"], r["forwarded_at"], r["accepted_at"] = agency[0], at, None
    story.late = False
    story.set_due(r["accept_by"])
    payload = {"agency": agency[0], "agency_code": agency[1], "agency_name": agency[2]}
    story.event(at, "verify_forward", "assigned", "operator", payload)


def _handle(story: Story, plan: Plan, *, returns: bool) -> None:
    """The agency's part, the IOC's review and the resident's reopening."""
    r, rng = story.report, story.rng
    at = story.wait("accept")
    if at is None:
        return
    if returns and plan.other_agency is not None and rng.random() < RETURN:
        _return(story, at)
        if (at := story.wait("verify")) is not None:
            _forward(story, at, plan.other_agency)
            _handle(story, plan, returns=False)
        return
    r["accepted_at"] = at
    story.set_due(r["resolve_by"])
    story.event(at, "accept", "in_progress", "agency")
    if rng.random() < EXTENSION and not _extension(story):
        return
    if not _resolve_and_review(story):
        return
    if returns and rng.random() < REOPEN:
        _reopen(story, plan)


def _return(story: Story, at: float) -> None:
    r = story.report
    r["verify_by"] = story.deadlines.after(at, story.deadlines.verify, r["priority"])
    story.set_due(r["verify_by"])
    story.event(at, "return", "returned", "agency", {"reason": RETURN_REASON}, RETURN_REASON)


def _extension(story: Story) -> bool:
    """Ask for 1 to 5 more working days; the supervisor approves most. False: ``now`` came."""
    r, rng = story.report, story.rng
    at = story.wait("review")
    if at is None or at >= r["resolve_by"]:
        return at is not None
    days = rng.randint(1, 5)
    until = story.deadlines.after(r["resolve_by"], story.deadlines.day, r["priority"], days)
    r["extension_state"], r["extension_until"] = "requested", until
    r["extension_reason"] = reason = EXTENSION_REASON
    payload = {"until": iso(until), "reason": reason}
    story.event(at, "request_extension", "in_progress", "agency", payload, reason)
    if (at := story.wait("decide")) is None:
        return False
    if rng.random() < 0.8:
        r["extension_state"], r["resolve_by"] = "approved", until
        story.set_due(until)
        payload = {"until": iso(until)}
        story.event(at, "approve_extension", "in_progress", "supervisor", payload)
    else:
        r["extension_state"] = "denied"
        story.event(at, "deny_extension", "in_progress", "supervisor")
    return True


def _resolve_kind(story: Story) -> str:
    kinds = {Priority.urgent: "resolve_urgent", Priority.complex: "resolve_complex"}
    return kinds.get(story.report["priority"], "resolve")


def _resolve_and_review(story: Story) -> bool:
    """Handle, report the result, have it reviewed (sent back at most once). False: ``now``."""
    r, rng = story.report, story.rng
    longer = 6.0 if rng.random() < STALLED else 1.0
    sent_back = False
    while True:
        if (at := story.wait(_resolve_kind(story), longer=0.3 if sent_back else longer)) is None:
            return False
        r["result_text"], r["resolved_at"] = RESULT_TEXT, at
        story.set_due(None)
        story.event(at, "resolve", "resolved", "agency", {"text": RESULT_TEXT}, RESULT_TEXT)
        if (review := story.wait("review")) is None:
            return False
        if sent_back or rng.random() >= SEND_BACK:
            break
        sent_back = True
        story.set_due(r["resolve_by"])
        reason = SEND_BACK_REASON
        story.event(review, "send_back", "in_progress", "operator", {"reason": reason}, reason)
    r["published_at"], r["on_time"] = review, not story.late
    story.set_due(None)
    story.event(review, "approve_result", "published", "operator")
    return True


def _reopen(story: Story, plan: Plan) -> None:
    """The resident is not satisfied within the reopening window; the same agency again."""
    r = story.report
    at = story.t + min(story.rng.lognormvariate(0.0, 0.8) * 2 * 24 * HOUR, 6.5 * 24 * HOUR)
    if at >= story.now or plan.agency is None:
        return
    r["suggested_agency_id"] = r["agency_id"]
    r["verify_by"] = story.deadlines.after(at, story.deadlines.verify, r["priority"])
    story.set_due(r["verify_by"])
    story.event(at, "reopen", "reopened", "resident", {"note": REOPEN_NOTE}, REOPEN_NOTE)
    if (again := story.wait("verify")) is None:
        return
    same = plan.agency if r["agency_id"] == plan.agency[0] else plan.other_agency
    _forward(story, again, same or plan.agency)
    _handle(story, plan, returns=False)
