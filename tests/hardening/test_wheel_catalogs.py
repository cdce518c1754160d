"""Finding 12: the built wheel carries the translation catalogs, so an installed cfbot
sends the crisis reply in Spanish (not English)."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

CHECK = """
import cfbot, sys
from cfbot.services.crisis_response import builtin_crisis_reply
assert "site-packages" in cfbot.__file__, cfbot.__file__
from cfbot.services import safety_model
reply = builtin_crisis_reply("es", "")
print(reply)
assert safety_model.load() is not None, "safety_model.json missing from the wheel"
assert safety_model.load_veto() is not None, "safety_veto.json missing from the wheel"
"""


def _site_packages(python: Path) -> str:
    out = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


@pytest.mark.slow
def test_installed_wheel_answers_crisis_in_spanish(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(ROOT)],
        check=True,
        timeout=300,
        cwd=tmp_path,
    )
    (wheel,) = dist.glob("cfbot-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for lang in ("es", "so", "hmn", "vi"):
        assert f"cfbot/locales/{lang}/LC_MESSAGES/messages.po" in names, lang
    assert "cfbot/lexicons/safety_model.json" in names
    assert "cfbot/lexicons/safety_veto.json" in names

    # a fresh venv with the wheel; its dependencies come from the test venv (read-only)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(_site_packages(python))
    deps = _site_packages(Path(sys.executable))
    Path(_site_packages(python), "zz_test_deps.pth").write_text(deps + "\n")
    result = subprocess.run(
        [str(python), "-c", CHECK],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert "llame" in result.stdout or "marque" in result.stdout, result.stdout
    assert "call 911" not in result.stdout
