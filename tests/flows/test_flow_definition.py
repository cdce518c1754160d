"""Loading and validating flow YAML: every problem with FILE:LINE:COL."""

from __future__ import annotations

import shutil
import time
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

import pytest
from flow_helpers import DATA, flow_from

from cfbot.flow_store import FlowRegistry, load_directory, load_flow
from cfbot.flows.builder import parse_flow
from cfbot.flows.model import Flow, FlowError, Problem, parse_duration
from cfbot.flows.yaml_marks import MAX_FILE_BYTES


def problems(name: str, strict: bool = False) -> list[str]:
    with pytest.raises(FlowError) as info:
        load_flow(DATA / name, strict=strict)
    return [str(p) for p in info.value.problems]


def has(found: list[str], location: str, severity: str, fragment: str) -> bool:
    return any(
        p.startswith(location + ":") and f": {severity}: " in p and fragment in p for p in found
    )


def assert_problem(found: list[str], location: str, severity: str, fragment: str) -> None:
    assert has(found, location, severity, fragment), "\n".join(found)


def rel(name: str) -> str:
    return str(DATA / name)


# --- a good flow -------------------------------------------------------------


def test_minimal_flow_loads_with_defaults() -> None:
    flow = load_flow(DATA / "minimal.yaml")
    assert flow.id == "minimal"
    assert flow.languages == ("en", "es")
    assert flow.expire_after == timedelta(hours=48)
    q = flow.first_question
    assert (q.type, q.min, q.max, q.retries, q.optional, q.line) == ("rating", 1, 5, 2, False, 6)
    assert flow.warnings == ()
    assert len(flow.content_hash) == 64
    assert flow.source_text.startswith("id: minimal")
    assert flow.path.endswith("minimal.yaml")


def test_problem_str_is_file_line_col_severity_message() -> None:
    assert str(Problem("a.yaml", 3, 7, "error", "bad")) == "a.yaml:3:7: error: bad"


