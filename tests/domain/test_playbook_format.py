"""Playbook import and export in Mattermost's format (version 1), as JSON and as YAML."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.errors import DomainError, ValidationProblem
from bot.domain.playbook import (
    AssigneeType,
    ChecklistItemTemplate,
    ChecklistTemplate,
    Metric,
    MetricType,
    Playbook,
)
from bot.domain.playbook_rules import MAX_INTERVAL, validate_playbook
from bot.domain.playbook_settings import (
    CategorySettings,
    ChannelMode,
    KeywordSettings,
    RetrospectiveSettings,
    RunChannelSettings,
    RunSummarySettings,
    StatusUpdateSettings,
    WelcomeMessageSettings,
)
from bot.domain.schedules import FileSchedule
from bot.playbook_export import export_playbook
from bot.playbook_format import (
    MAX_DOCUMENT_BYTES,
    DocumentFormat,
    PlaybookFormatError,
    PlaybookImportError,
    dump_document,
    import_playbook,
    parse_document,
)
from tests.paths import PLAYBOOK_TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = PLAYBOOK_TEMPLATES
STARTERS = sorted((ROOT / "bot" / "starter_playbooks").glob("*.yaml"))


def template_paths() -> list[Any]:
    if not TEMPLATES.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{TEMPLATES} is not present"))]
    return [pytest.param(path, id=path.stem) for path in sorted(TEMPLATES.glob("*.json"))]


def differences(expected: object, actual: object, path: str = "") -> list[str]:
    """Each field where ``actual`` differs from ``expected``, by document path."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found: list[str] = []
        for key in sorted(expected.keys() | actual.keys()):
            child = f"{path}.{key}" if path else key
            if key not in actual:
                found.append(f"{child}: missing (expected {expected[key]!r})")
            elif key not in expected:
                found.append(f"{child}: unexpected {actual[key]!r}")
            else:
                found += differences(expected[key], actual[key], child)
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        found = (
            [] if len(expected) == len(actual) else [f"{path}: {len(expected)} elements, got {len(actual)}"]
        )
        for index, (left, right) in enumerate(zip(expected, actual, strict=False)):
            found += differences(left, right, f"{path}[{index}]")
        return found
    same = expected == actual and type(expected) is type(actual)
    return [] if same else [f"{path}: expected {expected!r}, got {actual!r}"]


def import_doc(doc: dict[str, Any]) -> Playbook:
    result = import_playbook(doc, team_id="team1", importer_id="alice")
    assert result.warnings == ()
    return result.playbook


