"""Fixtures of the notification tests: a local SMTP server, a local HTTP receiver, settings that
point the channels at them, and the clean-up of what tests that run a real worker commit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from sqlalchemy import delete, select, text
from sqlalchemy.engine import Engine

from ioc.settings import NotifySettings, Settings
from reports.notify.models import Attempt, Message
from routing.models import Agency
from tests.ioc.serving import free_port
from tests.ioc.test_jobs import clear_queue
from tests.reports.notify.receiver import Receiver

TEST_AGENCY = "test-notify-agency"


class Inbox:
    """aiosmtpd's handler: keeps every envelope it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on a loopback port: (its inbox, its port)."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local HTTP receiver standing in for the SMS gateway and agency webhooks."""
    found = Receiver().start()
    try:
        yield found
    finally:
        found.stop()


def with_notify(settings: Settings, tmp_path: Path, **changes: Any) -> Settings:
    """The test settings with these notification settings (and a log file of the test's own)."""
    values = {"log_file": tmp_path / "messages.log", **changes}
    notify = NotifySettings(**{**settings.notify.model_dump(), **values})
    return settings.model_copy(update={"notify": notify})


@pytest.fixture
def committed(engine: Engine) -> Iterator[Engine]:
    """For tests whose rows a real worker must see: remove their messages (written without a
    report), the test agency and the queue's jobs afterwards."""
    try:
        yield engine
    finally:
        with engine.begin() as conn:
            ours = select(Message.id).where(Message.report_id.is_(None))
            conn.execute(delete(Attempt).where(Attempt.message_id.in_(ours)))
            conn.execute(delete(Message).where(Message.report_id.is_(None)))
            conn.execute(delete(Agency).where(Agency.code == TEST_AGENCY))
            conn.execute(text("DELETE FROM procrastinate_periodic_defers"))
        clear_queue(engine)
