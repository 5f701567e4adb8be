"""The command line, against the test database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc.auth.models import Role, User
from ioc.auth.passwords import verify_password
from ioc.cli import main
from ioc.cli_context import CliContext
from ioc.db import seeding
from ioc.db.seeding import SeedState
from ioc.settings import Settings, get_settings


class ContextRunner(CliRunner):
    """Invokes the CLI with a context on the test database (no environment, no patching)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def invoke(self, *args: Any, **kwargs: Any) -> Result:
        kwargs.setdefault("obj", CliContext(settings=self.settings))
        return super().invoke(*args, **kwargs)


@pytest.fixture
def cli_env(settings: Settings) -> CliRunner:
    return ContextRunner(settings)


def test_user_add_creates_a_hashed_account(cli_env: CliRunner, engine: Engine) -> None:
    result = cli_env.invoke(
        main,
        [
            "user",
            "add",
            "cli-test-user",
            "--role",
            "ioc_supervisor",
            "--password",
            "a-long-password",
        ],
    )
    try:
        assert result.exit_code == 0, result.output
        with Session(engine) as session:
            user = session.scalar(select(User).where(User.username == "cli-test-user"))
            assert user is not None and user.role == Role.ioc_supervisor
            assert verify_password(user.password_hash, "a-long-password")
        again = cli_env.invoke(
            main,
            ["user", "add", "cli-test-user", "--role", "admin", "--password", "another-password"],
        )
        assert again.exit_code != 0 and "This username is taken." in again.output
    finally:
        with Session(engine) as session:
            session.execute(delete(User).where(User.username == "cli-test-user"))
            session.commit()


def test_user_add_refuses_a_short_password(cli_env: CliRunner) -> None:
    result = cli_env.invoke(
        main, ["user", "add", "shorty", "--role", "admin", "--password", "short"]
    )
    assert result.exit_code != 0 and "at least 8 characters" in result.output


def test_db_url_names_the_configured_server(cli_env: CliRunner, settings: Settings) -> None:
    result = cli_env.invoke(main, ["db", "url"])
    assert result.output.strip() == settings.database_url


def test_serve_refuses_a_default_secret_outside_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IOC_DEMO", raising=False)
    monkeypatch.delenv("IOC_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["serve", "--port", "1"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code != 0 and "IOC_SECRET_KEY is the default" in result.output


def test_a_second_seed_with_unchanged_data_is_skipped(settings: Settings, engine: Engine) -> None:
    # Not in demo mode: demo reports would be committed to the shared test database.
    cli_env = ContextRunner(settings.model_copy(update={"demo": False}))
    try:
        first = cli_env.invoke(main, ["seed"])
        assert first.exit_code == 0, first.output
        assert "0 routing rules added" in first.output  # the suite's database is seeded already
        second = cli_env.invoke(main, ["seed"])
        assert second.exit_code == 0 and "unchanged since the last seed: skipped" in second.output
        forced = cli_env.invoke(main, ["seed", "--force"])
        assert forced.exit_code == 0 and "70 wards" in forced.output
    finally:
        with Session(engine) as session:
            session.execute(delete(SeedState))
            session.commit()


def test_the_seed_fingerprint_follows_the_files_and_the_mode(tmp_path: Path) -> None:
    data = tmp_path / "wards.geojson"
    data.write_text("{}")
    before = seeding.fingerprint([data], "demo=True")
    assert seeding.fingerprint([data], "demo=False") != before
    data.write_text('{"type": "FeatureCollection"}')
    assert seeding.fingerprint([data], "demo=True") != before