def problems_of(doc: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(PlaybookImportError) as raised:
        import_playbook(doc, team_id="team1", importer_id="alice")
    return {problem.field: problem.message for problem in raised.value.problems}


def warnings_of(doc: dict[str, Any]) -> tuple[str, ...]:
    return import_playbook(doc, team_id="team1", importer_id="alice").warnings


# The shared templates -------------------------------------------------------------------------


@pytest.mark.parametrize("path", template_paths())
def test_template_imports_without_warnings_and_exports_back_field_by_field(path: Path) -> None:
    original = parse_document(path.read_text(), path.name)
    result = import_playbook(original, team_id="team1", importer_id="alice", playbook_id="pb1")
    assert result.warnings == ()
    assert validate_playbook(result.playbook) == []
    assert differences(original, export_playbook(result.playbook)) == []


@pytest.mark.parametrize("path", template_paths())
def test_template_json_is_reproduced_byte_for_byte(path: Path) -> None:
    text = path.read_text()
    assert dump_document(export_playbook(import_doc(parse_document(text, "json"))), "json") == text


@pytest.mark.parametrize("path", template_paths())
def test_template_survives_a_yaml_round_trip(path: Path) -> None:
    imported = import_doc(parse_document(path.read_text(), path.name))
    yaml_text = dump_document(export_playbook(imported), "yaml")
    assert import_doc(parse_document(yaml_text, "playbook.yaml")) == imported


def test_incident_template_maps_onto_the_model() -> None:
    path = TEMPLATES / "incident_resolution_template_playbook.json"
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    imported = import_doc(parse_document(path.read_text(), path.name))
    assert (imported.team_id, imported.public, imported.member_ids, imported.admin_ids) == (
        "team1",
        True,
        ("alice",),
        ("alice",),
    )
    assert [len(checklist.items) for checklist in imported.checklists] == [6, 1, 3, 4]
    assert imported.checklists[0].items[1].command == "/zoom start"
    assert imported.channel.channel_name_template == "Incident: <name>"
    assert imported.channel.mode is ChannelMode.CREATE_NEW_CHANNEL
    assert imported.status_updates.reminder_timer_default_seconds == 86400
    assert imported.keywords == KeywordSettings(
        ("sev-2", "#incident", "this is serious", "sev-1"), enabled=True
    )
    assert imported.retrospective.reminder_interval_seconds == 86400
    # Left out of the export, so off.
    assert imported.create_channel_member_on_new_participant is False


# Starter playbooks ----------------------------------------------------------------------------


def test_there_are_starter_playbooks() -> None:
    assert {path.name for path in STARTERS} >= {"incident-response.yaml", "release.yaml", "onboarding.yaml"}


@pytest.mark.parametrize("path", STARTERS, ids=lambda path: path.stem)
def test_starter_playbook_imports_cleanly_and_round_trips(path: Path) -> None:
    imported = import_doc(parse_document(path.read_text(), path.name))
    assert imported.checklists
    again = parse_document(dump_document(export_playbook(imported), "yaml"), "yaml")
    assert import_doc(again) == imported


# Import rules ---------------------------------------------------------------------------------


def test_a_missing_field_means_off_empty_or_zero() -> None:
    imported = import_doc({"version": 1, "title": "Bare"})
    assert imported == Playbook(
        id="", team_id="team1", title="Bare", public=True, member_ids=("alice",), admin_ids=("alice",)
    )


def test_nulls_read_as_missing() -> None:
    doc = {"version": 1, "title": "T", "description": None, "metrics": None, "status_update_enabled": None}
    assert import_doc(doc).description == ""


def test_every_exported_setting_is_imported() -> None:
    doc = {
        "version": 1,
        "title": "Everything",
        "description": "d",
        "channel_mode": "link_existing_channel",
        "channel_id": "ch1",
        "channel_name_template": "Run <name>",
        "run_number_prefix": " -INC- ",
        "run_summary_template_enabled": True,
        "run_summary_template": "summary",
        "message_on_join_enabled": True,
        "message_on_join": "hi",
        "status_update_enabled": True,
        "reminder_timer_default_seconds": 600,
        "reminder_message_template": "update",
        "retrospective_enabled": True,
        "retrospective_reminder_interval_seconds": 60,
        "retrospective_template": "retro",
        "signal_any_keywords_enabled": True,
        "signal_any_keywords": ["a"],
        "categorize_channel_enabled": True,
        "category_name": "Runs",
        "create_channel_member_on_new_participant": True,
        "remove_channel_member_on_removed_participant": True,
        "auto_archive_channel": True,
        "owner_group_only_actions": True,
        "checklists": [
            {
                "title": "c",
                "items": [
                    {
                        "title": "t",
                        "description": "why",
                        "command": "/echo hi",
                        "assignee_type": "owner",
                        "due_date": 3_600_000,
                    }
                ],
            }
        ],
        "metrics": [{"title": "MTTR", "description": "time", "type": "metric_duration", "target": 60_000}],
    }
    imported = import_doc(doc)
    assert imported.channel == RunChannelSettings(
        mode=ChannelMode.LINK_EXISTING_CHANNEL,
        channel_id="ch1",
        channel_name_template="Run <name>",
        run_number_prefix="INC",
    )
    assert imported.run_summary == RunSummarySettings("summary", enabled=True)
    assert imported.welcome_message == WelcomeMessageSettings("hi", enabled=True)
    assert imported.status_updates == StatusUpdateSettings(True, 600, "update")
    assert imported.retrospective == RetrospectiveSettings(True, "retro", 60)
    assert imported.category == CategorySettings(True, "Runs")
    assert imported.checklists[0].items[0] == ChecklistItemTemplate(
        "t", "why", "/echo hi", due_after=timedelta(hours=1), assignee_type=AssigneeType.OWNER
    )
    assert imported.metrics == (Metric("MTTR", "time", MetricType.DURATION, 60_000),)
    assert (imported.auto_archive_channel, imported.owner_group_only_actions) == (True, True)
    exported = export_playbook(imported)
    assert differences({**doc, "run_number_prefix": "INC"}, exported) == []


def test_unknown_keys_warn_by_path() -> None:
    doc = {
        "version": 1,
        "title": "T",
        "colour": "red",
        "checklists": [
            {"title": "c", "items": [{"title": "a"}, {"title": "b"}, {"title": "c", "foo": 1}], "bar": True}
        ],
        "metrics": [{"title": "m", "type": "metric_integer", "baz": None}],
    }
    assert warnings_of(doc) == (
        "checklists[0].items[2].foo: unknown field, ignored",
        "checklists[0].bar: unknown field, ignored",
        "metrics[0].baz: unknown field, ignored",
        "colour: unknown field, ignored",
    )


def test_server_specific_and_unsupported_fields_warn_only_when_set() -> None:
    doc = {
        "version": 1,
        "title": "T",
        "id": "abc",
        "invited_group_ids": ["g1"],
        "admin_only_edit": False,
        "conditions": [{"id": "x"}],
        "checklists": [{"title": "c", "items": [{"title": "a", "state": "", "task_actions": [{"x": 1}]}]}],
    }
    assert warnings_of(doc) == (
        "checklists[0].items[0].task_actions: not supported, ignored",
        "id: belongs to the server it was exported from, not imported",
        "invited_group_ids: belongs to the server it was exported from, not imported",
        "conditions: not supported, ignored",
    )


def test_empty_and_repeated_keywords_are_dropped_with_a_warning() -> None:
    result = import_playbook(
        {"version": 1, "title": "T", "signal_any_keywords": ["a", "", "a", "b"]}, team_id="t", importer_id="u"
    )
    assert result.playbook.keywords.keywords == ("a", "b")
    assert result.warnings == (
        "signal_any_keywords[1]: empty keyword dropped",
        "signal_any_keywords[2]: repeated keyword 'a' dropped",
    )


def test_property_assignees_are_not_supported() -> None:
    doc = {
        "version": 1,
        "title": "T",
        "checklists": [{"title": "c", "items": [{"title": "a", "assignee_type": "property_user"}]}],
    }
    result = import_playbook(doc, team_id="t", importer_id="u")
    assert result.playbook.checklists[0].items[0].assignee_type is AssigneeType.SPECIFIC_USER
    assert result.warnings == (
        "checklists[0].items[0].assignee_type: "
        "assignment by property is not supported; the task starts unassigned",
    )


def test_several_bad_fields_are_each_reported_by_path() -> None:
    doc = {
        "version": 1,
        "title": 5,
        "status_update_enabled": "yes",
        "reminder_timer_default_seconds": "1h",
        "channel_mode": "sometimes",
        "signal_any_keywords": "sev-1",
        "category_name": "a category name that is far too long",
        "checklists": [
            "not a checklist",
            {"title": "ok", "items": [{"title": ""}, {"title": "x", "due_date": 1.5, "command": "echo"}]},
        ],
        "metrics": [{"title": "m"}, {"title": "n", "type": "metric_integer", "target": -3}],
    }
    assert problems_of(doc) == {
        "title": "must be a string, not a number",
        "status_update_enabled": "must be true or false, not text",
        "reminder_timer_default_seconds": "must be a whole number, not text",
        "channel_mode": "must be one of create_new_channel, link_existing_channel, not 'sometimes'",
        "signal_any_keywords": "must be a list, not text",
        "category_name": "must be at most 22 bytes (it has 36)",
        "checklists[0]": "must be a mapping of fields, not text",
        "checklists[1].items[0].title": "must be a non-empty string",
        "checklists[1].items[1].due_date": "must be a whole number, not a number",
        "checklists[1].items[1].command": "must be a slash command starting with /",
        "metrics[0].type": "must be one of metric_duration, metric_currency, metric_integer",
        "metrics[1].target": "must be a non-negative whole number",
    }


def test_a_field_of_the_wrong_type_is_reported_once() -> None:
    doc = {"version": 1, "title": "T", "checklists": [{"title": "c", "items": [{"title": ["x"]}]}]}
    with pytest.raises(PlaybookImportError) as raised:
        import_playbook(doc, team_id="t", importer_id="u")
    assert raised.value.problems == [
        ValidationProblem("checklists[0].items[0].title", "must be a string, not a list")
    ]
    assert isinstance(raised.value, DomainError)
    assert raised.value.message.splitlines() == [
        "The playbook cannot be imported:",
        "- checklists[0].items[0].title: must be a string, not a list",
    ]


@pytest.mark.parametrize("version", [2, 0, "1", True, 1.0, None])
def test_only_version_1_is_imported(version: object) -> None:
    doc = {"title": 7, "checklists": "bad"} | ({} if version is None else {"version": version})
    found = problems_of(doc)
    assert list(found) == ["version"]


def test_more_than_four_metrics_are_refused() -> None:
    metrics = [{"title": f"m{index}", "type": "metric_integer"} for index in range(5)]
    assert problems_of({"version": 1, "title": "T", "metrics": metrics}) == {
        "metrics": "must hold at most 4 metrics (it has 5)"
    }


def test_repeated_metric_titles_are_refused() -> None:
    metrics = [{"title": "MTTR", "type": "metric_duration"}] * 2
    assert list(problems_of({"version": 1, "title": "T", "metrics": metrics})) == ["metrics[1].title"]


def test_due_dates_beyond_the_limit_are_refused() -> None:
    too_far = MAX_INTERVAL // timedelta(milliseconds=1) + 1
    doc = {
        "version": 1,
        "title": "T",
        "checklists": [{"title": "c", "items": [{"title": "a", "due_date": too_far}]}],
    }
    assert list(problems_of(doc)) == ["checklists[0].items[0].due_date"]


# Export ---------------------------------------------------------------------------------------


def test_export_leaves_out_server_fields_and_zero_values() -> None:
    rich = Playbook(
        id="pb1",
        team_id="team1",
        title="T",
        public=True,
        member_ids=("alice",),
        admin_ids=("alice",),
        checklists=(ChecklistTemplate("c", (ChecklistItemTemplate("a", assignee_id="bob"),)),),
        metrics=(Metric("m", "", MetricType.CURRENCY),),
    )
    assert export_playbook(rich) == {
        "version": 1,
        "title": "T",
        "checklists": [{"title": "c", "items": [{"title": "a"}]}],
        "metrics": [{"title": "m", "type": "metric_currency"}],
    }


def test_metric_target_zero_is_kept() -> None:
    exported = export_playbook(Playbook("", "t", "T", metrics=(Metric("m", "", MetricType.INTEGER, 0),)))
    assert exported["metrics"] == [{"title": "m", "type": "metric_integer", "target": 0}]


# Schedules (our key, not the plugin's) --------------------------------------------------------

SCHEDULED_YAML = """\
version: 1
title: Weekly review
checklists: []
metrics: []
schedules:
  - every: 1w
  - cron: 0 9 * * MON
    timezone: Europe/Paris
"""


def test_schedules_are_read_from_a_yaml_document() -> None:
    imported = import_doc(parse_document(SCHEDULED_YAML, "review.yaml"))
    assert imported.schedules == (
        FileSchedule(every="1w"),
        FileSchedule(cron="0 9 * * MON", timezone="Europe/Paris"),
    )


def test_schedules_survive_a_yaml_round_trip_as_written() -> None:
    imported = import_doc(parse_document(SCHEDULED_YAML, "review.yaml"))
    assert dump_document(export_playbook(imported), "yaml") == SCHEDULED_YAML


def test_schedules_survive_a_json_round_trip() -> None:
    imported = import_doc(parse_document(SCHEDULED_YAML, "review.yaml"))
    text = dump_document(export_playbook(imported), "json")
    assert json.loads(text)["schedules"] == [
        {"every": "1w"},
        {"cron": "0 9 * * MON", "timezone": "Europe/Paris"},
    ]
    assert import_doc(parse_document(text, "json")) == imported


def test_schedules_are_exported_only_when_there_are_some() -> None:
    assert "schedules" not in export_playbook(Playbook("", "t", "T"))
    empty = import_doc({"version": 1, "title": "T", "schedules": []})
    assert empty.schedules == ()
    assert "schedules" not in export_playbook(empty)
    scheduled = Playbook("", "t", "T", schedules=(FileSchedule(every="2w"),))
    assert export_playbook(scheduled)["schedules"] == [{"every": "2w"}]


@pytest.mark.parametrize(
    ("schedules", "expected"),
    [
        ("every 1w", {"schedules": "must be a list, not text"}),
        (
            ["every 1w"],
            {
                "schedules[0]": 'must be a mapping of fields, such as {every: 1w} or {cron: "0 9 * * MON"}, '
                "not text"
            },
        ),
        ([{}], {"schedules[0]": 'Say how often: `every` (e.g. 1w) or `cron` (e.g. "0 9 * * MON").'}),
        ([{"every": "1w", "cron": "0 9 * * *"}], {"schedules[0]": "Give `every` or `cron`, not both."}),
        ([{"every": 7}], {"schedules[0].every": "must be a string, not a number"}),
        (
            [{"every": "1w"}, {"every": "5m"}],
            {"schedules[1].every": "A schedule can start runs at most every 15 minutes."},
        ),
        (
            [{"every": "1w"}, {"cron": "*/5 * * * *"}],
            {"schedules[1].cron": "A schedule can start runs at most every 15 minutes."},
        ),
        (
            [{"every": "1w", "timezone": "Mars/Olympus"}],
            {"schedules[0].timezone": "“Mars/Olympus” is not a time zone I know."},
        ),
        (
            [{"every": "1w"}, {"every": "7d"}],
            {"schedules[1]": "repeats schedules[0]; each would start its own run"},
        ),
        (
            [{"every": f"{days}d"} for days in range(1, 12)],
            {"schedules": "must hold at most 10 schedules (it has 11)"},
        ),
    ],
)
def test_bad_schedules_are_each_reported_by_path(schedules: object, expected: dict[str, str]) -> None:
    assert problems_of({"version": 1, "title": "T", "schedules": schedules}) == expected


def test_unknown_keys_of_a_schedule_warn_by_path() -> None:
    doc = {"version": 1, "title": "T", "schedules": [{"every": "1w", "at": "09:00"}]}
    assert warnings_of(doc) == ("schedules[0].at: unknown field, ignored",)


def test_a_playbook_checks_its_schedules() -> None:
    with pytest.raises(DomainError, match=r"schedules\[0\]\.cron: “someday” is not a day of the week"):
        Playbook.checked("", "t", "T", schedules=(FileSchedule(cron="0 9 * * someday"),))


# Documents as text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [("json", "json"), ("YAML", "yaml"), ("yml", "yaml"), ("a/b/playbook.json", "json"), ("x.YML", "yaml")],
)
def test_document_format_from_name_or_extension(name: str, expected: str) -> None:
    assert DocumentFormat.of(name) == expected


