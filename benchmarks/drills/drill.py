"""Messaging drills on one PostgreSQL database: two app instances (gunicorn), two clocks,
a fake Twilio and an SMTP stand-in, under signed-webhook load.

    python benchmarks/drills/drill.py [--fast] [--drills a,b,c] [--pg-restart]

a  two instances and two clocks: every acknowledged inbound stored and processed once,
   each outbound sent at most once and every queued one sent (or ``unknown`` for staff);
b  kill -9 of a web worker and of a clock mid-load: nothing acknowledged is lost, nothing
   marked sent that Twilio did not get;
c  the fake Twilio answers 500, 429 and hangs; SMTP is down during the load: retryable
   sends are delivered later, a hang is ``unknown`` (never resent), every alert is mailed
   once SMTP is back;
d  (``--pg-restart``) PostgreSQL restarted under load: the service recovers by itself.

Exits 1 and lists what failed. ``--fast`` (CI) uses a small load and finishes in about
two minutes (mail retries back off one minute). Needs PostgreSQL at
``CFBOT_DRILL_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``);
a private database is created and dropped.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "sms"))

from fake_twilio import FakeTwilio, Hang, RateLimited, ServerError  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from cfbot import db as cfdb  # noqa: E402
from cfbot import migrate  # noqa: E402

ACCOUNT_SID = "AC" + "d1" * 16
AUTH_TOKEN = "drill-auth-token-0123456789abcdef"
PUBLIC_URL = "https://drill.example.org"
INBOUND = "/webhooks/twilio/sms"
CFBOT = str(Path(sys.executable).parent / "cfbot")
ADMIN_URL = os.environ.get(
    "CFBOT_DRILL_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Drill:
    def __init__(self, fast: bool, drills: set[str], pg_restart: bool, workdir: Path) -> None:
        self.fast, self.drills, self.pg_restart, self.workdir = fast, drills, pg_restart, workdir
        self.failures: list[str] = []
        self.procs: list[subprocess.Popen[bytes]] = []
        self.acked: set[str] = set()
        self.lock = threading.Lock()
        self.name = f"cfbot_drill_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = sa.make_url(cfdb.normalize_url(ADMIN_URL))
        # pre-ping: after drill d the pooled admin connection is gone
        self.admin = sa.create_engine(admin, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        self.url = admin.set(database=self.name).render_as_string(hide_password=False)
        self.smtp_port = free_port()
        self.smtp_received: list[Any] = []
        self.smtp: Any = None

    # ------------------------------------------------------------ setup
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CFBOT_", "TWILIO_"))}
        env.update(
            CFBOT_ENV="development",
            DATABASE_URL=self.url,
            SECRET_KEY="drill-secret-0123456789abcdef0123",
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_FROM_NUMBER="+16125550000",
            CFBOT_TWILIO_API_BASE_URL=self.fake.base_url,
            CFBOT_TWILIO_TIMEOUT="2",
            CFBOT_PUBLIC_URL=PUBLIC_URL,
            CFBOT_CONVERSATIONS_DIR=str(ROOT / "conversations"),
            CFBOT_INSTANCE_PATH=str(self.workdir / "instance"),
            CFBOT_SMS_SEGMENTS_PER_SECOND="50",
            CFBOT_QUIET_HOURS_START="00:00",
            CFBOT_QUIET_HOURS_END="23:59",
            CFBOT_INBOUND_GRACE_SECONDS="5",
            CFBOT_OUTBOX_STUCK_MINUTES="0.1",
            CFBOT_RATE_LIMITS="0",
            SMTP_URL=f"smtp://127.0.0.1:{self.smtp_port}?timeout=3",
        )
        return env

    def start(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        migrate.upgrade(self.url)
        self.fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
        if "c" in self.drills:
            self.fake.script(ServerError(), RateLimited(retry_after=1), Hang(4), ServerError())
        self.seed_outbox()
        self.bases = []
        for i in range(2):
            port = free_port()
            self.bases.append(f"http://127.0.0.1:{port}")
            self.spawn(
                f"web{i}",
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "cfbot.wsgi:app",
                    "--workers",
                    "2",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--timeout",
                    "20",
                    "--graceful-timeout",
                    "3",
                ],
            )
        for i in range(2):
            self.spawn(f"clock{i}", [CFBOT, "scheduler"])
        deadline = time.monotonic() + 40
        for base in self.bases:
            while True:
                try:
                    if requests.get(base + "/healthz", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"{base} did not start; see {self.workdir}")
                time.sleep(0.3)

    def spawn(self, name: str, argv: list[str]) -> None:
        log = (self.workdir / f"{name}.log").open("w")
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT
        )
        proc.name = name  # type: ignore[attr-defined]
        self.procs.append(proc)

    def seed_outbox(self) -> None:
        """Queued outbound texts (as invitations and reminders would be)."""
        n = 20 if self.fast else 200
        now = datetime.now(UTC)
        engine = sa.create_engine(cfdb.normalize_url(self.url))
        with engine.begin() as conn:
            for i in range(n):
                cid = conn.execute(
                    sa.text(
                        "INSERT INTO contact (phone, language, opted_out, unreachable, "
                        "delivery_failures, created_at, updated_at) VALUES "
                        "(:p, 'en', false, false, 0, :t, :t) RETURNING id"
                    ),
                    {"p": f"+1612777{i:04d}", "t": now},
                ).scalar_one()
                conn.execute(
                    sa.text(
                        "INSERT INTO message (contact_id, direction, channel, address, body, kind,"
                        " status, attempts, next_attempt_at, created_at, segments) VALUES "
                        "(:c, 'out', 'sms', :a, :b, 'notice', 'queued', 0, :t, :t, 1)"
                    ),
                    {"c": cid, "a": f"+1612777{i:04d}", "b": f"drill-out-{i}", "t": now},
                )
        engine.dispose()
        self.seeded = n

    # ------------------------------------------------------------ load
    def post(self, base: str, form: dict[str, str]) -> None:
        url = PUBLIC_URL + INBOUND
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
        for attempt in range(8):  # Twilio retries a failed webhook with the same MessageSid
            try:
                r = requests.post(
                    self.bases[(hash(form["MessageSid"]) + attempt) % 2] + INBOUND,
                    data=form,
                    headers={"X-Twilio-Signature": signature},
                    timeout=15,
                )
                if r.status_code == 200:
                    with self.lock:
                        self.acked.add(form["MessageSid"])
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5 * (attempt + 1))

    def conversation(self, phone: str, crisis: bool) -> None:
        texts = ["FEEDBACK", "4", "2", "The wait was long", "1"]
        if crisis:
            texts.insert(2, "I want to end my life")
        for body in texts:
            form = {
                "MessageSid": "SM" + uuid.uuid4().hex,
                "AccountSid": ACCOUNT_SID,
                "From": phone,
                "To": "+16125550000",
                "Body": body,
                "NumMedia": "0",
            }
            self.post(self.bases[0], form)

    def load(self) -> None:
        phones = 12 if self.fast else 120
        chaos = threading.Thread(target=self.chaos, daemon=True)
        with ThreadPoolExecutor(max_workers=8) as pool:
            chaos.start()
            list(
                pool.map(lambda i: self.conversation(f"+1651555{i:04d}", i % 4 == 0), range(phones))
            )
        chaos.join()
        self.phones = phones

    def chaos(self) -> None:
        time.sleep(1.5 if self.fast else 5)
        if "b" in self.drills:
            master = self.procs[0]
            children = self.children(master.pid)
            if children:
                os.kill(children[0], signal.SIGKILL)
                print(f"b: kill -9 web worker {children[0]}")
            clock = self.procs[2]
            os.kill(clock.pid, signal.SIGKILL)
            print(f"b: kill -9 clock {clock.pid}")
        if self.pg_restart:
            cluster = os.listdir("/etc/postgresql")[0]
            print("d: restarting PostgreSQL")
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"],
                check=False,
            )

    @staticmethod
    def children(pid: int) -> list[int]:
        path = Path(f"/proc/{pid}/task/{pid}/children")
        return [int(x) for x in path.read_text().split()] if path.exists() else []

    # ------------------------------------------------------------ smtp
    def start_smtp(self) -> None:
        from aiosmtpd.controller import Controller

        received = self.smtp_received

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                received.append(envelope)
                return "250 OK"

        self.smtp = Controller(Handler(), hostname="127.0.0.1", port=self.smtp_port)
        self.smtp.start()
        print("c: SMTP is back")

    # ------------------------------------------------------------ checks
    def rows(self, sql: str) -> list[Any]:
        engine = sa.create_engine(cfdb.normalize_url(self.url))
        try:
            with engine.connect() as conn:
                return list(conn.execute(sa.text(sql)).all())
        finally:
            engine.dispose()

    # mail that is due or was tried while SMTP was down (held dissatisfaction mail waits
    # for the survey to end, escalations for their deadline: not due yet)
    MAIL_DUE = (
        "SELECT count(*) FROM mailout WHERE status <> 'sent' AND "
        "(attempts > 0 OR next_attempt_at <= now())"
    )

    def settled(self) -> bool:
        (pending,) = self.rows(
            "SELECT count(*) FROM message WHERE (direction='in' AND status='received') OR "
            "(direction='out' AND status IN ('queued','sending'))"
        )[0]
        (mail,) = self.rows(self.MAIL_DUE)[0]
        return pending == 0 and (mail == 0 or "c" not in self.drills)

    def wait(self) -> None:
        deadline = time.monotonic() + (100 if self.fast else 300)
        recovered = False
        while time.monotonic() < deadline:
            if not recovered and time.monotonic() > deadline - 40:
                # the recover job runs every 5 minutes; run it once like an operator's cron
                subprocess.run(
                    [CFBOT, "scheduler", "--once", "--force", "--job", "recover_outbox"],
                    cwd=ROOT,
                    env=self.env(),
                    capture_output=True,
                    check=False,
                )
                recovered = True
            if self.settled():
                return
            time.sleep(2)

    def check(self) -> None:
        def fail(text: str) -> None:
            self.failures.append(text)
            print("FAIL:", text)

        inbound = {
            r[0]: r[1]
            for r in self.rows("SELECT external_id, status FROM message WHERE direction='in'")
        }
        lost = [sid for sid in self.acked if sid not in inbound]
        unprocessed = [sid for sid in self.acked if inbound.get(sid) != "processed"]
        if lost:
            fail(f"{len(lost)} acknowledged inbound messages were not stored")
        if unprocessed:
            fail(f"{len(unprocessed)} acknowledged inbound messages not processed")
        bodies = [r.form.get("Body", "") for r in self.fake.sent]
        dupes = {b for b in bodies if bodies.count(b) > 1}
        if dupes:
            fail(f"sent twice: {sorted(dupes)[:5]}")
        fake_sids = {r.sid for r in self.fake.sent if r.sid}
        marked = self.rows(
            "SELECT id, external_id FROM message WHERE direction='out' AND external_id IS NOT NULL"
            " AND status IN ('sent','delivered')"
        )
        phantom = [m for m in marked if m[1] not in fake_sids]
        if phantom:
            fail(f"{len(phantom)} messages marked sent that Twilio never got")
        seeded = self.rows(
            "SELECT status, count(*) FROM message WHERE body LIKE 'drill-out-%' GROUP BY status"
        )
        by_status = dict(seeded)
        ok = by_status.get("sent", 0) + by_status.get("delivered", 0)
        unknown = by_status.get("unknown", 0)
        if ok + unknown != self.seeded or unknown > 3:
            fail(f"queued texts not delivered: {by_status}")
        mails = dict(self.rows("SELECT status, count(*) FROM mailout GROUP BY status"))
        alerts = self.rows("SELECT count(*) FROM alert WHERE kind='crisis'")[0][0]
        if "c" in self.drills:
            (due,) = self.rows(self.MAIL_DUE)[0]
            if mails.get("sent", 0) < 1 or due:
                fail(f"{due} due alert mails not sent after SMTP came back: {mails}")
            (retried,) = self.rows("SELECT count(*) FROM mailout WHERE attempts > 1")[0]
            if not retried:
                fail("no alert mail failed while SMTP was down: the drill did not test it")
            if len(self.smtp_received) < mails.get("sent", 0):
                fail("the SMTP stand-in got fewer mails than were marked sent")
        print(
            f"acked inbound {len(self.acked)}, crisis alerts {alerts}, seeded texts {by_status}, "
            f"fake Twilio requests {len(self.fake.requests)} / accepted {len(self.fake.sent)}, "
            f"mail {mails}, SMTP got {len(self.smtp_received)}"
        )

    # ------------------------------------------------------------ teardown
    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.smtp is not None:
            self.smtp.stop()
        if hasattr(self, "fake"):
            self.fake.close()
        cfdb._engines.clear()
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="small load for CI (about 2 minutes)")
    parser.add_argument("--drills", default="a,b,c", help="which of a,b,c to run together")
    parser.add_argument("--pg-restart", action="store_true", help="drill d: restart PostgreSQL")
    parser.add_argument("--workdir", default="", help="where process logs go (default: a temp dir)")
    args = parser.parse_args(argv)
    import tempfile

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="cfbot-drill-"))
    workdir.mkdir(parents=True, exist_ok=True)
    drill = Drill(args.fast, set(args.drills.split(",")), args.pg_restart, workdir)
    started = time.monotonic()
    try:
        drill.start()
        drill.load()
        if "c" in drill.drills:
            # keep SMTP down until an alert mail has actually failed once: a try still in
            # flight ('sending', attempts already counted) could yet succeed once SMTP is
            # back, and then nothing was retried
            until = time.monotonic() + 45
            while time.monotonic() < until and not drill.rows(
                "SELECT 1 FROM mailout WHERE attempts > 0 AND status IN ('pending', 'failed')"
            ):
                time.sleep(1)
            drill.start_smtp()
        drill.wait()
        drill.check()
    finally:
        drill.stop()
    took = time.monotonic() - started
    print(f"{'FAILED' if drill.failures else 'OK'} in {took:.0f} s (logs in {workdir})")
    return 1 if drill.failures else 0


if __name__ == "__main__":
    sys.exit(main())
