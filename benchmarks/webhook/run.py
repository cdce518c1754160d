"""Inbound-SMS webhook benchmark: cfbot under gunicorn vs a signed floor, in one run.

Run from the repository root (about 2 minutes with the defaults):

    python benchmarks/webhook/run.py [--phones 16] [--seconds 20] [--db sqlite|postgresql|both]
                                     [--warmup 3] [--no-write] [--profile]
                                     [--open-fraction 0.5]
    python benchmarks/webhook/run.py --inprocess-only --profile --db sqlite   # SQL counts + cProfile

What it does, in one run:

1. **Servers.** Starts gunicorn (``--workers 2``, sync workers, ``--timeout 14`` as in the
   Procfile; the same command line for every server) with

   * ``floor``: ``floor_app.py``, a bare Flask app that checks the Twilio signature with
     ``twilio.request_validator.RequestValidator`` and returns fixed TwiML;
   * ``cfbot-sqlite`` / ``cfbot-postgresql``: ``cfbot.wsgi:app`` in production mode on a
     fresh database migrated with ``cfbot db upgrade`` (SQLite: a new file;
     PostgreSQL: database ``bench_webhook`` dropped and created again), Twilio SMS
     transport (replies come back as TwiML), ``CFBOT_PUBLIC_URL`` set so signatures are
     checked against a fixed URL.

   Startup time is the time from starting gunicorn to the first 200 on ``/healthz``.

2. **Load.** A load generator in a separate process (raw asyncio sockets, HTTP/1.1,
   keep-alive when the server allows it; gunicorn's sync workers close after each
   response, so in practice one connection per text) runs ``--phones`` simulated phones
   in a closed loop. Each phone texts a whole clinic-visit survey
   (``conversations/clinic_visit.yaml``: keyword ``FEEDBACK``, rating, visit reason,
   NPS, comment; every 4th conversation is an unhappy one: rating 2, "what went wrong",
   ... which raises staff alerts), then starts again with a new phone number; every text
   has a unique ``MessageSid`` and a correct ``X-Twilio-Signature``. After ``--warmup``
   seconds, texts answered in the next ``--seconds`` seconds are counted.

   With ``taskset`` and 2+ CPUs, gunicorn (master and workers) is pinned to all CPUs but
   the last and the load generator to the last (``--server-cpus`` / ``--client-cpus``).
   PostgreSQL itself is not pinned.

   **Open loop.** After each cfbot run, a fresh database and server get a fixed rate of
   ``--open-fraction`` (default 0.5) times the texts/s cfbot just reached: a text every
   1/rate seconds whatever the server does (each continues a conversation whose last
   text was answered, or starts one), latency from the scheduled send time. That p99 is
   the latency a client sees at half the peak, not the queueing of a closed loop.

3. **Figures per server.** texts/s, p50/p99 latency (ms, send to full response, connect
   included), server CPU per text (utime+stime of the gunicorn master and workers from
   ``/proc/<pid>/stat`` over the window; for PostgreSQL also the CPU of the database's
   backends), texts/s divided by the floor's (the headline figure: the floor shares the
   noise of the same machine at the same time), worker RSS after the run, and a check
   that conversations completed: the last TwiML of each finished conversation holds the
   flow's closing text, and the database holds exactly as many completed conversations
   and answers as the load generator saw acknowledged.

4. **In-process counts.** ``--phones`` conversations (after 2 uncounted warm-up ones)
   through the Flask test client on each database, with SQLAlchemy ``before_cursor_execute``
   and ``commit`` listeners on cfbot's engine: SQL statements and commits per text (by
   statement kind and by step: the keyword, an answer, the last answer).
   ``--profile`` also runs that mode under cProfile and prints the top functions.

Results go to ``benchmarks/webhook/RESULTS.md`` under ``## Before (baseline)``
(``--heading`` to write another section; other sections are kept).

PostgreSQL: ``CFBOT_BENCH_PG_URL`` (default
``postgresql://postgres@127.0.0.1:5432/bench_webhook``); the database named there is
dropped and created again through the ``postgres`` maintenance database.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import cProfile
import hashlib
import hmac
import http.client
import io
import itertools
import json
import os
import platform
import pstats
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RESULTS = HERE / "RESULTS.md"
FLOW_FILE = ROOT / "conversations" / "clinic_visit.yaml"
BIN = Path(sys.executable).parent
AUTH_TOKEN = "bench0auth0token0c0ffee0123456789"
PUBLIC_URL = "https://feedback.bench.example"
INBOUND_PATH = "/webhooks/twilio/sms"
ACCOUNT_SID = "AC" + "0" * 32
SERVICE_NUMBER = "+16125550100"
PG_URL = os.environ.get("CFBOT_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/bench_webhook")
GUNICORN_ARGS = ["--workers", "2", "--worker-class", "sync", "--timeout", "14"]
CLK_TCK = os.sysconf("SC_CLK_TCK")
WARMUP_CONVERSATIONS = 2

# --------------------------------------------------------------------------- the survey


def load_scripts() -> tuple[list[str], list[str], str]:
    """The texts a happy and an unhappy client send, and the closing text to expect.

    The keyword and the closing text come from the flow file; the answers follow its
    questions (checked here, so an edited flow fails loudly instead of measuring retries).
    """
    flow = yaml.safe_load(FLOW_FILE.read_text(encoding="utf-8"))
    keyword = flow["keywords"]["en"][0]
    closing = flow["closing"]["text"]["en"]
    questions = {q["id"]: q for q in flow["questions"]}
    expected = {
        "overall": "rating",
        "what_went_wrong": "text",
        "reason": "choice",
        "recommend": "nps",
        "comments": "text",
    }
    found = {qid: q.get("type") for qid, q in questions.items()}
    if found != expected:
        raise SystemExit(f"{FLOW_FILE} changed: questions {found}, expected {expected}")
    happy = [keyword, "4", "2", "9", "The nurse was kind and the wait was short."]
    unhappy = [keyword, "2", "We waited two hours and nobody told us why.", "1", "3", "no"]
    return happy, unhappy, closing


def script_for(conversation_no: int, happy: list[str], unhappy: list[str]) -> list[str]:
    return unhappy if conversation_no % 4 == 3 else happy


def phone_number(n: int) -> str:
    """A distinct US number (possible in the numbering plan, as Twilio's ``From`` is)."""
    return f"+1612{2_000_000 + n:07d}"


def twilio_form(phone: str, sid: str, body: str) -> dict[str, str]:
    """The form Twilio posts for an inbound SMS (the usual fields, in Twilio's order)."""
    return {
        "ToCountry": "US",
        "ToState": "MN",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "MINNEAPOLIS",
        "FromZip": "55401",
        "SmsSid": sid,
        "FromState": "MN",
        "SmsStatus": "received",
        "FromCity": "MINNEAPOLIS",
        "Body": body,
        "FromCountry": "US",
        "To": SERVICE_NUMBER,
        "ToZip": "55401",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": phone,
        "ApiVersion": "2010-04-01",
    }


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """Twilio's X-Twilio-Signature: base64 HMAC-SHA1 of the URL + sorted key/value pairs."""
    payload = url + "".join(k + params[k] for k in sorted(params))
    digest = hmac.new(token.encode(), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


# --------------------------------------------------------------------------- load generator


class HttpConn:
    """One HTTP/1.1 connection to the server, reopened whenever the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.connects = 0

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.connects += 1

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        head = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        head += [f"Content-Length: {len(body)}", "Connection: keep-alive", "", ""]
        request = "\r\n".join(head).encode("latin-1") + body
        for attempt in (0, 1):
            reused = self.writer is not None
            if not reused:
                await self._open()
            assert self.reader is not None and self.writer is not None
            try:
                self.writer.write(request)
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if not reused or attempt:  # only a stale kept-alive socket is retried
                    raise
        raise AssertionError("unreachable")

    async def _response(self) -> tuple[int, bytes]:
        assert self.reader is not None
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunks.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(c[:-2] for c in chunks)
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body


def _counters(**extra: Any) -> dict[str, Any]:
    """The load generator's tallies (closed and open loop share them)."""
    return {
        "texts": 0,
        "errors": 0,
        "started": 0,
        "completed": 0,
        "closing_missing": 0,
        "answers_acked": 0,
        "connects": 0,
        "first_error": "",
        **extra,
    }


async def drive(args: argparse.Namespace) -> dict[str, Any]:
    """Run the phones; print WINDOW_START / WINDOW_END as the counted window opens and
    closes (the parent samples server CPU then); return the figures."""
    happy, unhappy, closing = load_scripts()
    url = PUBLIC_URL + INBOUND_PATH
    loop = asyncio.get_running_loop()
    t_start = loop.time()
    win_start = t_start + args.warmup
    win_end = win_start + args.seconds
    stop = asyncio.Event()
    conv_counter = itertools.count()
    sid_counter = itertools.count()
    latencies: list[float] = []
    st = _counters()

    async def phone(slot: int) -> None:
        conn = HttpConn("127.0.0.1", args.port)
        try:
            while not stop.is_set():
                n = args.number_base + next(conv_counter)
                number = phone_number(n)
                script = script_for(n, happy, unhappy)
                st["started"] += 1
                body = b""
                for i, text in enumerate(script):
                    if stop.is_set():
                        break
                    sid = f"SM{args.number_base:08x}{next(sid_counter):024x}"
                    form = twilio_form(number, sid, text)
                    payload = urlencode(form).encode("ascii")
                    headers = {
                        "Content-Type": "application/x-www-form-urlencoded",
                        "X-Twilio-Signature": sign(url, form),
                        "User-Agent": "TwilioProxy/1.1",
                        "Accept": "*/*",
                    }
                    t0 = loop.time()
                    try:
                        status, body = await conn.post(INBOUND_PATH, payload, headers)
                    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                        status, body = 0, repr(exc).encode()
                    t1 = loop.time()
                    st["texts"] += 1
                    if status != 200:
                        st["errors"] += 1
                        if not st["first_error"]:
                            st["first_error"] = f"{status}: {body[:200]!r}"
                        await asyncio.sleep(0.05)
                        break
                    if i:
                        st["answers_acked"] += 1
                    if win_start <= t0 and t1 <= win_end:
                        latencies.append(t1 - t0)
                else:
                    if closing.encode("utf-8") in body:
                        st["completed"] += 1
                    else:
                        st["closing_missing"] += 1
        finally:
            st["connects"] += conn.connects
            conn.close()

    tasks = [asyncio.create_task(phone(i)) for i in range(args.phones)]
    await asyncio.sleep(max(0.0, win_start - loop.time()))
    print("WINDOW_START", flush=True)
    cpu0 = time.process_time()
    await asyncio.sleep(max(0.0, win_end - loop.time()))
    print("WINDOW_END", flush=True)
    client_cpu = time.process_time() - cpu0
    stop.set()
    await asyncio.gather(*tasks)
    latencies.sort()
    return {
        **st,
        "window_texts": len(latencies),
        "window_seconds": args.seconds,
        "texts_per_s": len(latencies) / args.seconds,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "mean_ms": (statistics.fmean(latencies) * 1000) if latencies else 0.0,
        "client_cpu_util": client_cpu / args.seconds,
    }


async def drive_open(args: argparse.Namespace) -> dict[str, Any]:
    """Open loop: send a text every ``1 / args.rate`` seconds whatever the server does.

    Each text continues a conversation whose previous text was answered (a client reads
    the question before replying, so per-contact order is kept) or starts a new one.
    Latency runs from the text's scheduled send time, so a late send (the generator or the
    server's accept queue behind) counts against the server. Texts scheduled in the
    counted window are waited for after it, however slow."""
    happy, unhappy, closing = load_scripts()
    url = PUBLIC_URL + INBOUND_PATH
    loop = asyncio.get_running_loop()
    interval = 1.0 / args.rate
    t_start = loop.time()
    win_start = t_start + args.warmup
    win_end = win_start + args.seconds
    conv_counter = itertools.count()
    sid_counter = itertools.count()
    waiting: collections.deque[tuple[str, list[str], int]] = collections.deque()
    latencies: list[float] = []
    inflight: set[asyncio.Task[None]] = set()
    st = _counters(max_in_flight=0, late_sends=0)

    async def send(number: str, script: list[str], i: int, scheduled: float) -> None:
        sid = f"SM{args.number_base:08x}{next(sid_counter):024x}"
        form = twilio_form(number, sid, script[i])
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": sign(url, form),
            "User-Agent": "TwilioProxy/1.1",
            "Accept": "*/*",
        }
        conn = HttpConn("127.0.0.1", args.port)
        try:
            status, body = await conn.post(INBOUND_PATH, urlencode(form).encode("ascii"), headers)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            status, body = 0, repr(exc).encode()
        finally:
            st["connects"] += conn.connects
            conn.close()
        t1 = loop.time()
        st["texts"] += 1
        if status != 200:
            st["errors"] += 1
            if not st["first_error"]:
                st["first_error"] = f"{status}: {body[:200]!r}"
            return  # the conversation is dropped
        if i:
            st["answers_acked"] += 1
        if win_start <= scheduled < win_end:
            latencies.append(t1 - scheduled)
        if i + 1 < len(script):
            waiting.append((number, script, i + 1))
        elif closing.encode("utf-8") in body:
            st["completed"] += 1
        else:
            st["closing_missing"] += 1

    window = "before"
    cpu0 = 0.0
    for k in itertools.count():
        scheduled = t_start + k * interval
        if scheduled >= win_end:
            break
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -interval:
            st["late_sends"] += 1
        if window == "before" and scheduled >= win_start:
            print("WINDOW_START", flush=True)
            window, cpu0 = "in", time.process_time()
        if waiting:
            number, script, i = waiting.popleft()
        else:
            n = args.number_base + next(conv_counter)
            number, script, i = phone_number(n), script_for(n, happy, unhappy), 0
            st["started"] += 1
        task = asyncio.create_task(send(number, script, i, scheduled))
        inflight.add(task)
        task.add_done_callback(inflight.discard)
        st["max_in_flight"] = max(st["max_in_flight"], len(inflight))
    await asyncio.sleep(max(0.0, win_end - loop.time()))
    print("WINDOW_END", flush=True)
    client_cpu = time.process_time() - cpu0
    if inflight:
        await asyncio.gather(*inflight)
    latencies.sort()
    return {
        **st,
        "rate": args.rate,
        "window_texts": len(latencies),
        "window_seconds": args.seconds,
        "texts_per_s": len(latencies) / args.seconds,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": latencies[-1] * 1000 if latencies else float("nan"),
        "mean_ms": (statistics.fmean(latencies) * 1000) if latencies else 0.0,
        "client_cpu_util": client_cpu / args.seconds,
    }


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def client_main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="run.py _client")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--phones", type=int, required=True)
    p.add_argument("--warmup", type=float, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--number-base", type=int, required=True)
    p.add_argument("--rate", type=float, default=0.0, help="open loop: texts per second")
    args = p.parse_args(argv)
    result = asyncio.run(drive_open(args) if args.rate > 0 else drive(args))
    print("RESULT " + json.dumps(result), flush=True)


# --------------------------------------------------------------------------- /proc


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def cpu_ticks(pid: int) -> int:
    """utime + stime of ``pid`` in clock ticks (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5)


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


# --------------------------------------------------------------------------- databases


def pg_admin_url(url: str) -> tuple[str, str]:
    """(conninfo of the ``postgres`` maintenance database, name of the bench database)."""
    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def pg_conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def fresh_database(kind: str, workdir: Path) -> tuple[str, float]:
    """A new empty database of ``kind``, migrated with ``cfbot db upgrade``: (URL, secs)."""
    if kind == "sqlite":
        path = workdir / f"bench-{time.monotonic_ns()}.sqlite3"
        url = f"sqlite:///{path}"
    else:
        import psycopg

        admin, name = pg_admin_url(PG_URL)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = PG_URL
    t0 = time.perf_counter()
    subprocess.run(
        [str(BIN / "cfbot"), "db", "upgrade"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return url, time.perf_counter() - t0


def db_counts(url: str) -> dict[str, int]:
    import sqlalchemy as sa

    from cfbot.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:

            def one(sql: str) -> int:
                return int(conn.execute(sa.text(sql)).scalar_one())

            return {
                "completed": one("SELECT count(*) FROM conversation WHERE status = 'completed'"),
                "conversations": one("SELECT count(*) FROM conversation"),
                "answers": one("SELECT count(*) FROM answer"),
                "inbound": one("SELECT count(*) FROM message WHERE direction = 'in'"),
                "alerts": one("SELECT count(*) FROM alert"),
            }
    finally:
        engine.dispose()


class PgBackends:
    """CPU of the PostgreSQL backends serving the bench database (same PID namespace)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(pg_conninfo(url), autocommit=True)
        self.start: dict[int, int] = {}

    def pids(self) -> list[int]:
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
        return [r[0] for r in rows]

    def mark(self) -> None:
        self.start = {pid: cpu_ticks(pid) for pid in self.pids()}

    def ticks_since_mark(self) -> int:
        return sum(cpu_ticks(pid) - self.start.get(pid, 0) for pid in self.pids())

    def close(self) -> None:
        self.conn.close()


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_sets(args: argparse.Namespace) -> tuple[str | None, str | None]:
    if args.server_cpus or args.client_cpus:
        return args.server_cpus, args.client_cpus
    if not shutil.which("taskset"):
        return None, None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    return ",".join(map(str, cpus[:-1])), str(cpus[-1])


def pinned(cmd: list[str], cpus: str | None) -> list[str]:
    return ["taskset", "-c", cpus, *cmd] if cpus and shutil.which("taskset") else cmd


def wait_healthy(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return time.perf_counter()
            conn.close()
        except OSError:
            pass
        time.sleep(0.005)
    raise RuntimeError("server did not become healthy")


def bench_server(
    name: str,
    app_spec: list[str],
    env: dict[str, str],
    args: argparse.Namespace,
    base: int,
    rate: float = 0.0,
) -> dict[str, Any]:
    server_cpus, client_cpus = cpu_sets(args)
    port = free_port()
    log_path = args.workdir / f"{name}.log"
    cmd = pinned(
        [str(BIN / "gunicorn"), *GUNICORN_ARGS, "--bind", f"127.0.0.1:{port}", *app_spec],
        server_cpus,
    )
    with open(log_path, "wb") as log:
        t0 = time.perf_counter()
        server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        startup = wait_healthy(port, server) - t0
        pg = (
            PgBackends(env["DATABASE_URL"]) if "postgresql" in env.get("DATABASE_URL", "") else None
        )
        client = subprocess.Popen(
            pinned(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "_client",
                    f"--port={port}",
                    f"--phones={args.phones}",
                    f"--warmup={args.warmup}",
                    f"--seconds={args.seconds}",
                    f"--number-base={base}",
                    f"--rate={rate}",
                ],
                client_cpus,
            ),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert client.stdout is not None
        pids: list[int] = []
        cpu0 = cpu1 = pg_ticks = 0
        result: dict[str, Any] = {}
        for line in client.stdout:
            if line.startswith("WINDOW_START"):
                pids = [server.pid, *children(server.pid)]
                cpu0 = sum(cpu_ticks(p) for p in pids)
                if pg:
                    pg.mark()
            elif line.startswith("WINDOW_END"):
                cpu1 = sum(cpu_ticks(p) for p in pids)
                if pg:
                    pg_ticks = pg.ticks_since_mark()
            elif line.startswith("RESULT "):
                result = json.loads(line[len("RESULT ") :])
        if client.wait() != 0 or not result:
            raise RuntimeError(f"load generator failed for {name}")
        workers = children(server.pid)
        rss = [rss_mb(p) for p in workers]
        if pg:
            pg.close()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    texts = max(1, result["window_texts"])
    errors_logged = sum(
        1 for line in log_path.read_text(errors="replace").splitlines() if " ERROR " in line
    )
    return {
        "name": name,
        **result,
        "startup_s": startup,
        "cpu_ms_per_text": (cpu1 - cpu0) / CLK_TCK * 1000 / texts,
        "server_cpu_util": (cpu1 - cpu0) / CLK_TCK / args.seconds,
        "pg_cpu_ms_per_text": (pg_ticks / CLK_TCK * 1000 / texts) if pg else None,
        "worker_rss_mb": rss,
        "server_log_errors": errors_logged,
        "cpus": f"server {server_cpus or 'any'} / client {client_cpus or 'any'}",
    }


def cfbot_env(url: str, workdir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith("CFBOT_") or k.startswith("TWILIO_"))
    }
    env.update(
        {
            "CFBOT_ENV": "production",
            "SECRET_KEY": "bench-" + "s" * 40,
            "DATABASE_URL": url,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "CFBOT_PUBLIC_URL": PUBLIC_URL,
            # production refuses the console transport; the request path never calls
            # Twilio (replies travel as TwiML), so a fake account on a closed port will do
            "CFBOT_SMS_CHANNEL": "twilio",
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_FROM_NUMBER": "+15005550006",
            "CFBOT_TWILIO_API_BASE_URL": "http://127.0.0.1:9",
            "CFBOT_CONVERSATIONS_DIR": str(ROOT / "conversations"),
            "CFBOT_INSTANCE_PATH": str(workdir / "instance"),
        }
    )
    env.pop("SMTP_URL", None)
    return env


# --------------------------------------------------------------------------- in-process


def statement_kind(sql: str) -> str:
    word = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
    known = {"SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK"}
    return word if word in known else "other"


def inprocess(kind: str, args: argparse.Namespace, profile: bool = False) -> dict[str, Any]:
    """Count SQL statements and commits per text through the Flask test client."""
    from sqlalchemy import event

    from cfbot import create_app
    from cfbot.config import Settings
    from cfbot.db import dispose_engines
    from cfbot.web.context import get_runtime

    url, _ = fresh_database(kind, args.workdir)
    env = cfbot_env(url, args.workdir)
    settings = Settings.from_env(environ={k: v for k, v in env.items() if k.isupper()})
    app = create_app(settings)
    engine = get_runtime(app).engine
    happy, unhappy, closing = load_scripts()
    counting = {"on": False}
    cur = {"stmts": 0, "commits": 0}
    by_kind: dict[str, int] = {}

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        if counting["on"]:
            cur["stmts"] += 1
            k = statement_kind(statement)
            by_kind[k] = by_kind.get(k, 0) + 1

    def on_commit(_conn: Any) -> None:
        if counting["on"]:
            cur["commits"] += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    client = app.test_client()
    url_signed = PUBLIC_URL + INBOUND_PATH
    steps: dict[str, list[tuple[int, int]]] = {"keyword": [], "answer": [], "last answer": []}
    texts = completed = 0
    elapsed = 0.0
    profiler = cProfile.Profile() if profile else None
    n_conv = WARMUP_CONVERSATIONS + args.phones
    for c in range(n_conv):
        counted = c >= WARMUP_CONVERSATIONS
        script = script_for(c, happy, unhappy)
        number = phone_number(7_000_000 + c)
        for i, text in enumerate(script):
            form = twilio_form(number, f"SM{c:016x}{i:016x}", text)
            headers = {"X-Twilio-Signature": sign(url_signed, form)}
            cur["stmts"] = cur["commits"] = 0
            counting["on"] = counted
            t0 = time.perf_counter()
            if profiler and counted:
                profiler.enable()
            response = client.post(INBOUND_PATH, data=form, headers=headers)
            if profiler and counted:
                profiler.disable()
            dt = time.perf_counter() - t0
            counting["on"] = False
            if response.status_code != 200:
                raise RuntimeError(f"in-process {kind}: {response.status_code} {response.data!r}")
            if not counted:
                continue
            texts += 1
            elapsed += dt
            step = "keyword" if i == 0 else "last answer" if i == len(script) - 1 else "answer"
            steps[step].append((cur["stmts"], cur["commits"]))
            if i == len(script) - 1 and closing.encode() in response.data:
                completed += 1
    event.remove(engine, "before_cursor_execute", on_execute)
    event.remove(engine, "commit", on_commit)
    dispose_engines()
    all_steps = [x for v in steps.values() for x in v]
    out = {
        "db": kind,
        "texts": texts,
        "conversations": args.phones,
        "completed": completed,
        "stmts_per_text": sum(s for s, _ in all_steps) / texts,
        "commits_per_text": sum(c for _, c in all_steps) / texts,
        "by_kind": {k: v / texts for k, v in sorted(by_kind.items())},
        "by_step": {
            k: (statistics.fmean(s for s, _ in v), statistics.fmean(c for _, c in v))
            for k, v in steps.items()
            if v
        },
        "ms_per_text": elapsed / texts * 1000,
    }
    if profiler:
        buf = io.StringIO()
        stats = pstats.Stats(profiler, stream=buf).strip_dirs()
        stats.sort_stats("tottime").print_stats(15)
        stats.sort_stats("cumulative").print_stats(25)
        out["profile"] = buf.getvalue()
    return out


# --------------------------------------------------------------------------- report


def machine_info() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sqlite3
    from importlib.metadata import version

    parts = [
        f"{os.cpu_count()} CPU ({cpu})",
        f"Linux {platform.release()}",
        f"Python {platform.python_version()}",
        f"gunicorn {version('gunicorn')}",
        f"Flask {version('flask')}",
        f"SQLAlchemy {version('sqlalchemy')}",
        f"twilio {version('twilio')}",
        f"SQLite {sqlite3.sqlite_version}",
    ]
    try:
        import psycopg

        admin, _ = pg_admin_url(PG_URL)
        with psycopg.connect(admin) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            parts.append(f"PostgreSQL {row[0].split()[0] if row else '?'} on loopback")
    except Exception:  # noqa: BLE001 - informative only
        pass
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        parts.append(f"load average at the end {load}")
    except OSError:
        pass
    return ", ".join(parts)


def fmt(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{x:,.{digits}f}"


def render(
    servers: list[dict[str, Any]], inproc: list[dict[str, Any]], args: argparse.Namespace
) -> str:
    opened = [s for s in servers if s.get("rate")]
    servers = [s for s in servers if not s.get("rate")]
    floors = [s for s in servers if s["name"].startswith("floor")]
    floor_tps = statistics.fmean(s["texts_per_s"] for s in floors) if floors else None
    floor_cpu = statistics.fmean(s["cpu_ms_per_text"] for s in floors) if floors else None
    cmd = "python benchmarks/webhook/run.py " + " ".join(args.argv_for_report)
    lines = [
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; {machine_info()}.",
        "",
        f"Command: `{cmd.strip()}` ({args.phones} phones, {args.warmup:g} s warm-up, "
        f"{args.seconds:g} s counted per server, gunicorn `{' '.join(GUNICORN_ARGS)}`, "
        f"pinning {servers[0]['cpus'] if servers else '?'}).",
        "",
        "| server | texts/s | vs floor | p50 ms | p99 ms | server CPU ms/text | "
        "CPU vs floor | PG backends CPU ms/text | server CPU util | startup s | "
        "worker RSS MB | conversations (client / DB) | answers (client / DB) | errors | "
        "load gen CPU util |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|",
    ]
    for s in servers:
        is_floor = s["name"].startswith("floor")
        ratio = s["texts_per_s"] / floor_tps if floor_tps else None
        cpu_ratio = s["cpu_ms_per_text"] / floor_cpu if floor_cpu else None
        db = s.get("db")
        if db:
            conv = f"{s['completed']} / {db['completed']}"
            answers = f"{s['answers_acked']} / {db['answers']}"
            ok = s["completed"] == db["completed"] and s["answers_acked"] == db["answers"]
            conv += "" if ok else " MISMATCH"
        else:
            conv, answers = "–", "–"
        if s["closing_missing"] and not is_floor:
            conv += f" ({s['closing_missing']} without closing text)"
        rss = "/".join(f"{r:.0f}" for r in s["worker_rss_mb"])
        lines.append(
            f"| {s['name']} | {fmt(s['texts_per_s'])} | {fmt(ratio, 3)} | {fmt(s['p50_ms'])} | "
            f"{fmt(s['p99_ms'])} | {fmt(s['cpu_ms_per_text'], 2)} | {fmt(cpu_ratio, 1)} | "
            f"{fmt(s['pg_cpu_ms_per_text'], 2)} | {fmt(s['server_cpu_util'], 2)} | "
            f"{fmt(s['startup_s'], 2)} | {rss} | {conv} | {answers} | {s['errors']} | "
            f"{s['client_cpu_util']:.2f} |"
        )
    lines += [
        "",
        "texts/s: texts answered in the counted window; vs floor: texts/s divided by the "
        "mean of the two floor runs (one before, one after cfbot); CPU vs floor: server CPU "
        "per text over the floor's mean (how many times the floor's work a text costs); latency: send to full response, connect included, closed loop "
        f"of {args.phones} phones (so mostly queueing); server CPU: gunicorn master + workers; "
        "server CPU util: CPU-seconds per second; startup: gunicorn start to first 200 on "
        "/healthz; RSS per worker after the run. Conversations: completed ones whose last "
        "TwiML held the closing text (client) and with status completed (DB); answers: "
        "answer texts acknowledged with a 200 (client) and answer rows (DB); load gen CPU "
        "util: CPU-seconds per second of the load generator (well under 1: not the bottleneck).",
    ]
    if opened:
        lines += [
            "",
            f"Open loop at {args.open_fraction:g} of cfbot's peak (the closed-loop texts/s "
            "above): a text sent every 1/rate s whatever the server does, each continuing a "
            "conversation whose last text was answered or starting a new one; latency from "
            "the scheduled send time, connect included; a fresh database per run.",
            "",
            "| server | rate texts/s | answered texts/s | p50 ms | p99 ms | max ms | "
            "server CPU ms/text | server CPU util | max in flight | late sends | "
            "conversations (client / DB) | answers (client / DB) | errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|",
        ]
        for s in opened:
            db = s.get("db") or {}
            conv = f"{s['completed']} / {db.get('completed', '?')}"
            answers = f"{s['answers_acked']} / {db.get('answers', '?')}"
            if s["answers_acked"] != db.get("answers"):
                answers += " MISMATCH"
            lines.append(
                f"| {s['name']} | {fmt(s['rate'])} | {fmt(s['texts_per_s'])} | "
                f"{fmt(s['p50_ms'])} | {fmt(s['p99_ms'])} | {fmt(s['max_ms'])} | "
                f"{fmt(s['cpu_ms_per_text'], 2)} | {fmt(s['server_cpu_util'], 2)} | "
                f"{s['max_in_flight']} | {s['late_sends']} | {conv} | {answers} | "
                f"{s['errors']} |"
            )
    if inproc:
        lines += [
            "",
            f"In-process (Flask test client, {args.phones} conversations after "
            f"{WARMUP_CONVERSATIONS} uncounted, one text at a time, every 4th unhappy), "
            "SQL statements and commits per text from engine events:",
            "",
            "| db | texts | statements/text | commits/text | by kind (per text) | "
            "keyword | answer | last answer | ms/text |",
            "|---|---:|---:|---:|---|---|---|---|---:|",
        ]
        for r in inproc:
            kinds = ", ".join(f"{k} {v:.1f}" for k, v in r["by_kind"].items())

            def step(name: str, r: dict[str, Any] = r) -> str:
                if name not in r["by_step"]:
                    return "–"
                s, c = r["by_step"][name]
                return f"{s:.1f} st / {c:.1f} commits"

            lines.append(
                f"| {r['db']} | {r['texts']} | {r['stmts_per_text']:.1f} | "
                f"{r['commits_per_text']:.2f} | {kinds} | {step('keyword')} | "
                f"{step('answer')} | {step('last answer')} | {r['ms_per_text']:.1f} |"
            )
    return "\n".join(lines) + "\n"


HEADER = """# Webhook benchmark

`python benchmarks/webhook/run.py` (usage in its docstring) runs cfbot's inbound-SMS
webhook under gunicorn next to a "signed floor" (a bare Flask app that only checks the
Twilio signature and returns fixed TwiML) in the same run, with simulated phones each
texting a whole clinic-visit survey. The machine is shared and small, so absolute numbers
are noisy; the headline figure is cfbot's texts/s divided by the floor's from the same run.
"""


def write_results(section: str, body: str) -> None:
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    marker = f"## {section}\n"
    if marker in current:
        head, _, rest = current.partition(marker)
        nxt = rest.find("\n## ")
        tail = rest[nxt + 1 :] if nxt >= 0 else ""
        current = head + marker + "\n" + body.rstrip() + "\n\n" + tail
    else:
        current = current.rstrip() + "\n\n" + marker + "\n" + body.rstrip() + "\n"
    RESULTS.write_text(current.rstrip() + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- main


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--phones", type=int, default=16, help="simulated phones (default 16)")
    p.add_argument("--seconds", type=float, default=20.0, help="counted seconds per server")
    p.add_argument("--warmup", type=float, default=3.0, help="uncounted seconds first")
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--server-cpus", help="taskset CPU list for gunicorn (default: all but last)")
    p.add_argument("--client-cpus", help="taskset CPU list for the load generator (default: last)")
    p.add_argument("--no-inprocess", action="store_true", help="skip the SQL-count mode")
    p.add_argument("--inprocess-only", action="store_true", help="only the SQL-count mode")
    p.add_argument("--profile", action="store_true", help="cProfile the in-process mode")
    p.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    p.add_argument("--heading", default="Before (baseline)", help="RESULTS.md section")
    p.add_argument(
        "--open-fraction",
        type=float,
        default=0.5,
        help="after each cfbot run, an open-loop run at this share of its texts/s (0: none)",
    )
    args = p.parse_args(argv)
    args.argv_for_report = [a for a in argv if a not in {"--no-write", "--profile"}]
    sys.path.insert(0, str(ROOT))
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    t_all = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cfbot-webhook-bench-") as tmp:
        args.workdir = Path(tmp)
        servers = [] if args.inprocess_only else run_servers(args, kinds)
        inproc = []
        if not args.no_inprocess:
            for kind in kinds:
                r = inprocess(kind, args, profile=args.profile)
                inproc.append(r)
                print(
                    f"in-process {kind}: {r['stmts_per_text']:.1f} statements/text, "
                    f"{r['commits_per_text']:.2f} commits/text, {r['by_kind']}, "
                    f"{r['ms_per_text']:.1f} ms/text, {r['completed']}/{r['conversations']} "
                    "completed",
                    flush=True,
                )
                if "profile" in r:
                    print(r["profile"])
    body = render(servers, inproc, args)
    print()
    print(body)
    print(f"total {time.perf_counter() - t_all:.0f} s")
    if not (args.no_write or args.inprocess_only or args.no_inprocess):
        write_results(args.heading, body)
        print(f"wrote {RESULTS.relative_to(ROOT)}")


def run_servers(args: argparse.Namespace, kinds: list[str]) -> list[dict[str, Any]]:
    """The floor, cfbot on each database, the floor again (the machine is shared, so
    cfbot is compared with the mean of a floor run before and one after it)."""
    floor_env = {**os.environ, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "CFBOT_PUBLIC_URL": PUBLIC_URL}
    floor_app = ["--pythonpath", str(HERE), "floor_app:app"]
    servers: list[dict[str, Any]] = []
    print(f"floor (first): {args.phones} phones, {args.seconds:g} s ...", flush=True)
    servers.append(bench_server("floor (first)", floor_app, floor_env, args, 0))
    report(servers[-1], None)
    for i, kind in enumerate(kinds, start=1):
        url, migrate_s = fresh_database(kind, args.workdir)
        print(f"cfbot-{kind}: migrated in {migrate_s:.1f} s, running ...", flush=True)
        row = bench_server(
            f"cfbot-{kind}", ["cfbot.wsgi:app"], cfbot_env(url, args.workdir), args, i * 10**6
        )
        row["db"] = db_counts(url)
        row["migrate_s"] = migrate_s
        servers.append(row)
        report(row, servers[0])
        if args.open_fraction > 0:
            # p99 at a fixed share of the peak just measured, on a fresh database
            rate = args.open_fraction * row["texts_per_s"]
            url, _ = fresh_database(kind, args.workdir)
            print(f"cfbot-{kind}: open loop at {rate:.1f} texts/s ...", flush=True)
            open_row = bench_server(
                f"cfbot-{kind} open loop",
                ["cfbot.wsgi:app"],
                cfbot_env(url, args.workdir),
                args,
                i * 10**6 + 500_000,
                rate=rate,
            )
            open_row["db"] = db_counts(url)
            open_row["peak"] = row["texts_per_s"]
            servers.append(open_row)
            report(open_row, None)
    print("floor (last) ...", flush=True)
    servers.append(bench_server("floor (last)", floor_app, floor_env, args, 0))
    report(servers[-1], None)
    return servers


def report(row: dict[str, Any], floor: dict[str, Any] | None) -> None:
    ratio = f", {row['texts_per_s'] / floor['texts_per_s']:.3f}x first floor" if floor else ""
    print(
        f"  {row['name']}: {row['texts_per_s']:.1f} texts/s{ratio}, p50 {row['p50_ms']:.1f} ms, "
        f"p99 {row['p99_ms']:.1f} ms, CPU {row['cpu_ms_per_text']:.2f} ms/text, "
        f"startup {row['startup_s']:.2f} s, load generator CPU {row['client_cpu_util']:.2f}, errors {row['errors']} {row['first_error']}"
        + (f", completed {row['completed']}, DB {row['db']}" if row.get("db") else ""),
        flush=True,
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_client":
        client_main(sys.argv[2:])
    else:
        main(sys.argv[1:])