@pytest.mark.parametrize("name", ["playbook.txt", "toml", "", "json.bak"])
def test_unknown_document_format(name: str) -> None:
    with pytest.raises(PlaybookFormatError, match="Cannot tell the format"):
        DocumentFormat.of(name)


def test_broken_json_says_where() -> None:
    with pytest.raises(PlaybookFormatError) as raised:
        parse_document('{\n  "version": 1,\n  "title": "T",,\n}', "playbook.json")
    assert (raised.value.line, raised.value.column) == (3, 16)
    assert raised.value.message.startswith("The file is not valid JSON: Expecting property name")
    assert raised.value.message.endswith("(line 3, column 16)")


def test_broken_yaml_says_where() -> None:
    with pytest.raises(PlaybookFormatError) as raised:
        parse_document("version: 1\ntitle: [unclosed\nchecklists: []\n", "playbook.yaml")
    assert raised.value.message.startswith("The file is not valid YAML:")
    assert raised.value.line == 3


@pytest.mark.parametrize(
    ("text", "notation"), [('{"title": "a", "title": "b"}', "json"), ("title: a\ntitle: b\n", "yaml")]
)
def test_a_key_given_twice_is_refused(text: str, notation: str) -> None:
    with pytest.raises(PlaybookFormatError, match="the key 'title' appears twice"):
        parse_document(text, notation)


