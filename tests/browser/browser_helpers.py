"""What every browser test shares: Debian's chromium (never a downloaded browser), its
launch flags, and axe's WCAG 2.1 A/AA check."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def launch(pw: Any, extra_args: Sequence[str] = ()) -> Any:
    """Debian's chromium through Playwright ``pw``; the test fails (not skips) without it."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (see .ci/run)")
    return pw.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, *extra_args])


def axe_violations(pg: Any, *, serious_only: bool = False) -> list[str]:
    """axe's WCAG 2.1 A/AA violations on the page (``serious_only``: serious and critical)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(pg, options={"runOnly": {"type": "tag", "values": WCAG}})
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if not serious_only or v.get("impact") in ("serious", "critical")
    ]
