"""Settings read from the environment (prefix ``IOC_``) with pydantic-settings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "insecure-default-secret-key-change-me-0123456789"  # noqa: S105 - the sentinel that production refuses
PROJECT_ROOT = Path(__file__).resolve().parent.parent


MIN_SECRET_LENGTH = 32


class InsecureSettings(ValueError):
    """The settings are not safe to serve with."""


class MapSettings(BaseModel):
    """Base map: the tile server is the city's own; none by default (no outside host)."""

    tile_url: str = ""
    tile_attribution: str = ""
    center_lat: float = 10.42
    center_lon: float = 107.17
    zoom: int = 10


class IntakeSettings(BaseModel):
    """Citizen reports: upload limits and the per-address rate limit (``IOC_INTAKE__…``)."""

    max_request_mb: int = 100
    max_photos: int = 5
    photo_mb: int = 15
    video_mb: int = 50
    video_seconds: int = 60
    photo_megapixels: int = 50  # per photo, read from its header before decoding
    request_megapixels: int = 150  # decoded by the photos of one submission in all
    # Mobile carriers put many phones behind one address (CGNAT): keep this generous.
    rate_limit: int = 30
    rate_window_minutes: int = 10
    nearby_metres: float = 150.0
    # Status lookups by tracking code alone, per address and minute (codes are sequential).
    lookups_per_minute: int = 60
    # Submissions processed at once per worker process; more only fight over the CPU (and the GIL).
    concurrency: int = 2
    # Submissions received at once per worker (spooled to disk); the others wait before their
    # body is read, so that memory and disk stay bounded however many phones send at once.
    in_flight: int = 16


class RoutingSettings(BaseModel):
    """Assignment (``IOC_ROUTING__…``)."""

    # Boundary layers and coastlines differ: a point on the beach can lie in no ward. Within this
    # distance of a ward it goes to the nearest one; farther away it is outside coverage.
    nearest_ward_metres: float = Field(default=300.0, ge=0)


class JobSettings(BaseModel):
    """The job worker and its periodic jobs (``IOC_JOBS__…``)."""

    # Jobs run at once per worker; the machine's cores are the web server's first.
    concurrency: int = Field(default=1, ge=1)
    # A media file no row refers to is removed once it is this old: long enough that a request
    # still writing and referencing it has finished (or failed) by then.
    media_grace_hours: float = Field(default=24.0, ge=1.0)


class LifecycleSettings(BaseModel):
    """Who may do what to a report (``IOC_LIFECYCLE__…``)."""

    # A city's own roles for an action, e.g. {"approve_extension": ["ioc_supervisor",
    # "ioc_operator"]}; values are role names, "agency" (the assigned agency's staff) or "resident".
    roles: dict[str, list[str]] = Field(default_factory=dict)
    # A resident may reopen a published report within this many days (DOMAIN.md: 7).
    reopen_days: int = Field(default=7, ge=0)


class Settings(BaseSettings):
    """Everything the app reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="IOC_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    database_url: str | None = None
    var_dir: Path = PROJECT_ROOT / "var"
    secret_key: str = DEFAULT_SECRET
    media_dir: Path = PROJECT_ROOT / "var" / "media"
    demo: bool = False
    default_locale: str = "vi"
    map: MapSettings = Field(default_factory=MapSettings)
    intake: IntakeSettings = Field(default_factory=IntakeSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    lifecycle: LifecycleSettings = Field(default_factory=LifecycleSettings)
    token_ttl_minutes: int = 60
    session_ttl_hours: int = 12
    login_max_failures: int = 5
    login_window_minutes: int = 15
    log_json: bool = True

    def check_secret(self) -> None:
        """Refuse to serve with the default or a short secret key, except in demo mode."""
        if self.demo:
            return
        if self.secret_key == DEFAULT_SECRET:
            raise InsecureSettings(
                "IOC_SECRET_KEY is the default: set a long random secret (or IOC_DEMO=1 for a demo)"
            )
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            raise InsecureSettings(
                f"IOC_SECRET_KEY is too short: use at least {MIN_SECRET_LENGTH} random characters"
            )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