def test_full_feature_flow_round_trip() -> None:
    flow = flow_from(
        """
id: full
name: Full
description: all the keys
languages: [en, es]
translations: {es: machine}
keywords: {en: [Feedback, "rate us"], es: "OPINIÓN"}
expire_after: 1d12h
reminder: {after: 2h, text: {en: "Hi again", es: "Hola otra vez"}}
invitation:
  delay: 30m
  quiet_hours: {start: "08:00", end: 21:00}
  frequency_cap: 7d
  if_busy: wait
sites: [northside, east-side]
settings: {dashboard: {color: blue}}
questions:
  - id: nps
    type: nps
    text: {en: "0-10?", es: "¿0-10?"}
    next: pick
  - id: pick
    type: choice
    show_choices: false
    retries: 0
    reprompt: {en: "Pick one", es: "Elija uno"}
    text: {en: "Pick 1 or 2", es: "Elija 1 o 2"}
    choices:
      - {value: "no", text: {en: "No", es: "No"}}
      - {value: other, text: {en: "Other", es: "Otro"}}
closing: {text: {en: "Bye {first_name}", es: "Adiós"}}
alerts:
  - when: "nps <= 6"
    severity: urgent
    reason: detractor
"""
    )
    assert flow.expire_after == timedelta(days=1, hours=12)
    assert flow.reminder is not None and flow.reminder.after == timedelta(hours=2)
    assert flow.invitation is not None
    assert flow.invitation.quiet_hours == (clock(8, 0), clock(21, 0))
    assert flow.invitation.if_busy == "wait"
    assert flow.invitation.frequency_cap == timedelta(days=7)
    assert flow.sites == ("northside", "east-side")
    assert flow.settings["dashboard"] == {"color": "blue"}
    assert flow.translation_review == {"es": "machine"}
    assert not flow.is_reviewed("es") and flow.is_reviewed("en")
    nps = flow.question("nps")
    assert nps is not None and (nps.min, nps.max) == (0, 10)
    assert [b.goto for b in nps.next] == ["pick"]
    pick = flow.question("pick")
    assert pick is not None and pick.choices[0].value == "no"  # YAML 1.1 would say False
    assert flow.render_question(pick, "en", {}) == "Pick 1 or 2"
    assert flow.alerts[0].severity == "urgent" and flow.alerts[0].source == "nps <= 6"
    assert flow.matching_keyword("  rate US ") == "en"
    assert flow.matching_keyword("opinion!") == "es"
    assert flow.matching_keyword("OPINIÓN") == "es"
    assert flow.matching_keyword("feedback please") is None
    assert flow.text(flow.closing, "en", {"first_name": "Ana"}) == "Bye Ana"
    assert flow.text(flow.closing, "en", {}) == "Bye"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("48h", timedelta(hours=48)),
        ("30m", timedelta(minutes=30)),
        ("2d", timedelta(days=2)),
        ("90s", timedelta(seconds=90)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        (" 1H ", timedelta(hours=1)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "h", "1.5h", "30m1h", "soon", "10 minutes", "-1h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


# --- each problem type, with its location ------------------------------------


def test_unknown_keys_are_errors_with_a_suggestion() -> None:
    found = problems("unknown_key.yaml")
    assert_problem(
        found, rel("unknown_key.yaml") + ":6:5", "error", "unknown key 'txt'; did you mean 'text'?"
    )
    assert_problem(
        found, rel("unknown_key.yaml") + ":10:1", "error", "did you mean 'expire_after'?"
    )


def test_goto_unknown_id() -> None:
    found = problems("bad_goto.yaml")
    assert_problem(
        found,
        rel("bad_goto.yaml") + ":9:15",
        "error",
        "goto 'secnd' is not a question id; did you mean 'second'?",
    )


def test_unreachable_question_is_a_warning_and_an_error_when_strict() -> None:
    flow = load_flow(DATA / "unreachable.yaml")
    assert [str(w) for w in flow.warnings] == [
        f"{rel('unreachable.yaml')}:8:1: warning: question 'orphan' can never be reached"
    ]
    assert_problem(
        problems("unreachable.yaml", strict=True),
        rel("unreachable.yaml") + ":8:1",
        "error",
        "never be reached",
    )


def test_loop_without_a_way_out_is_an_error() -> None:
    found = problems("dead_loop.yaml")
    assert_problem(
        found, rel("dead_loop.yaml") + ":7:1", "error", "'second' can never reach the end"
    )
    assert_problem(
        found, rel("dead_loop.yaml") + ":11:1", "error", "'third' can never reach the end"
    )


def test_loop_with_a_way_out_is_allowed() -> None:
    flow = load_flow(DATA / "loop_with_exit.yaml")
    assert flow.warnings == ()


def test_invalid_expressions_point_at_the_column_inside_the_condition() -> None:
    found = problems("bad_expr.yaml")
    # line 8 is `      - when: "first <= 2 and __import__('os')"`; __import__ starts at col 31
    assert_problem(found, rel("bad_expr.yaml") + ":8:31", "error", "unknown function '__import__'")
    assert_problem(
        found, rel("bad_expr.yaml") + ":11:18", "error", "alert when: condition ends too early"
    )


def test_duplicate_and_badly_formed_ids() -> None:
    found = problems("duplicate_ids.yaml")
    assert_problem(
        found, rel("duplicate_ids.yaml") + ":7:5", "error", "duplicate question id 'same'"
    )
    assert_problem(found, rel("duplicate_ids.yaml") + ":10:9", "error", "'Bad-Id' may only use")


def test_wrong_types_are_all_reported() -> None:
    found = problems("bad_types.yaml")
    name = rel("bad_types.yaml")
    assert_problem(found, name + ":3:15", "error", "'soon' is not a duration")
    assert_problem(found, name + ":7:14", "error", "retries must be a whole number")
    assert_problem(found, name + ":8:10", "error", "min must be a whole number")
    assert_problem(found, name + ":9:15", "error", "optional must be true or false")
    assert_problem(found, name + ":12:11", "error", "unknown type 'multiple'")
    assert len(found) == 5


def test_limits_and_rating_scale() -> None:
    found = problems("limits.yaml")
    name = rel("limits.yaml")
    assert_problem(found, name + ":4:5", "error", "at most 11 points")
    assert_problem(found, name + ":8:14", "error", "retries must be 0 to 5")
    assert_problem(found, name + ":10:5", "error", "min (5) must be less than max (1)")
    assert_problem(found, name + ":17:5", "error", "info question cannot be optional")


def test_text_longer_than_640_characters() -> None:
    assert_problem(
        problems("long_text.yaml"),
        rel("long_text.yaml") + ":6:16",
        "error",
        "700 characters long (max 640)",
    )


def test_missing_translation_is_a_warning_and_bad_review_state_an_error() -> None:
    found = problems("translations.yaml")
    name = rel("translations.yaml")
    assert_problem(found, name + ":3:36", "error", "translations (so) must be one of")
    assert_problem(found, name + ":8:7", "warning", "missing translation for so")


def test_missing_translation_alone_loads_with_a_warning_but_fails_strict() -> None:
    text = "id: t\nlanguages: [en, es]\nquestions:\n  - id: a\n    type: text\n    text: {en: Hi}\n"
    flow = parse_flow(text, "t.yaml")
    assert [str(w) for w in flow.warnings] == [
        "t.yaml:6:11: warning: question 'a' text: missing translation for es"
    ]
    with pytest.raises(FlowError) as info:
        parse_flow(text, "t.yaml", strict=True)
    assert str(info.value.problems[0]).startswith("t.yaml:6:11: error:")


def test_languages_outside_the_supported_set() -> None:
    found = problems("bad_language.yaml")
    name = rel("bad_language.yaml")
    assert_problem(found, name + ":2:17", "error", "unsupported language 'fr'")
    assert_problem(found, name + ":6:28", "error", "unsupported language 'de'")


def test_references_unknown_not_yet_answered_and_choice_values() -> None:
    found = problems("refs.yaml")
    name = rel("refs.yaml")
    assert_problem(found, name + ":8:15", "warning", "'later', which cannot have been answered yet")
    assert_problem(found, name + ":10:15", "error", "unknown question 'nothere'")
    assert_problem(
        found, name + ":19:15", "warning", "'dental' is not one of 'kind''s values (shots, wic)"
    )
    assert_problem(found, name + ":25:11", "warning", "sentiment(first) is only scored for text")


def test_unknown_placeholder() -> None:
    assert_problem(
        problems("placeholders.yaml"),
        rel("placeholders.yaml") + ":6:16",
        "error",
        "unknown placeholder {clinic}",
    )


def test_yaml_syntax_error_has_a_location() -> None:
    assert_problem(
        problems("syntax_error.yaml"),
        rel("syntax_error.yaml") + ":7:3",
        "error",
        "YAML syntax error",
    )


def test_tabs_in_indentation_get_a_clear_message() -> None:
    assert_problem(
        problems("tabs.yaml"), rel("tabs.yaml") + ":5:1", "error", "tab character in indentation"
    )


def test_non_utf8_file_is_rejected_with_position() -> None:
    assert_problem(problems("latin1.yaml"), rel("latin1.yaml") + ":6:17", "error", "not UTF-8")


def test_billion_laughs_fails_fast() -> None:
    started = time.monotonic()
    found = problems("bomb.yaml")
    assert time.monotonic() - started < 10  # a hang guard, not a speed goal
    assert_problem(found, rel("bomb.yaml") + ":2:8", "error", "aliases (*a) are not allowed")


def test_ten_megabyte_file_fails_fast_without_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"id: big\n" + b"# padding padding padding padding\n" * 320_000)
    assert big.stat().st_size > 10_000_000
    started = time.monotonic()
    with pytest.raises(FlowError) as info:
        load_flow(big)
    assert time.monotonic() - started < 10  # a hang guard, not a speed goal
    assert "too large" in str(info.value.problems[0])
    with pytest.raises(FlowError, match="too large"):
        parse_flow(b"x" * (MAX_FILE_BYTES + 1), "big.yaml")


def test_many_nodes_without_aliases_are_capped_quickly() -> None:
    text = "id: x\nlanguages: [en]\nsettings: {a: [" + ",".join(["1"] * 60_000) + "]}\n"
    started = time.monotonic()
    with pytest.raises(FlowError, match="too many YAML nodes|too large"):
        parse_flow(text[: MAX_FILE_BYTES - 10] + "]}\n", "many.yaml")
    assert time.monotonic() - started < 10  # a hang guard, not a speed goal


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("", "file is empty"),
        ("- just\n- a list\n", "flow must be a mapping"),
        ("id: x\n", "missing required key 'languages'"),
        ("id: x\nlanguages: []\nquestions: []\n", "at least one language"),
        ("id: x\nlanguages: [en, en]\nquestions: []\n", "listed twice"),
        (
            "id: X Y\nlanguages: [en]\nquestions: [{id: a, type: text, text: {en: hi}}]\n",
            "may only use",
        ),
        (
            "id: x\nid: y\nlanguages: [en]\nquestions: [{id: a, type: text, text: {en: hi}}]\n",
            "duplicate key 'id'",
        ),
        (
            "id: x\nlanguages: [en]\nquestions: [{id: a, type: text, text: hi}]\n",
            "mapping of language to text",
        ),
        (
            "id: x\nlanguages: [en]\nquestions: [{id: a, type: yesno, min: 1, text: {en: hi}}]\n",
            "only applies to rating",
        ),
        (
            "id: x\nlanguages: [en]\nquestions: [{id: a, type: nps, max: 5, text: {en: hi}}]\n",
            "only applies to rating",
        ),
        (
            "id: x\nlanguages: [en]\nquestions: [{id: a, type: choice, text: {en: hi}}]\n",
            "needs 'choices'",
        ),
        (
            "id: x\nlanguages: [en]\nquestions: [{id: a, type: choice, text: {en: hi}, choices: [{value: a, text: {en: A}}]}]\n",
            "at least 2 choices",
        ),
        (
            "id: x\nlanguages: [en]\nquestions: [{id: a, type: choice, text: {en: hi}, choices: [{value: a, text: {en: A}}, {value: A, text: {en: B}}]}]\n",
            "duplicate choice value",
        ),
        (
            "id: x\nlanguages: [en]\nquestions: [{id: a, type: info, text: {en: hi}, reprompt: {en: again}}]\n",
            "takes no answer",
        ),
        (
            "id: x\nlanguages: [en]\nquestions: [{id: end, type: text, text: {en: hi}}]\n",
            "reserved",
        ),
        (
            "id: x\nlanguages: [en]\nkeywords: {en: [STOP]}\nquestions: [{id: a, type: text, text: {en: hi}}]\n",
            "reserved for opt-out",
        ),
        (
            "id: x\nlanguages: [en, es]\nkeywords: {en: [HOLA], es: [hola]}\nquestions: [{id: a, type: text, text: {en: hi, es: hola}}]\n",
            "must pick one language",
        ),
        (
            "id: x\nlanguages: [en]\nkeywords: {es: [HOLA]}\nquestions: [{id: a, type: text, text: {en: hi}}]\n",
            "not in this flow's languages",
        ),
        (
            "id: x\nlanguages: [en]\nexpire_after: 90d\nquestions: [{id: a, type: text, text: {en: hi}}]\n",
            "between 1m and 30d",
        ),
        (
            "id: x\nlanguages: [en]\nreminder: {text: {en: hi}}\nquestions: [{id: a, type: text, text: {en: hi}}]\n",
            "missing required key 'after'",
        ),
        (
            "id: x\nlanguages: [en]\nalerts: [{severity: high}]\nquestions: [{id: a, type: text, text: {en: hi}}]\n",
            "missing required key 'when'",
        ),
        (
            "id: x\nlanguages: [en]\nalerts: [{when: 'a <= 1', severity: huge}]\nquestions: [{id: a, type: rating, text: {en: hi}}]\n",
            "severity must be one of",
        ),
        (
            "id: x\nlanguages: [en]\nalerts: [{when: 'b <= 1'}]\nquestions: [{id: a, type: rating, text: {en: hi}}]\n",
            "unknown question 'b'",
        ),
        (
            "id: x\nlanguages: [en]\ninvitation: {if_busy: maybe}\nquestions: [{id: a, type: text, text: {en: hi}}]\n",
            "skip or wait",
        ),
        (
            "id: x\nlanguages: [en]\ninvitation: {quiet_hours: {start: '25:00', end: '08:00'}}\nquestions: [{id: a, type: text, text: {en: hi}}]\n",
            "must be a time",
        ),
        (
            "id: x\nlanguages: [en]\ninvitation: {quiet_hours: {start: '08:00'}}\nquestions: [{id: a, type: text, text: {en: hi}}]\n",
            "needs both start and end",
        ),
        (
            "id: x\nlanguages: [en]\ninvitation: {delay: later}\nquestions: [{id: a, type: text, text: {en: hi}}]\n",
            "not a duration",
        ),
        (
            "id: x\nlanguages: [en]\nsites: [North Side]\nquestions: [{id: a, type: text, text: {en: hi}}]\n",
            "site 'North Side'",
        ),
        (
            "id: x\nlanguages: [en]\nquestions: [{id: a, type: text, text: {en: ''}}]\n",
            "must not be empty",
        ),
        (
            "id: x\nlanguages: [en]\nquestions: [{id: a, type: text, text: {en: hi}, next: [{when: 'a == 1'}]}]\n",
            "needs 'goto'",
        ),
    ],
)
def test_validation_messages(body: str, fragment: str) -> None:
    with pytest.raises(FlowError) as info:
        parse_flow(body, "x.yaml")
    text = "\n".join(map(str, info.value.problems))
    assert fragment in text
    assert all(str(p).startswith("x.yaml:") for p in info.value.problems)


