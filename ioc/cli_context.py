"""What every command shares: the settings and one engine, made on first use.

The ``ioc`` group puts a ``CliContext`` on click's context; commands (the feature packages' too)
take their settings and sessions from it. Tests invoke the CLI with a context of their own
(``runner.invoke(main, args, obj=CliContext(settings, sessions))``), bound to the test database
or to the test's transaction, so nothing of the project needs patching.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import click
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ioc import db
from ioc.settings import Settings, get_settings


@dataclass
class CliContext:
    """The settings and a session factory; either is made from the environment when not given."""

    settings: Settings | None = None
    sessions: sessionmaker[Session] | None = None
    _engine: Engine | None = field(default=None, repr=False)

    def get_settings(self) -> Settings:
        """The settings given, else those of the environment (a bad one is a clear CLI error)."""
        if self.settings is None:
            try:
                self.settings = get_settings()
            except ValueError as exc:
                raise click.ClickException(str(exc)) from exc
        return self.settings

    def sessionmaker(self, **engine_options: object) -> sessionmaker[Session]:
        """The session factory given, else one over an engine made once for this command."""
        if self.sessions is None:
            url = db.database_url(self.get_settings())
            self._engine = db.make_engine(url, **engine_options)
            self.sessions = db.make_sessionmaker(self._engine)
        return self.sessions

    def close(self) -> None:
        """Dispose of the engine this context made (a factory given to it is its owner's)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine, self.sessions = None, None


def current() -> CliContext:
    """The context of the command being run."""
    return click.get_current_context().ensure_object(CliContext)


pass_cli = click.make_pass_decorator(CliContext, ensure=True)
