"""Alembic wired to cfbot's settings: ``cfbot db upgrade`` and friends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config

from cfbot.db import get_engine, normalize_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at cfbot's migrations and ``database_url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalize_url(database_url).replace("%", "%%"))
    return cfg


def _with_connection(database_url: str, action: Callable[[Config], object]) -> None:
    # one transaction, on cfbot's own engine (SQLite pragmas, psycopg 3 URL handling)
    cfg = alembic_config(database_url)
    with get_engine(database_url).begin() as conn:
        cfg.attributes["connection"] = conn
        action(cfg)


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database schema up to ``revision``."""
    _with_connection(database_url, lambda cfg: command.upgrade(cfg, revision))


def downgrade(database_url: str, revision: str) -> None:
    """Step the schema back to ``revision``."""
    _with_connection(database_url, lambda cfg: command.downgrade(cfg, revision))


def revision(database_url: str, message: str) -> None:
    """Autogenerate a migration from the models (developers only)."""
    _with_connection(
        database_url, lambda cfg: command.revision(cfg, message=message, autogenerate=True)
    )


def current(database_url: str) -> None:
    """Print the revision the database is at."""
    _with_connection(database_url, command.current)
