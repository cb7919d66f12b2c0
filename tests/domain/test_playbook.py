"""The playbook model: its invariants, checked construction and edits, and permissions."""

from __future__ import annotations

import ast
import dataclasses
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.errors import DomainError, ValidationProblem
from bot.domain.playbook import (
    ChecklistItemTemplate,
    ChecklistTemplate,
    InvalidPlaybookError,
    Metric,
    MetricType,
    Playbook,
    normalize_run_number_prefix,
)
from bot.domain.playbook_access import can_edit, can_run, can_view
from bot.domain.playbook_rules import (
    MAX_CHECKLISTS,
    MAX_INTERVAL,
    MAX_ITEMS_PER_CHECKLIST,
    MAX_TITLE_LENGTH,
    validate_playbook,
)
from bot.domain.playbook_settings import CategorySettings as Category
from bot.domain.playbook_settings import (
    ChannelMode,
    DefaultOwnerSettings,
    InviteSettings,
    KeywordSettings,
    RetrospectiveSettings,
    RunChannelSettings,
    StatusUpdateSettings,
    WebhookSettings,
)

DOMAIN = Path(__file__).resolve().parents[2] / "bot" / "domain"


def playbook(**changes: Any) -> Playbook:
    """A valid playbook owned by alice, with ``changes`` applied (not validated)."""
    base = Playbook(
        id="pb1",
        team_id="team1",
        title="Incident",
        member_ids=("alice", "bob"),
        admin_ids=("alice",),
        checklists=(ChecklistTemplate("Triage", (ChecklistItemTemplate("Page on-call"),)),),
    )
    return dataclasses.replace(base, **changes)


def problems_of(p: Playbook) -> dict[str, str]:
    return {problem.field: problem.message for problem in validate_playbook(p)}


def metric(title: str, target: int | None = None) -> Metric:
    return Metric(title, "", MetricType.INTEGER, target)


# A valid playbook -----------------------------------------------------------------------------


def test_a_plain_playbook_is_valid() -> None:
    assert validate_playbook(playbook()) == []


def test_a_fully_configured_playbook_is_valid() -> None:
    full = playbook(
        description="How we handle incidents.",
        channel=RunChannelSettings(channel_name_template="Incident: <name>", run_number_prefix="SEC-OPS"),
        default_owner=DefaultOwnerSettings("bob", enabled=True),
        invites=InviteSettings(("bob",), ("group1",), enabled=True),
        status_updates=StatusUpdateSettings(
            enabled=True,
            reminder_timer_default_seconds=3600,
            broadcast_channel_ids=("town-square",),
            broadcast_enabled=True,
            webhooks=WebhookSettings(("https://hooks.example.com/status",), enabled=True),
        ),
        creation_webhooks=WebhookSettings(("http://10.0.0.1:8080/new",), enabled=True),
        keywords=KeywordSettings(("sev-1", "#incident"), enabled=True),
        retrospective=RetrospectiveSettings(
            enabled=True, template="### Summary", reminder_interval_seconds=0
        ),
        metrics=tuple(metric(f"m{index}", target=0) for index in range(4)),
        category=Category(enabled=True, name="Incidents"),
    )
    assert validate_playbook(full) == []


# Invariants -----------------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["", "   ", "x" * (MAX_TITLE_LENGTH + 1)])
def test_title_is_required_and_bounded(title: str) -> None:
    assert "title" in problems_of(playbook(title=title))


def test_title_at_the_limit_is_fine() -> None:
    assert validate_playbook(playbook(title="x" * MAX_TITLE_LENGTH)) == []


def test_description_is_bounded() -> None:
    assert "description" in problems_of(playbook(description="d" * 4097))


def test_team_is_required() -> None:
    assert "team_id" in problems_of(playbook(team_id=""))


def test_every_admin_must_be_a_member() -> None:
    assert problems_of(playbook(admin_ids=("alice", "carol"))) == {
        "admin_ids": "every admin must also be a member"
    }


def test_empty_member_ids_are_named_by_position() -> None:
    assert "member_ids[1]" in problems_of(playbook(member_ids=("alice", " ")))


def test_checklist_and_item_titles_are_required_and_named_by_path() -> None:
    checklists = (
        ChecklistTemplate("Triage", (ChecklistItemTemplate("ok"),)),
        ChecklistTemplate("", (ChecklistItemTemplate(" "),)),
    )
    assert problems_of(playbook(checklists=checklists)) == {
        "checklists[1].title": "must be a non-empty string",
        "checklists[1].items[0].title": "must be a non-empty string",
    }