def test_yaml_merge_keys_may_override() -> None:
    text = "base: &b {title: a}\nother:\n  <<: *b\n  title: c\n"
    assert parse_document(text, "yaml")["other"] == {"title": "c"}


@pytest.mark.parametrize(
    ("text", "notation", "message"),
    [
        ("", "yaml", "The document is empty."),
        ("  # only a comment\n", "yaml", "The document is empty."),
        ("[1, 2]", "json", "must be a mapping of fields at the top level, not a list"),
        ("just text", "yaml", "must be a mapping of fields at the top level, not text"),
        ("[" * 100_000, "json", "nested too deeply"),
        ("a: !!python/object:os.system {}\n", "yaml", "The file is not valid YAML"),
    ],
)
def test_unusable_documents_get_a_friendly_message(text: str, notation: str, message: str) -> None:
    with pytest.raises(PlaybookFormatError, match=message.replace("[", r"\[").replace(".", r"\.")):
        parse_document(text, notation)


def test_oversized_documents_are_refused() -> None:
    with pytest.raises(PlaybookFormatError, match="larger than 2 MiB"):
        parse_document('{"title": "' + "x" * MAX_DOCUMENT_BYTES + '"}', "json")


def test_a_byte_order_mark_is_accepted() -> None:
    assert parse_document('\ufeff{"version": 1}', "json") == {"version": 1}


