"""``ioc open311 key create|list|revoke``: api keys from the command line."""

from __future__ import annotations

import click

from dashboard.open311 import keys
from dashboard.open311.models import DEFAULT_RATE_LIMIT
from ioc import cli_context
from ioc.db import utcnow
from ioc.errors import DomainError


@click.group("open311")
def open311_group() -> None:
    """Open311 GeoReport v2: the api keys of clients."""


@open311_group.group("key")
def key_group() -> None:
    """Api keys."""


@key_group.command("create")
@click.argument("name")
@click.option("--rate-limit", type=int, default=DEFAULT_RATE_LIMIT, show_default=True)
def create(name: str, rate_limit: int) -> None:
    """Issue a key; it is printed once and only its hash is kept."""
    try:
        with cli_context.current().sessionmaker()() as session:
            key, raw = keys.issue(session, name, rate_limit)
            session.commit()
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Key {key.id} for {key.name} (shown once): {raw}")


@key_group.command("list")
def list_keys() -> None:
    """Every key: id, name, rate limit, last use, revoked."""
    with cli_context.current().sessionmaker()() as session:
        for key in keys.listing(session):
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
            click.echo(f"{key.id}\t{key.name}\t{key.rate_limit}\t{used}\t{state}")


@key_group.command("revoke")
@click.argument("key_id", type=click.IntRange(1, 2**31 - 1))
def revoke(key_id: int) -> None:
    """Revoke a key: requests filed with it are refused from now on."""
    try:
        with cli_context.current().sessionmaker()() as session:
            keys.revoke(session, key_id, utcnow())
            session.commit()
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Key {key_id} revoked.")