def test_too_many_questions_and_choices() -> None:
    questions = "".join(f"  - {{id: q{i}, type: text, text: {{en: hi}}}}\n" for i in range(51))
    with pytest.raises(FlowError, match="too many questions"):
        parse_flow(f"id: x\nlanguages: [en]\nquestions:\n{questions}", "x.yaml")
    choices = ", ".join(f"{{value: c{i}, text: {{en: C{i}}}}}" for i in range(21))
    with pytest.raises(FlowError, match="too many choices"):
        parse_flow(
            f"id: x\nlanguages: [en]\nquestions: [{{id: a, type: choice, text: {{en: hi}}, choices: [{choices}]}}]\n",
            "x.yaml",
        )


def test_reminder_after_expiry_is_a_warning() -> None:
    flow = parse_flow(
        "id: x\nlanguages: [en]\nexpire_after: 1h\nreminder: {after: 2h}\n"
        "questions: [{id: a, type: text, text: {en: hi}}]\n",
        "x.yaml",
    )
    assert "never sent" in str(flow.warnings[0])


def test_every_problem_is_reported_not_just_the_first() -> None:
    with pytest.raises(FlowError) as info:
        parse_flow(
            "id: Bad\nlanguages: [en, xx]\nquestions:\n  - {id: a, type: nope, text: {en: hi}}\n"
            "  - {id: b, type: rating, retries: 9, text: {en: hi}}\n",
            "x.yaml",
        )
    assert len(info.value.problems) >= 4


