"""Settings read from the environment (prefix ``IOC_``) with pydantic-settings."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SECRET = "insecure-default-secret-key-change-me-0123456789"  # noqa: S105 - the sentinel that production refuses
PROJECT_ROOT = Path(__file__).resolve().parent.parent


MIN_SECRET_LENGTH = 32


class InsecureSettings(ValueError):
    """The settings are not safe to serve with."""


class City(BaseModel):
    """A city the maps' city switch recentres on: its centre and a zoom that shows its streets."""

    name: str = Field(min_length=1, max_length=60)
    lat: float = Field(ge=-85, le=85)
    lon: float = Field(ge=-180, le=180)
    zoom: int = Field(default=14, ge=1, le=19)


# The cities of the shipped wards (routing/data/NOTICE.md): central Vũng Tàu (former Bà Rịa –
# Vũng Tàu) and central Huế, where the shipped extract's base map draws streets.
SHIPPED_CITIES = (
    City(name="Vũng Tàu", lat=10.346, lon=107.084, zoom=13),
    City(name="Huế", lat=16.4637, lon=107.5856, zoom=14),
)


class MapSettings(BaseModel):
    """Base map: the tile server is the city's own; none by default (no outside host)."""

    tile_url: str = ""
    tile_attribution: str = ""
    # Central Vũng Tàu (Phường Vũng Tàu), at a zoom that shows the city.
    center_lat: float = 10.346
    center_lon: float = 107.084
    zoom: int = 12
    # The self-hosted base map's archive directory (``ioc basemap build``); default var/basemap.
    basemap_dir: Path | None = None
    # The city switch on every map (``IOC_MAP__CITIES='[{"name": …, "lat": …, "lon": …}]'``);
    # fewer than two cities: no switch.
    cities: list[City] = Field(default_factory=lambda: list(SHIPPED_CITIES))


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


class OpenDataSettings(BaseModel):
    """Open data (``IOC_OPEN_DATA__…``): where snapshots are written, automatic publication."""

    # Snapshot files; None: ``var_dir/open-data``.
    directory: Path | None = None
    # Publish a snapshot by itself every night (00:05 Vietnam time); off: the administrator does.
    auto_publish: bool = False


def _split_list(value: Any) -> Any:
    """A comma-separated list from the environment (``a@x.vn,b@y.vn``), or JSON."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class GatewaySettings(BaseModel):
    """An HTTP gateway (SMS, Zalo): the URL messages are POSTed to and its bearer token."""

    url: str = ""
    token: str = ""


class NotifySettings(BaseModel):
    """Notifications (``IOC_NOTIFY__…``): channels, recipients at the IOC, delivery and retries."""

    # Email through SMTP; none configured: demo mode writes emails to the log file, otherwise
    # no email is sent.
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "IOC <no-reply@ioc.invalid>"
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = ""
    # SMS and Zalo gateways (POST JSON {to, text, idempotency_key}); none: the log in demo mode.
    sms: GatewaySettings = Field(default_factory=GatewaySettings)
    zalo: GatewaySettings = Field(default_factory=GatewaySettings)
    # The channels that a phone number is sent to ("sms", "zalo").
    phone_channels: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["sms"])
    # The operations centre's own recipients (returned reports, extensions, overdue reports).
    ioc_emails: Annotated[list[str], NoDecode] = Field(default_factory=list)
    ioc_phones: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The public address of the site, for links in messages after intake ("" = no link).
    site_url: str = ""
    # Demo mode's outbox for people to read (default: var/notify/messages.log).
    log_file: Path | None = None
    # Delivery: sends at once per worker, how long one send may take, and how long a claimed
    # message stays with its worker before another may take it (longer than a send).
    concurrency: int = Field(default=20, ge=1, le=500)
    timeout_seconds: float = Field(default=10.0, gt=0)
    lease_seconds: float = Field(default=60.0, gt=0)
    # Retries: exponential backoff from the first delay up to the longest, until give-up.
    backoff_seconds: float = Field(default=30.0, gt=0)
    backoff_max_seconds: float = Field(default=3600.0, gt=0)
    give_up_hours: float = Field(default=48.0, gt=0)
    # One delivery job runs this long at most, then hands over to the next (re-deferred).
    job_seconds: float = Field(default=30.0, gt=0)
    # Messages delivered or given up are kept this long, then purged (they name residents).
    keep_days: int = Field(default=180, ge=1)
    # A resident may have their private link sent again once per this many minutes per report.
    resend_link_minutes: int = Field(default=10, ge=1, le=1440)

    @field_validator("phone_channels", "ioc_emails", "ioc_phones", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("phone_channels")
    @classmethod
    def _known_channels(cls, value: list[str]) -> list[str]:
        unknown = set(value) - {"sms", "zalo"}
        if unknown:
            raise ValueError(f"unknown phone channels {sorted(unknown)}: use sms, zalo")
        return value

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> NotifySettings:
        if self.lease_seconds <= self.timeout_seconds:
            raise ValueError("lease_seconds must be longer than timeout_seconds")
        return self


class Open311Settings(BaseModel):
    """Open311 GeoReport v2 (``IOC_OPEN311__…``)."""

    # The jurisdiction_id clients may send ("" accepts any, as one jurisdiction is served).
    jurisdiction_id: str = ""
    contact: str = ""  # discovery: how to reach the API's maintainers
    key_service: str = ""  # discovery: how to ask for an api key
    # Hosts whose media_url the server fetches (none by default: a media_url is not fetched).
    media_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    media_fetch_seconds: float = Field(default=10.0, gt=0)
    rate_window_minutes: int = Field(default=60, ge=1)

    @field_validator("media_hosts", mode="before")
    @classmethod
    def _hosts(cls, value: Any) -> Any:
        return _split_list(value)


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
    notify: NotifySettings = Field(default_factory=NotifySettings)
    open311: Open311Settings = Field(default_factory=Open311Settings)
    open_data: OpenDataSettings = Field(default_factory=OpenDataSettings)
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
