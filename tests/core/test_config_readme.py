"""The README's configuration table lists every setting, by its environment variable."""

from __future__ import annotations

import re
from pathlib import Path

from cfbot.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def _env_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        names.add(str(choices[0]) if choices else f"CFBOT_{name.upper()}")
    return names


def _readme_names() -> set[str]:
    text = README.read_text(encoding="utf-8")
    table = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


def test_every_setting_is_in_the_readme_table() -> None:
    missing = sorted(_env_names() - _readme_names())
    assert not missing, f"add to the README configuration table: {missing}"


def test_the_readme_table_names_no_unknown_variable() -> None:
    unknown = sorted(_readme_names() - _env_names())
    assert not unknown, f"README lists variables Settings does not read: {unknown}"
