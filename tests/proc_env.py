"""Environments for processes the tests start."""

from __future__ import annotations

FAKETIME_VARS = ("LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_FAKE_MONOTONIC")


def real_clock_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` for a long-running server a test starts (demo, gunicorn), without the night
    pass's libfaketime, which breaks (and has crashed) their threads and worker heartbeats;
    those tests are about processes and concurrency, not the time of day."""
    return {k: v for k, v in env.items() if k not in FAKETIME_VARS}