# --- placeholders and text -----------------------------------------------------


def test_placeholders_are_filled_and_missing_ones_never_raise() -> None:
    flow = flow_from(
        "id: x\nlanguages: [en, es]\nquestions:\n"
        "  - id: a\n    type: text\n"
        "    text: {en: 'Hi {first_name}, how was {site} ({program}, {agency})? {{literal}}', es: 'Hola {first_name}.'}\n"
    )
    q = flow.first_question
    full = {"first_name": "Ana", "site": "Northside", "program": "WIC", "agency": "County"}
    assert flow.text(q, "en", full) == "Hi Ana, how was Northside (WIC, County)? {literal}"
    assert (
        flow.text(q, "en", {})
        == "Hi, how was our clinic (our program, the health department)? {literal}"
    )
    assert flow.text(q, "es", None) == "Hola."
    # unsupported language falls back to the first language
    assert flow.text(q, "vi", {"first_name": "Ana"}).startswith("Hi Ana")


def test_placeholder_values_cannot_reach_attributes() -> None:
    flow = flow_from(
        "id: x\nlanguages: [en]\nquestions: [{id: a, type: text, text: {en: 'Hi {first_name}'}}]\n"
    )
    assert (
        flow.text(flow.first_question, "en", {"first_name": "{site.__class__}"})
        == "Hi {site.__class__}"
    )


