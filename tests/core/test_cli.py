"""The `cfbot` commands as an admin or developer runs them (real subprocesses)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from proc_env import real_clock_env

ROOT = Path(__file__).resolve().parents[2]
CFBOT = [sys.executable, "-c", "from cfbot.cli import main; main()"]


def run(args: list[str], stdin: str = "", env: dict[str, str] | None = None, cwd: Path = ROOT):
    full_env = {**os.environ, "CFBOT_CONVERSATIONS_DIR": str(ROOT / "conversations"), **(env or {})}
    return subprocess.run(
        CFBOT + args,
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


def test_chat_reads_one_message_per_line_and_prints_bot_lines():
    result = run(
        ["chat", "clinic_visit", "--lang", "es"], stdin="dos\nEsperé mucho\nWIC\n9\nSALTAR\n"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(line.startswith("bot> ") for line in lines)
    assert "satisfecho" in lines[0]
    assert any("Lo sentimos" in line for line in lines)
    assert "Gracias" in lines[-1]


def test_chat_with_unknown_flow_says_which_exist():
    result = run(["chat", "nope"])
    assert result.returncode != 0
    assert "clinic_visit" in result.stderr


def test_flows_check_reports_file_line_col_and_exits_1(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: Bad Id\nname: x\nlanguages: [en]\nquestions: []\n", encoding="utf-8")
    result = run(["flows", "check", "--quiet", str(bad)])
    assert result.returncode == 1
    assert f"{bad}:1:5: error:" in result.stdout


def test_shipped_flows_pass_strict_check_and_their_cases():
    check = run(["flows", "check", "--strict", "conversations/"])
    assert check.returncode == 0, check.stdout
    assert "GSM-7" in check.stdout and "UCS-2" in check.stdout
    cases = run(["flows", "test"])
    assert cases.returncode == 0, cases.stdout
    assert " 0 failed" in cases.stdout


def test_db_upgrade_creates_the_schema(tmp_path):
    url = f"sqlite:///{tmp_path}/x.sqlite3"
    result = run(["db", "upgrade"], env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert "at head" in result.stdout


def test_production_without_secret_key_fails_fast_with_a_clear_message(tmp_path):
    result = run(["db", "upgrade"], env={"CFBOT_ENV": "production", "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_serves_chat_and_sms_simulator_without_credentials(tmp_path):
    port = _free_port()
    shutil.copytree(ROOT / "conversations", tmp_path / "conversations")
    env = {
        **os.environ,
        "CFBOT_CONVERSATIONS_DIR": str(tmp_path / "conversations"),
        "CFBOT_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    for key in ("DATABASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "CFBOT_ENV"):
        env.pop(key, None)
    env = real_clock_env(env)
    proc = subprocess.Popen(
        [*CFBOT, "demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/chat", timeout=2) as r:
                    assert r.status == 200 and "Clinic visit follow-up" in r.read().decode()
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "demo did not start in 30 s"
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/dev/sms", timeout=5) as r:
            assert "SMS simulator" in r.read().decode()
        assert (tmp_path / "instance" / "cfbot.sqlite3").exists()
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=15)
    # SIGTERM stops the demo cleanly: the clock hands its lease back
    assert "Traceback" not in output, output
