"""``GET /dashboard/events``: the operators' live feed of reports, as Server-Sent Events.

Every new report event reaches the dashboards through PostgreSQL (migration 0010_live: a
``NOTIFY ioc_reports`` on commit) and this process's hub (``ioc.web.live``). Events are
``report.new`` (a report was filed) and ``report.changed`` (any other event: an action, an overdue
mark), with the report event's id as the SSE id; ``report.bulk`` tells the page to reload what it
shows (a bulk load, or notifications that may have been missed). A client that reconnects with
``Last-Event-ID`` (or ``?last_event_id=``) first gets what it missed.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Header, Query, Request
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, sessionmaker
from sse_starlette import EventSourceResponse, JSONServerSentEvent, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from ioc.auth.models import Role
from ioc.errors import InvalidInput
from ioc.i18n import N_
from ioc.settings import Settings
from ioc.web import SessionDep, get_current_user, get_optional_user, live, require_role
from reports.models import ReportEvent

router = APIRouter()

CHANNEL: Final = "ioc_reports"  # the channel of migration 0010_live
REPLAY_LIMIT: Final = 500  # past this, a reconnecting client reloads instead
# Event ids are taken when a transaction inserts and seen when it commits, so an id a little
# below the last one a client saw may commit after it: replay that far back too (the client
# drops the ids it has already seen).
REPLAY_WINDOW: Final = 100
RETRY_MS: Final = 3000  # how long EventSource waits before it reconnects
PING_S: Final = 15  # a comment this often keeps proxies from closing an idle stream
SEND_TIMEOUT_S: Final = 30  # a client that takes no data for this long is cut off
BAD_LAST_ID = N_("The last event id must be a whole number (the id of an event received).")
RELOAD = ServerSentEvent(data='{"bulk":true}', event="report.bulk")


@functools.cache
def replay_statement() -> Select[tuple[Any]]:
    """The messages of the events after ``:after``, oldest first (built once)."""
    message = func.report_event_live(
        ReportEvent.id,
        ReportEvent.report_id,
        ReportEvent.action,
        ReportEvent.from_state,
        ReportEvent.to_state,
        ReportEvent.at,
        type_=JSONB,
    )
    return (
        select(message)
        .where(ReportEvent.id > bindparam("after"))
        .order_by(ReportEvent.id)
        .limit(REPLAY_LIMIT + 1)
    )


def replay(sessions: Callable[[], Session], after: int) -> list[dict[str, Any]] | None:
    """The messages a client missed since event ``after``; None when too many (it reloads)."""
    with sessions() as db:
        rows = db.scalars(replay_statement(), {"after": max(after - REPLAY_WINDOW, 0)}).all()
    if len(rows) > REPLAY_LIMIT:
        return None
    return [row for row in rows if row is not None]


def sse_event(message: dict[str, Any]) -> ServerSentEvent:
    """One report event as the browsers get it."""
    kind = "report.new" if message.get("action") == "submit" else "report.changed"
    return JSONServerSentEvent(message, event=kind, id=str(message["id"]))


def parse_last_id(header: str | None, query: str | None) -> int | None:
    """The id the client saw last (the header that EventSource sends wins over the query)."""
    raw = header if header is not None else query
    if raw is None or not raw.strip():
        return None
    if not raw.strip().isdigit() or len(raw.strip()) > 18:
        raise InvalidInput(BAD_LAST_ID, field="last_event_id")
    return int(raw.strip())


async def stream(
    hub: live.Hub, sessions: sessionmaker[Session], after: int | None
) -> AsyncIterator[ServerSentEvent]:
    """The feed of one client: what it missed, then what comes, until it leaves or lags."""
    async with hub.subscribe() as subscription:
        # Subscribed before the replay is read: nothing committed in between is lost.
        yield ServerSentEvent(comment="ready", retry=RETRY_MS)
        sent: set[int] = set()
        if after is not None:
            missed = await run_in_threadpool(replay, sessions, after)
            if missed is None:
                yield RELOAD
            for message in missed or []:
                sent.add(message["id"])
                yield sse_event(message)
        while True:
            notice = await subscription.get()
            if notice is live.Signal.DROPPED:
                return  # too slow: EventSource reconnects and replays from its last id
            if notice is live.Signal.GAP or "events" not in notice:
                yield RELOAD
                continue
            for message in notice["events"]:
                if message["id"] not in sent:
                    yield sse_event(message)


def operator_only(request: Request, db: SessionDep) -> None:
    """The check of ``OperatorUser`` in one step, after which the connection goes back."""
    settings: Settings = request.app.state.settings
    user = get_current_user(get_optional_user(request, db, settings))
    require_role(Role.ioc_operator, Role.ioc_supervisor)(user)
    db.close()  # the stream may last hours: its pooled connection goes back now


@router.get("/dashboard/events", response_class=EventSourceResponse)
async def events(
    request: Request,
    _: Annotated[None, Depends(operator_only)],
    last_event_id: Annotated[str | None, Query(max_length=40)] = None,
    header_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=40)] = None,
) -> EventSourceResponse:
    """The live feed of the operators' dashboard (IOC staff only).

    Signed in as ``OperatorUser`` would, but in one dependency and a coroutine: the chain of
    ``OperatorUser`` hops from thread to thread holding a pooled connection, and a burst of
    streams (200 dashboards reconnecting after a restart) held every connection while the
    threads they needed waited for one. Here one thread checks and gives the connection back.
    """
    after = parse_last_id(header_id, last_event_id)
    hub = live.hub(request.app, CHANNEL)
    return EventSourceResponse(
        stream(hub, request.app.state.sessionmaker, after),
        ping=PING_S,
        send_timeout=SEND_TIMEOUT_S,
    )
