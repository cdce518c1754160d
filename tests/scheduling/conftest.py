"""Fixtures for visits, invitations, the outbox and the clock (defined in sched_helpers)."""

from sched_helpers import fake_time, recorder, settings_overrides  # noqa: F401
