"""The Procfile's web process (real gunicorn, several workers) on PostgreSQL: signed
concurrent texts are exactly-once and in arrival order."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from proc_env import real_clock_env
from sms_helpers import (
    AUTH_TOKEN,
    CONVERSATIONS,
    INBOUND,
    all_rows,
    inbound_form,
    sign,
    twiml_messages,
)

from cfbot.models import Answer, Contact, Conversation, Message
from cfbot.runtime import build_runtime

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def gunicorn(db_url, tmp_path):
    if not db_url.startswith("postgresql"):
        # several worker processes on one SQLite file prove nothing new; this test runs
        # in its PostgreSQL variant (CFBOT_TEST_DATABASE_URL set, as in .ci/run)
        pytest.skip("gunicorn workers are tested on PostgreSQL only (the postgresql variant)")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        CFBOT_PUBLIC_URL=base,
        CFBOT_CONVERSATIONS_DIR=str(CONVERSATIONS),
        CFBOT_INSTANCE_PATH=str(tmp_path / "instance"),
        CFBOT_SMS_CHANNEL="console",
        SECRET_KEY="gunicorn-test-secret-0123456789abcdef",
        CFBOT_ENV="development",
    )
    for name in ("TWILIO_ACCOUNT_SID", "CFBOT_DEMO", "CFBOT_TWILIO_VALIDATE_SIGNATURE"):
        env.pop(name, None)
    env = real_clock_env(env)
    log = (tmp_path / "gunicorn.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "cfbot.wsgi:app",
            "--workers",
            "3",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "14",
            "--graceful-timeout",
            "3",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("gunicorn did not start:\n" + (tmp_path / "gunicorn.log").read_text())
            time.sleep(0.2)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


def _post(base: str, form: dict[str, str]) -> tuple[int, str]:
    url = base + INBOUND
    response = requests.post(
        url, data=form, headers={"X-Twilio-Signature": sign(url, form)}, timeout=20
    )
    return response.status_code, response.text


@pytest.mark.slow
def test_concurrent_signed_texts_across_gunicorn_workers(gunicorn, settings):
    base = gunicorn
    phones = [f"+1612555{2000 + i}" for i in range(4)]
    for phone in phones:
        status, body = _post(base, inbound_form("FEEDBACK", phone=phone))
        assert status == 200 and twiml_messages(body)

    # per phone: two different answers at once, and Twilio retrying the first of them
    forms = []
    for phone in phones:
        a, b = inbound_form("4", phone=phone), inbound_form("5", phone=phone)
        forms += [a, b, dict(a)]
    with ThreadPoolExecutor(max_workers=len(forms)) as pool:
        results = list(pool.map(lambda f: _post(base, f), forms))
    assert all(status == 200 for status, _ in results), results
    for i in range(0, len(forms), 3):
        assert results[i][1] == results[i + 2][1]  # the retry got the very same TwiML

    # a forged request is refused by every worker
    forged = inbound_form("STOP", phone=phones[0])
    bad = requests.post(
        base + INBOUND, data=forged, headers={"X-Twilio-Signature": "AAAA"}, timeout=10
    )
    assert bad.status_code == 403

    rt = build_runtime(settings)
    assert len(all_rows(rt.engine, Contact)) == 4
    messages = all_rows(rt.engine, Message)
    answers = all_rows(rt.engine, Answer)
    for person in all_rows(rt.engine, Contact):
        assert not person.opted_out
        inbound = [m for m in messages if m.contact_id == person.id and m.direction == "in"]
        assert [m.body for m in inbound][0] == "FEEDBACK" and len(inbound) == 3
        assert all(m.processed_at is not None for m in inbound)
        first = inbound[1]  # arrival order
        (answer,) = [a for a in answers if a.contact_id == person.id]
        assert answer.question_id == "overall" and answer.message_id == first.id
        assert answer.value_number == float(first.body)
        for m in inbound:
            assert len([o for o in messages if o.reply_to_id == m.id]) == 1
    assert len(all_rows(rt.engine, Conversation)) == 4