def test_checklist_and_item_counts_are_bounded() -> None:
    too_many = tuple(ChecklistTemplate(f"c{index}") for index in range(MAX_CHECKLISTS + 1))
    assert "checklists" in problems_of(playbook(checklists=too_many))
    items = tuple(ChecklistItemTemplate(f"t{index}") for index in range(MAX_ITEMS_PER_CHECKLIST + 1))
    assert "checklists[0].items" in problems_of(playbook(checklists=(ChecklistTemplate("Big", items),)))


def test_item_command_must_be_a_slash_command() -> None:
    item = ChecklistItemTemplate("Start call", command="zoom start")
    found = problems_of(playbook(checklists=(ChecklistTemplate("c", (item,)),)))
    assert found == {"checklists[0].items[0].command": "must be a slash command starting with /"}


@pytest.mark.parametrize("due_after", [timedelta(0), timedelta(seconds=-1), MAX_INTERVAL + timedelta(1)])
def test_relative_due_dates_are_positive_and_bounded(due_after: timedelta) -> None:
    item = ChecklistItemTemplate("Task", due_after=due_after)
    assert "checklists[0].items[0].due_date" in problems_of(
        playbook(checklists=(ChecklistTemplate("c", (item,)),))
    )


def test_at_most_four_metrics() -> None:
    found = problems_of(playbook(metrics=tuple(metric(f"m{index}") for index in range(5))))
    assert found == {"metrics": "must hold at most 4 metrics (it has 5)"}


def test_metric_titles_are_unique_and_present_and_targets_non_negative() -> None:
    found = problems_of(
        playbook(metrics=(metric("MTTR"), metric("MTTR"), metric(""), metric("x", target=-1)))
    )
    assert set(found) == {"metrics[1].title", "metrics[2].title", "metrics[3].target"}
    assert "unique" in found["metrics[1].title"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"status_updates": StatusUpdateSettings(reminder_timer_default_seconds=-1)},
            "reminder_timer_default_seconds",
        ),
        (
            {"retrospective": RetrospectiveSettings(reminder_interval_seconds=-60)},
            "retrospective_reminder_interval_seconds",
        ),
        (
            {"status_updates": StatusUpdateSettings(reminder_timer_default_seconds=10**12)},
            "reminder_timer_default_seconds",
        ),
    ],
)
def test_intervals_are_non_negative_and_bounded(changes: dict[str, Any], field: str) -> None:
    assert field in problems_of(playbook(**changes))


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "example.com/hook", "https://", "https://exa mple.com", "http://[::1"]
)
def test_webhook_urls_must_be_http_with_a_host(url: str) -> None:
    found = problems_of(playbook(creation_webhooks=WebhookSettings((url,))))
    assert found == {"webhook_on_creation_urls[0]": "must be an http:// or https:// URL with a host"}


def test_at_most_64_webhook_urls() -> None:
    urls = tuple(f"https://example.com/{index}" for index in range(65))
    found = problems_of(playbook(status_updates=StatusUpdateSettings(webhooks=WebhookSettings(urls))))
    assert set(found) == {"webhook_on_status_update_urls"}


def test_channel_name_template_rules() -> None:
    assert "channel_name_template" in problems_of(
        playbook(channel=RunChannelSettings(channel_name_template="  "))
    )
    too_long = RunChannelSettings(channel_name_template="n" * 1025)
    assert "channel_name_template" in problems_of(playbook(channel=too_long))


def test_linking_a_channel_needs_the_channel_and_contradicts_new_channel_only() -> None:
    linked = RunChannelSettings(mode=ChannelMode.LINK_EXISTING_CHANNEL, new_channel_only=True)
    assert set(problems_of(playbook(channel=linked))) == {"channel_id", "new_channel_only"}
    fine = RunChannelSettings(mode=ChannelMode.LINK_EXISTING_CHANNEL, channel_id="ch1")
    assert validate_playbook(playbook(channel=fine)) == []


@pytest.mark.parametrize("prefix", ["INC", "a1", "SEC-OPS", "A--B", "X" * 32])
def test_valid_run_number_prefixes(prefix: str) -> None:
    assert validate_playbook(playbook(channel=RunChannelSettings(run_number_prefix=prefix))) == []


@pytest.mark.parametrize("prefix", ["-INC", "INC-", "IN C", "ñ", "A_B", "X" * 33])
def test_invalid_run_number_prefixes(prefix: str) -> None:
    assert "run_number_prefix" in problems_of(playbook(channel=RunChannelSettings(run_number_prefix=prefix)))


def test_run_number_prefix_normalization_trims_spaces_and_outer_hyphens() -> None:
    assert normalize_run_number_prefix("  -INC-  ") == "INC"
    assert normalize_run_number_prefix("SEC-OPS") == "SEC-OPS"