def test_json_output_escapes_like_go_and_reads_back() -> None:
    doc = {"version": 1, "title": "R&D <team>"}
    text = dump_document(doc, "json")
    assert '"title": "R\\u0026D \\u003cteam\\u003e"' in text
    assert json.loads(text) == doc


def test_yaml_output_is_readable_and_stable() -> None:
    p = Playbook(
        "",
        "t",
        "Incident",
        public=True,
        description="Line one\nLine two\n",
        checklists=(ChecklistTemplate("Triage", (ChecklistItemTemplate("Page", command="/page"),)),),
    )
    text = dump_document(export_playbook(p), "yaml")
    assert text.splitlines() == [
        "version: 1",
        "title: Incident",
        "description: |",
        "  Line one",
        "  Line two",
        "checklists:",
        "  - title: Triage",
        "    items:",
        "      - title: Page",
        "        command: /page",
        "metrics: []",
    ]
    assert dump_document(parse_document(text, "yaml"), "yaml") == text


# Properties -----------------------------------------------------------------------------------

any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
some_text = any_text.filter(str.strip)
prefixes = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,10}[A-Za-z0-9])?", fullmatch=True)
seconds = st.integers(0, int(MAX_INTERVAL.total_seconds()))

items = st.builds(
    ChecklistItemTemplate,
    title=some_text,
    description=any_text,
    command=st.one_of(st.just(""), any_text.map(lambda text: "/" + text)),
    due_after=st.one_of(
        st.none(),
        st.integers(1, MAX_INTERVAL // timedelta(milliseconds=1)).map(lambda ms: timedelta(milliseconds=ms)),
    ),
    assignee_type=st.sampled_from(AssigneeType),
)
metrics = st.builds(
    Metric,
    title=some_text,
    description=any_text,
    type=st.sampled_from(MetricType),
    target=st.one_of(st.none(), st.integers(0, 2**53)),
)
channels = st.one_of(
    st.builds(
        RunChannelSettings,
        mode=st.just(ChannelMode.CREATE_NEW_CHANNEL),
        channel_id=st.sampled_from(["", "ch1"]),
        channel_name_template=st.one_of(st.just(""), some_text),
        new_channel_only=st.booleans(),
        run_number_prefix=st.one_of(st.just(""), prefixes),
    ),
    st.builds(RunChannelSettings, mode=st.just(ChannelMode.LINK_EXISTING_CHANNEL), channel_id=st.just("ch1")),
)
exportable_playbooks = st.builds(
    Playbook,
    id=st.just("pb1"),
    team_id=st.just("team1"),
    title=some_text,
    description=any_text,
    public=st.just(True),
    member_ids=st.just(("alice",)),
    admin_ids=st.just(("alice",)),
    checklists=st.lists(
        st.builds(ChecklistTemplate, some_text, st.lists(items, max_size=3).map(tuple)), max_size=3
    ).map(tuple),
    channel=channels,
    welcome_message=st.builds(WelcomeMessageSettings, any_text, st.booleans()),
    run_summary=st.builds(RunSummarySettings, any_text, st.booleans()),
    status_updates=st.builds(StatusUpdateSettings, st.booleans(), seconds, any_text),
    keywords=st.builds(
        KeywordSettings, st.lists(some_text, unique=True, max_size=4).map(tuple), st.booleans()
    ),
    retrospective=st.builds(RetrospectiveSettings, st.booleans(), any_text, seconds),
    metrics=st.lists(metrics, max_size=4, unique_by=lambda metric: metric.title).map(tuple),
    category=st.builds(CategorySettings, st.just(False), st.text(max_size=5))
    | st.builds(CategorySettings, st.just(True), st.text("abc", min_size=1, max_size=5)),
    create_channel_member_on_new_participant=st.booleans(),
    remove_channel_member_on_removed_participant=st.booleans(),
    auto_archive_channel=st.booleans(),
    owner_group_only_actions=st.booleans(),
    schedules=st.lists(
        st.sampled_from(
            [
                FileSchedule(every="1w"),
                FileSchedule(every="1d12h", timezone="Asia/Tokyo"),
                FileSchedule(cron="0 9 * * MON", timezone="Europe/Paris"),
                FileSchedule(cron="30 17 1 * *"),
            ]
        ),
        unique=True,
        max_size=3,
    ).map(tuple),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(original=exportable_playbooks, notation=st.sampled_from(DocumentFormat))
def test_import_undoes_export_through_text(original: Playbook, notation: DocumentFormat) -> None:
    assert validate_playbook(original) == []
    text = dump_document(export_playbook(original), notation)
    result = import_playbook(
        parse_document(text, notation), team_id="team1", importer_id="alice", playbook_id="pb1"
    )
    assert result.warnings == ()
    assert result.playbook == original


@settings(max_examples=100, deadline=None)
@given(
    doc=st.dictionaries(
        st.sampled_from(["version", "title", "checklists", "metrics", "signal_any_keywords", "x"]),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=5),
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=10,
        ),
    )
)
def test_any_document_either_imports_or_names_its_problems(doc: dict[str, Any]) -> None:
    problems: list[ValidationProblem] = []
    try:
        imported: Playbook | None = import_playbook(
            {**doc, "version": 1}, team_id="t", importer_id="u"
        ).playbook
    except PlaybookImportError as error:
        imported, problems = None, error.problems
    if imported is None:
        assert problems
        assert all(problem.field and problem.message for problem in problems)
    else:
        assert validate_playbook(imported) == []
