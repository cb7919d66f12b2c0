"""Golden tests: the exact text and JSON of the playbook messages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.playbook import (
    AssigneeType,
    ChecklistItemTemplate,
    ChecklistTemplate,
    Metric,
    MetricType,
    Playbook,
)
from bot.domain.playbook_settings import (
    DefaultOwnerSettings,
    KeywordSettings,
    RetrospectiveSettings,
    RunChannelSettings,
    StatusUpdateSettings,
    WelcomeMessageSettings,
)
from bot.render.playbooks import (
    TeamChoice,
    archive_changed,
    command_hint,
    fit_message,
    format_interval,
    import_problems,
    import_summary,
    playbook_details,
    playbook_list,
    team_prompt,
)
from bot.security import ContextSigner

INCIDENT = Playbook(
    id="p" * 26,
    team_id="t" * 26,
    title="Incident | Response",
    description="When things break.",
    public=False,
    member_ids=("alice1",),
    admin_ids=("alice1",),
    checklists=(
        ChecklistTemplate(
            "Triage",
            (
                ChecklistItemTemplate(
                    "Page the on-call", command="/page oncall", due_after=timedelta(minutes=15)
                ),
                ChecklistItemTemplate(
                    "Open a bridge",
                    assignee_type=AssigneeType.OWNER,
                    due_after=timedelta(hours=2, minutes=30),
                ),
            ),
        ),
        ChecklistTemplate("Follow-up"),
    ),
    channel=RunChannelSettings(
        channel_name_template="Incident: <name>", create_public_channel=True, run_number_prefix="INC"
    ),
    default_owner=DefaultOwnerSettings(user_id="alice1", enabled=True),
    welcome_message=WelcomeMessageSettings("Welcome!", enabled=True),
    status_updates=StatusUpdateSettings(enabled=True, reminder_timer_default_seconds=86_400),
    keywords=KeywordSettings(("sev-1", "outage"), enabled=False),
    retrospective=RetrospectiveSettings(enabled=True, reminder_interval_seconds=3_600),
    metrics=(
        Metric("Time to resolve", "", MetricType.DURATION, 7_200_000),
        Metric("Cost", "", MetricType.CURRENCY),
    ),
).validated()

ONBOARDING = Playbook(
    id="q" * 26,
    team_id="t" * 26,
    title="Onboarding",
    public=True,
    checklists=(ChecklistTemplate("Day 1", (ChecklistItemTemplate("Laptop"),)),),
).validated()


def test_list_shows_each_playbook_with_visibility_and_counts() -> None:
    assert playbook_list([INCIDENT, ONBOARDING]) == (
        "**Playbooks** (2)\n"
        "\n"
        "| Playbook | ID | Visibility | Checklists | Tasks |\n"
        "|:--|:--|:--|--:|--:|\n"
        "| Incident \\| Response | `pppppppppppppppppppppppppp` | private | 2 | 2 |\n"
        "| Onboarding | `qqqqqqqqqqqqqqqqqqqqqqqqqq` | public | 1 | 1 |\n"
        "\n"
        "`/playbook show NAME` shows one in detail; `/playbook export NAME` sends it as a file."
    )


def test_an_empty_list_explains_how_to_import() -> None:
    assert playbook_list([]) == (
        "There are no playbooks you can use in this team yet.\n"
        "\n"
        "To add one, send me a playbook file in a direct message: a `.json` export from Mattermost "
        "Playbooks, or the same fields written as `.yaml`. I'll import it into your team."
    )


def test_show_gives_the_settings_at_a_glance_and_numbered_tasks() -> None:
    assert playbook_details(INCIDENT, usernames={"alice1": "alice"}, trigger="pb") == (
        "#### Incident | Response\n"
        "When things break.\n"
        "`pppppppppppppppppppppppppp` · private · 2 checklists, 2 tasks\n"
        "\n"
        "**Settings**\n"
        "- Run channel: a new public channel for each run, named `Incident: <name>`; "
        "runs numbered INC-00001, …\n"
        "- Default owner: @alice\n"
        "- Welcome message: on\n"
        "- Status updates: on, every 1 day\n"
        "- Retrospective: on, reminder every 1 h\n"
        "- Keywords: `sev-1`, `outage` (off)\n"
        "- Metrics: Time to resolve (duration, target 2 h); Cost (currency)\n"
        "\n"
        "**1. Triage**\n"
        "1. Page the on-call — `/page oncall` · due 15 min after the start\n"
        "2. Open a bridge — due 2 h 30 min after the start · assigned to the run's owner\n"
        "\n"
        "**2. Follow-up**\n"
        "_No tasks._\n"
        "\n"
        "Export it with `/pb export Incident | Response`."
    )


def test_show_of_a_plain_playbook_says_what_is_off() -> None:
    assert playbook_details(ONBOARDING) == (
        "#### Onboarding\n"
        "`qqqqqqqqqqqqqqqqqqqqqqqqqq` · public · 1 checklist, 1 task\n"
        "\n"
        "**Settings**\n"
        "- Run channel: a new private channel for each run\n"
        "- Default owner: whoever starts the run\n"
        "- Welcome message: off\n"
        "- Status updates: off\n"
        "- Retrospective: off\n"
        "- Keywords: none\n"
        "- Metrics: none\n"
        "\n"
        "**1. Day 1**\n"
        "1. Laptop\n"
        "\n"
        "Export it with `/playbook export Onboarding`."
    )


def test_an_unknown_default_owner_is_shown_by_id() -> None:
    assert "- Default owner: alice1\n" in playbook_details(INCIDENT)


def test_import_summary_lists_counts_metrics_and_warnings() -> None:
    text = import_summary(INCIDENT, warnings=("id: ignored",), replaced=True, team_name="Acme")
    assert text == (
        "Updated the playbook **Incident | Response** in Acme: 2 checklists, 2 tasks.\n"
        "Metrics: Time to resolve (duration, target 2 h); Cost (currency).\n"
        "It replaced the playbook of the same title; what your file doesn't mention "
        "(visibility, members, invitations, default owner, broadcast, webhooks) is unchanged.\n"
        "\n"
        "I ignored 1 thing in the file:\n"
        "- id: ignored\n"
        "\n"
        "See it with `/playbook show Incident | Response`."
    )
    assert import_summary(ONBOARDING) == (
        "Imported the playbook **Onboarding**: 1 checklist, 1 task.\n"
        "Metrics: none.\n"
        "\n"
        "See it with `/playbook show Onboarding`."
    )


def test_import_problems_name_the_file() -> None:
    assert import_problems("x.json", "The playbook cannot be imported:\n- title: must be set") == (
        "I couldn't import “x.json”; nothing was changed.\n"
        "\n"
        "The playbook cannot be imported:\n- title: must be set"
    )


@pytest.mark.parametrize(
    ("title", "hint"),
    [
        ("Release train", "`/playbook show Release train`"),
        ("Alice's release", "`/playbook show qqqqqqqqqqqqqqqqqqqqqqqqqq`"),  # unbalanced quote: by id
        ("The `main` branch", "`/playbook show qqqqqqqqqqqqqqqqqqqqqqqqqq`"),
    ],
)
def test_command_hints_use_the_id_when_the_title_cannot_be_typed(title: str, hint: str) -> None:
    playbook = Playbook(id="q" * 26, team_id="t" * 26, title=title)
    assert command_hint("playbook", "show", playbook) == hint


def test_team_prompt_has_one_signed_button_per_team() -> None:
    signer = ContextSigner(b"k" * 32)
    post = team_prompt(
        filename="incident.json",
        teams=[TeamChoice("a" * 26, "Acme"), TeamChoice("b" * 26, "Beta")],
        file_id="file1",
        post_id="post1",
        sender_id="user1",
        signer=signer,
        url="http://bot.example/mattermost/action",
    )
    actions = post["props"]["attachments"][0]["actions"]
    contexts = [action["integration"].pop("context") for action in actions]
    assert post == {
        "message": "",
        "props": {
            "attachments": [
                {
                    "fallback": "Which team should “incident.json” go to?",
                    "title": "Which team should this playbook go to?",
                    "text": "You're in several teams I work in. Pick the team for “incident.json”.",
                    "actions": [
                        {
                            "id": "team0",
                            "type": "button",
                            "name": "Acme",
                            "style": "primary",
                            "integration": {"url": "http://bot.example/mattermost/action"},
                        },
                        {
                            "id": "team1",
                            "type": "button",
                            "name": "Beta",
                            "style": "default",
                            "integration": {"url": "http://bot.example/mattermost/action"},
                        },
                    ],
                }
            ]
        },
    }
    assert [signer.verify(context) for context in contexts] == [
        {"a": "playbook-import-team", "f": "file1", "p": "post1", "u": "user1", "t": "a" * 26},
        {"a": "playbook-import-team", "f": "file1", "p": "post1", "u": "user1", "t": "b" * 26},
    ]


@pytest.mark.parametrize(
    ("interval", "words"),
    [
        (timedelta(0), "0 s"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(days=7), "7 days"),
        (timedelta(days=1, hours=2, minutes=3, seconds=4), "1 day 2 h 3 min 4 s"),
        (timedelta(hours=-1), "-1 h"),
    ],
)
def test_intervals_read_as_words(interval: timedelta, words: str) -> None:
    assert format_interval(interval) == words


def test_long_messages_are_cut_at_a_line_with_a_note() -> None:
    text = "\n".join(f"line {number}" for number in range(5000))
    cut = fit_message(text, limit=1000)
    assert len(cut) <= 1000
    assert cut.endswith("_… cut short: too long for one message. Export the playbook to see all of it._")
    kept = cut.split("\n\n_…")[0].split("\n")
    assert kept == [f"line {number}" for number in range(len(kept))]  # whole lines only
    assert len(kept) > 50
    assert fit_message("short", limit=1000) == "short"


def test_the_archived_list_says_how_to_restore_and_marks_each_playbook() -> None:
    archived = replace(ONBOARDING, archived_at=datetime(2026, 12, 1, tzinfo=UTC))
    assert playbook_list([archived], archived=True) == (
        "**Archived playbooks** (1)\n"
        "\n"
        "| Playbook | ID | Visibility | Checklists | Tasks |\n"
        "|:--|:--|:--|--:|--:|\n"
        "| Onboarding | `qqqqqqqqqqqqqqqqqqqqqqqqqq` | public, archived | 1 | 1 |\n"
        "\n"
        "`/playbook show NAME` shows one in detail; `/playbook export NAME` sends it as a file.\n"
        "`/playbook restore NAME` lets one start runs again."
    )
    assert playbook_list([], archived=True).startswith("There are no archived playbooks you can see")
    assert "· archived 2026-12-01" in playbook_details(archived)


def test_archiving_answers_say_what_changed_and_the_way_back() -> None:
    archived = replace(ONBOARDING, archived_at=datetime(2026, 12, 1, tzinfo=UTC))
    assert archive_changed(archived, already=False) == (
        "Archived **Onboarding**: it starts no new runs and is left out of `/playbook list` and the run "
        "form. Its runs and insights stay. `/playbook restore Onboarding` brings it back."
    )
    assert archive_changed(archived, already=True) == (
        "**Onboarding** is already archived. `/playbook restore Onboarding` brings it back."
    )
    assert archive_changed(ONBOARDING, already=False).startswith("Restored **Onboarding**: it can start runs")
    assert archive_changed(ONBOARDING, already=True) == "**Onboarding** is not archived; it can start runs."
