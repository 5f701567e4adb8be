"""What was seeded, so that a second ``ioc seed`` (and ``make demo``) skips unchanged seed data.

The fingerprint covers the shipped data files and the code that loads them: a change to either
seeds again (seeding is idempotent either way; skipping only saves the time of comparing).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy import String
from sqlalchemy.orm import Mapped, Session, mapped_column

from ioc.db import Base, utcnow


class SeedState(Base):
    """The fingerprint of the last seed of one kind (wards and agencies, demo data)."""

    __tablename__ = "seed_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    seeded_at: Mapped[datetime] = mapped_column(default=utcnow)


def fingerprint(paths: Iterable[Path], *extra: str) -> str:
    """SHA-256 over the files (in name order) and extra words (settings that change the seed)."""
    digest = hashlib.sha256()
    for path in sorted({p for p in paths if p.is_file()}):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for word in extra:
        digest.update(word.encode())
    return digest.hexdigest()


def is_current(session: Session, name: str, print_: str) -> bool:
    """Whether the last seed of this kind had this fingerprint."""
    state = session.get(SeedState, name)
    return state is not None and state.fingerprint == print_


def record(session: Session, name: str, print_: str) -> None:
    """Remember the fingerprint of a seed that just ran."""
    state = session.get(SeedState, name) or SeedState(name=name)
    state.fingerprint = print_
    state.seeded_at = utcnow()
    session.add(state)
