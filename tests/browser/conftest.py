"""Shared fixtures for the browser tests (Debian's chromium via Playwright): a copied
SQLite database (pages are what is tested here; the database is tested elsewhere) and
the app served on a free loopback port."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server


@pytest.fixture
def db_url(_sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    from cfbot import db as cfdb

    path = tmp_path / "browser.sqlite3"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    yield url
    cfdb.get_engine(url).dispose()


@pytest.fixture
def live_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