def test_category_name_is_bounded_in_bytes_and_required_when_enabled() -> None:
    twelve_letters_24_bytes = "é" * 12
    assert "category_name" in problems_of(playbook(category=Category(name=twelve_letters_24_bytes)))
    assert "category_name" in problems_of(playbook(category=Category(enabled=True)))
    assert validate_playbook(playbook(category=Category(name="é" * 11))) == []


def test_keywords_are_non_empty_and_unique() -> None:
    found = problems_of(playbook(keywords=KeywordSettings(("sev-1", " ", "sev-1"))))
    assert found == {
        "signal_any_keywords[1]": "must be a non-empty string",
        "signal_any_keywords[2]": "repeats the keyword 'sev-1'",
    }


def test_default_owner_needs_a_user_when_enabled() -> None:
    assert "default_owner_id" in problems_of(playbook(default_owner=DefaultOwnerSettings(enabled=True)))
    assert validate_playbook(playbook(default_owner=DefaultOwnerSettings(user_id="", enabled=False))) == []


def test_all_problems_are_reported_at_once() -> None:
    broken = playbook(
        title="",
        metrics=tuple(metric(f"m{index}") for index in range(5)),
        keywords=KeywordSettings(("",)),
        creation_webhooks=WebhookSettings(("nope",)),
    )
    assert set(problems_of(broken)) == {
        "title",
        "metrics",
        "signal_any_keywords[0]",
        "webhook_on_creation_urls[0]",
    }


# Checked construction and edits ---------------------------------------------------------------


def test_checked_builds_a_valid_playbook() -> None:
    built = Playbook.checked("pb1", "team1", "Release", member_ids=("alice",), admin_ids=("alice",))
    assert built.title == "Release"
    assert built.public is False


def test_checked_refuses_an_invalid_playbook_naming_every_problem() -> None:
    with pytest.raises(InvalidPlaybookError) as raised:
        Playbook.checked("pb1", "", " ")
    assert raised.value.problems == (
        ValidationProblem("title", "must be a non-empty string"),
        ValidationProblem("team_id", "must name the playbook's team"),
    )
    assert isinstance(raised.value, DomainError)
    assert "- title: must be a non-empty string" in raised.value.message


def test_edited_applies_valid_changes_and_refuses_invalid_ones() -> None:
    original = playbook()
    renamed = original.edited(title="Major incident")
    assert (renamed.title, original.title) == ("Major incident", "Incident")
    with pytest.raises(InvalidPlaybookError):
        original.edited(metrics=tuple(metric(f"m{index}") for index in range(5)))


def test_playbooks_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        playbook().title = "changed"  # type: ignore[misc]


def test_item_count_spans_checklists() -> None:
    two = ChecklistTemplate("b", (ChecklistItemTemplate("x"), ChecklistItemTemplate("y")))
    assert playbook(checklists=(*playbook().checklists, two)).item_count == 3


# Permissions ----------------------------------------------------------------------------------

PUBLIC = playbook(public=True)
PRIVATE = playbook(public=False)


@pytest.mark.parametrize(
    ("subject", "user", "team_member", "system_admin", "view", "run", "edit"),
    [
        (PUBLIC, "carol", True, False, True, True, False),  # any team member
        (PUBLIC, "carol", False, False, False, False, False),  # not on the team
        (PUBLIC, "alice", False, False, False, False, False),  # an admin who left the team
        (PUBLIC, "alice", True, False, True, True, True),  # playbook admin
        (PRIVATE, "carol", True, False, False, False, False),  # team member, not a playbook member
        (PRIVATE, "bob", True, False, True, True, False),  # playbook member
        (PRIVATE, "alice", True, False, True, True, True),  # playbook admin
        (PRIVATE, "root", False, True, True, True, True),  # system admin
    ],
)
def test_permissions(
    subject: Playbook, user: str, team_member: bool, system_admin: bool, view: bool, run: bool, edit: bool
) -> None:
    flags = {"is_team_member": team_member, "is_system_admin": system_admin}
    assert (
        can_view(subject, user, **flags),
        can_run(subject, user, **flags),
        can_edit(subject, user, **flags),
    ) == (
        view,
        run,
        edit,
    )


# Boundaries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["playbook.py", "errors.py"])
def test_the_domain_imports_only_the_standard_library_and_itself(module: str) -> None:
    imported: set[str] = set()
    for node in ast.walk(ast.parse((DOMAIN / module).read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    outside = {
        name
        for name in imported
        if not name.startswith("bot.domain") and name.split(".")[0] not in sys.stdlib_module_names
    }
    assert outside == set()
