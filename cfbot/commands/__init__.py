"""Command groups of the ``cfbot`` CLI, one module each (registered in cfbot.cli)."""

from __future__ import annotations

import click

from cfbot.config import ConfigError, Settings
from cfbot.runtime import Runtime


def cli_runtime(*, log: bool = True) -> Runtime:
    """The runtime a command works with, from the environment; a settings problem is a
    clean CLI error, not a traceback. ``log=False`` keeps stderr quiet (e.g. a command
    whose output is a secret a script captures)."""
    from cfbot.runtime import build_runtime

    if log:
        from cfbot.logging_setup import configure_logging

        configure_logging()
    try:
        return build_runtime(Settings.from_env())
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def day_option(_ctx: click.Context, param: click.Parameter, value: str | None) -> object:
    """Click callback for ``--from``/``--to`` days (YYYY-MM-DD); a bad day is a usage error."""
    from cfbot.services.exports import ExportError, parse_day

    if value is None:
        return None
    try:
        return parse_day(value)
    except ExportError as exc:
        raise click.BadParameter(str(exc), param=param) from None