def test_resolve_language() -> None:
    flow = load_flow(DATA / "minimal.yaml")
    assert flow.resolve_language("es-MX") == "es"
    assert flow.resolve_language("so") == "en"
    assert flow.resolve_language(None) == "en"


# --- directories and the registry ------------------------------------------------


def _copy(src: str, dest: Path, name: str | None = None) -> Path:
    target = dest / (name or src)
    shutil.copy(DATA / src, target)
    return target


def test_load_directory_skips_routing_and_subfolders_and_checks_uniqueness(tmp_path: Path) -> None:
    _copy("minimal.yaml", tmp_path, "a.yaml")
    _copy("minimal.yaml", tmp_path, "b.yml")  # same id and keywords
    (tmp_path / "c.yaml").write_text(
        (DATA / "minimal.yaml")
        .read_text()
        .replace("id: minimal", "id: other")
        .replace("MINIMO", "OTRO")
    )
    _copy("bad_goto.yaml", tmp_path)
    (tmp_path / "routing.yaml").write_text("sites: {}\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "x.yaml").write_text("flow: minimal\n")
    flow_set = load_directory(tmp_path)
    assert list(flow_set.flows) == ["minimal"]
    assert flow_set.flows["minimal"].path.endswith("a.yaml")
    messages = [str(p) for p in flow_set.problems]
    assert any("b.yml:1:1: error: flow id 'minimal' is already used" in m for m in messages)
    assert any(
        "c.yaml:4:1: error: keyword 'MINI' is already used by flow 'minimal'" in m for m in messages
    )
    assert any("bad_goto.yaml:9:15" in m for m in messages)
    assert not any("routing" in m or "tests" in m for m in messages)
    assert flow_set.by_keyword("mini")[1] == "en"  # type: ignore[index]
    assert flow_set.by_keyword("mínimo")[1] == "es"  # type: ignore[index]


def test_registry_keeps_the_last_good_version(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _copy("minimal.yaml", tmp_path)
    registry = FlowRegistry(tmp_path)
    good = registry.get("minimal")
    assert isinstance(good, Flow) and registry.problems == []
    path.write_text(path.read_text().replace("type: rating", "type: ratin"))
    problems_found = registry.reload()
    assert registry.get("minimal") is good
    assert any("unknown type 'ratin'" in str(p) for p in problems_found)
    assert registry.problems == problems_found
    assert "keeping the previous version" in caplog.text
    path.write_text(
        path.read_text().replace("type: ratin", "type: text").replace("Rate us", "Tell us")
    )
    registry.reload()
    fixed = registry.get("minimal")
    assert fixed is not None and fixed is not good and fixed.first_question.type == "text"
    assert registry.problems == []
    assert registry.by_keyword("MINIMO") == (fixed, "es")
    assert registry.all() == [fixed]
    path.unlink()
    registry.reload()
    assert registry.get("minimal") is None


def test_registry_does_not_load_a_new_broken_file(tmp_path: Path) -> None:
    _copy("bad_goto.yaml", tmp_path)
    registry = FlowRegistry(tmp_path)
    assert registry.all() == []
    assert registry.problems


def test_registry_new_version_with_clashing_keyword_falls_back(tmp_path: Path) -> None:
    a = _copy("minimal.yaml", tmp_path, "a.yaml")
    b = tmp_path / "b.yaml"
    b.write_text(
        (DATA / "minimal.yaml")
        .read_text()
        .replace("id: minimal", "id: other")
        .replace("MINI]", "OTHER]")
        .replace("MINIMO", "OTRO")
    )
    registry = FlowRegistry(tmp_path)
    old_b = registry.get("other")
    assert old_b is not None and registry.get("minimal") is not None
    b.write_text(b.read_text().replace("OTHER]", "MINI]"))  # now clashes with a.yaml
    registry.reload()
    assert registry.get("other") is old_b
    assert any("already used" in str(p) for p in registry.problems)
    assert a.exists()


def test_invitation_fields_left_out_are_none() -> None:
    flow = flow_from(
        "id: x\nlanguages: [en]\ninvitation: {delay: 2h}\nquestions: [{id: a, type: text, text: {en: hi}}]\n"
    )
    assert flow.invitation is not None
    assert (flow.invitation.delay, flow.invitation.quiet_hours, flow.invitation.if_busy) == (
        timedelta(hours=2),
        None,
        None,
    )
