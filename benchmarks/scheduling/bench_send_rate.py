"""Achieved send rate against the fake Twilio at 1, 10 and 100 segments per second.

    python benchmarks/scheduling/bench_send_rate.py [RATES ...] [--seconds 12]

For each rate, queues enough one-segment messages (plus a few two-segment ones) for
about ``--seconds`` of sending, runs ``dispatch_outbox`` with the real clock against the
fake Twilio REST server (the real twilio client over HTTP on loopback), and measures
when each request left. Achieved rate = segments sent before the last message divided by
the time from the first send to the last (so N sends at exactly the limit score 100%).
Target: within 5% of the limit and never above it.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime

from _common import ROOT, append_result, fresh_url, phones, runtime

sys.path.insert(0, str(ROOT / "tests" / "sms"))

from fake_twilio import FakeTwilio  # noqa: E402

from cfbot.channels.twilio_sms import TwilioSmsChannel  # noqa: E402
from cfbot.db import unit_of_work  # noqa: E402
from cfbot.services.conversation import get_or_create_contact, queue_message  # noqa: E402
from cfbot.services.outbox import dispatch_outbox  # noqa: E402

NOON = datetime(2025, 7, 12, 17, 0, tzinfo=UTC)  # midday in every US zone


class Timed:
    """Wraps the channel and notes when each request leaves (monotonic seconds)."""

    def __init__(self, inner: TwilioSmsChannel) -> None:
        self.inner = inner
        self.name = inner.name
        self.times: list[float] = []

    def send(self, address: str, text: str, *, message_id: int | None = None):  # type: ignore[no-untyped-def]
        self.times.append(time.monotonic())
        return self.inner.send(address, text, message_id=message_id)


def run(rate: float, seconds: float) -> tuple[int, int, float, float]:
    url = fresh_url("sqlite")
    assert url is not None  # SQLite is always there
    rt = runtime(url, sms_segments_per_second=rate)
    fake = FakeTwilio("ACbench", "secret")
    channel = Timed(
        TwilioSmsChannel(
            "ACbench", "secret", from_number="+16125550000", api_base_url=fake.base_url
        )
    )
    rt.channels["sms"] = channel
    count = max(5, int(rate * seconds))
    segments: list[int] = []
    with unit_of_work(rt.engine) as s:
        for i, phone in enumerate(phones(count, seed=int(rate))):
            contact = get_or_create_contact(s, "sms", phone, NOON)
            text = "How was your visit? Reply 1 to 5." if i % 10 else "x" * 200  # 10%: 2 segments
            m = queue_message(s, contact, "sms", text, kind="question", now=NOON)
            segments.append(m.segments or 1)
    sent = 0
    while sent < count:
        report = dispatch_outbox(rt, NOON, budget_seconds=5.0)
        sent += report.sent
        if report.sent == 0 and report.retried == 0:
            break
    fake.close()
    times = channel.times
    # segments of every message but the last, over the time between first and last send
    seg_before_last = sum(segments[: len(times) - 1])
    elapsed = times[-1] - times[0]
    return len(times), sum(segments), seg_before_last / elapsed, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rates", nargs="*", type=float, default=[1.0, 10.0, 100.0])
    parser.add_argument("--seconds", type=float, default=12.0)
    args = parser.parse_args()
    lines = [
        f"Fake Twilio on loopback, real twilio client, SQLite outbox, ~{args.seconds:g} s per rate, "
        "10% of messages are 2 segments:",
        "",
        "| limit seg/s | messages | segments | seconds | achieved seg/s | of limit |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for rate in args.rates:
        n, segs, achieved, elapsed = run(rate, args.seconds)
        line = (
            f"| {rate:g} | {n:,} | {segs:,} | {elapsed:.1f} | {achieved:.2f} | "
            f"{achieved / rate * 100:.1f}% |"
        )
        print(line, flush=True)
        lines.append(line)
    append_result("Send rate", "\n".join(lines))


if __name__ == "__main__":
    main()
