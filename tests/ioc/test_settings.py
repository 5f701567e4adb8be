"""Settings: prefix IOC_, nested map settings, and no default secret outside demo mode."""

from __future__ import annotations

import pytest

from ioc.app import content_security_policy, create_app
from ioc.settings import DEFAULT_SECRET, InsecureSettings, Settings


def test_the_app_refuses_the_default_secret_outside_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IOC_SECRET_KEY", raising=False)
    monkeypatch.delenv("IOC_DEMO", raising=False)
    settings = Settings(_env_file=None)
    with pytest.raises(InsecureSettings, match="IOC_SECRET_KEY is the default"):
        create_app(settings)
    with pytest.raises(InsecureSettings, match="too short"):
        Settings(secret_key="short-secret").check_secret()


def test_demo_mode_may_keep_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOC_DEMO", "1")
    monkeypatch.delenv("IOC_SECRET_KEY", raising=False)
    settings = Settings(_env_file=None)
    assert settings.secret_key == DEFAULT_SECRET
    settings.check_secret()


def test_reads_prefixed_and_nested_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOC_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("IOC_DATABASE_URL", "postgresql+psycopg://u@db.example/ioc")
    monkeypatch.setenv("IOC_MAP__TILE_URL", "https://tiles.city.gov.vn/{z}/{x}/{y}.png")
    monkeypatch.setenv("IOC_MEDIA_DIR", "/srv/media")
    settings = Settings(_env_file=None)
    assert settings.database_url == "postgresql+psycopg://u@db.example/ioc"
    assert settings.map.tile_url == "https://tiles.city.gov.vn/{z}/{x}/{y}.png"
    assert str(settings.media_dir) == "/srv/media"


def test_tile_server_is_the_only_other_host_the_policy_allows() -> None:
    settings = Settings(demo=True, map={"tile_url": "https://{s}.tiles.city.vn/{z}/{x}/{y}.png"})
    policy = content_security_policy(settings, "n0nce")
    assert "img-src 'self' data: blob: https://*.tiles.city.vn" in policy
    assert "script-src 'self' 'nonce-n0nce';" in policy  # no 'unsafe-inline' (issue 8, item 6)
    assert "tiles" not in content_security_policy(Settings(demo=True), "n0nce")
