"""Printables: the poster PDF carries a QR code that decodes to the site's chat link and
the keyword with the site code in five languages; QR codes for visit links."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from cfbot.cli import cli

ROOT = Path(__file__).resolve().parents[2]


class _Runner:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def invoke(self, args: list[str]):  # type: ignore[no-untyped-def]
        return self.runner.invoke(cli, args)


@pytest.fixture
def runner(settings, monkeypatch) -> _Runner:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CFBOT_CONVERSATIONS_DIR", str(ROOT / "conversations"))
    monkeypatch.setenv("CFBOT_PUBLIC_URL", "https://feedback.example.org")
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "+16125550000")
    return _Runner()


def _decode(image) -> list[str]:  # type: ignore[no-untyped-def]
    import zxingcpp

    return [r.text for r in zxingcpp.read_barcodes(image)]


def test_poster_pdf_has_a_qr_code_to_the_sites_chat_and_keywords(runner, tmp_path: Path):
    import pypdfium2

    out = tmp_path / "northside.pdf"
    result = runner.invoke(args=["links", "poster", "--site", "northside", "--out", str(out)])
    assert result.exit_code == 0, result.output
    pdf = pypdfium2.PdfDocument(str(out))
    assert len(pdf) == 1
    page = pdf[0]
    text = page.get_textpage().get_text_range()
    for word in ("FEEDBACK N", "COMENTARIOS N", "FIKRAD N", "TSWVYIM N", "GOPY N"):
        assert word in text
    assert "Northside Clinic" in text and "Cuéntenos sobre su visita" in text
    image = page.render(scale=2).to_pil()
    assert _decode(image) == ["https://feedback.example.org/chat?site=northside"]


def test_poster_for_an_unknown_site_or_a_bad_file_name_is_refused(runner, tmp_path: Path):
    r = runner.invoke(args=["links", "poster", "--site", "mars", "--out", str(tmp_path / "p.pdf")])
    assert r.exit_code != 0 and "unknown site" in r.output
    r = runner.invoke(args=["links", "poster", "--site", "northside", "--out", "p.png"])
    assert r.exit_code != 0 and ".pdf" in r.output


def test_qr_png_and_svg(runner, tmp_path: Path):
    from PIL import Image

    png = tmp_path / "q.png"
    r = runner.invoke(args=["links", "qr", "--site", "southside", "--out", str(png)])
    assert r.exit_code == 0, r.output
    assert _decode(Image.open(io.BytesIO(png.read_bytes()))) == [
        "https://feedback.example.org/chat?site=southside"
    ]
    svg = tmp_path / "q.svg"
    assert (
        runner.invoke(args=["links", "qr", "--site", "southside", "--out", str(svg)]).exit_code == 0
    )
    assert svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()
    bad = runner.invoke(
        args=["links", "qr", "--site", "southside", "--out", str(tmp_path / "q.gif")]
    )
    assert bad.exit_code != 0 and ".png or .svg" in bad.output
    assert runner.invoke(args=["links", "qr", "--out", str(png)]).exit_code != 0
