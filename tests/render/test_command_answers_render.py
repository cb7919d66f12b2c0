"""The short answers of commands: following a run, the digest switch, snoozing, playbook commands."""

from __future__ import annotations

from bot.domain.playbook import Playbook
from bot.domain.run import FinishNeedsConfirmationError, locate
from bot.domain.schedules import RunSchedule
from bot.render.channel_settings import channel_usage
from bot.render.insights import chart_sent, report_posted, upload_failed
from bot.render.playbook_editing import playbook_created, playbook_page
from bot.render.playbooks import (
    export_failed,
    export_message,
    export_sending,
    list_usage,
    playbook_details,
    which_playbook,
)
from bot.render.run_replies import (
    finish_by_command,
    no_playbooks,
    not_skipped,
    run_name_example,
    start_form_failed,
    starting_run,
    task,
    unknown_playbook,
)
from bot.render.runs import format_time, run_label
from bot.render.schedules import which_schedule
from bot.render.status import digest_changed, digest_usage, following_changed, snoozed_note
from bot.render.webhooks import no_run_here, playbook_subject, run_subject

from .test_runs_render import NOW, a_run

PLAYBOOK = Playbook("p" * 26, "t" * 26, "Incident")


def test_following_answers_say_what_changed_or_that_nothing_did() -> None:
    run = a_run()
    name = f"**{run_label(run)}**"
    assert following_changed(run, follow=True, already=False) == (
        f"You now follow {name}: its status updates come to you by direct message."
    )
    assert following_changed(run, follow=True, already=True) == f"You already follow {name}."
    assert following_changed(run, follow=False, already=False) == f"You no longer follow {name}."
    assert following_changed(run, follow=False, already=True) == f"You don't follow {name}."


def test_digest_and_snooze_answers() -> None:
    assert digest_changed(None, "UTC") == "Your daily digest is off."
    assert digest_changed(NOW, "Europe/Paris") == (
        "Your daily digest is on: it comes by direct message at 08:00 (Europe/Paris), "
        f"first on {format_time(NOW)}."
    )
    assert digest_usage("pb") == "Usage: `/pb settings` in a run's channel, or `/pb settings digest on|off`"
    assert snoozed_note(NOW) == f"Snoozed: I'll ask again {format_time(NOW)}."


def test_playbook_command_answers_use_the_trigger() -> None:
    assert which_playbook("pb", "show") == "Which playbook? Use `/pb show NAME`."
    assert list_usage("pb") == "Use `/pb list`, `/pb list archived` or `/pb list all`."
    assert export_sending(PLAYBOOK, "incident.json", "playbooks") == (
        "I'm sending **Incident** to you as `incident.json` in our direct messages (@playbooks)."
    )
    assert export_message(PLAYBOOK) == "Here is **Incident**, exported as a Mattermost playbook file."
    assert (
        export_failed("incident.json") == "Sorry, I couldn't send `incident.json` to you. Please try again."
    )


def test_a_created_playbook_is_announced_with_how_to_edit_and_run_it() -> None:
    text = playbook_created(PLAYBOOK, "#### Edit Incident", trigger="pb")
    assert text == (
        "I created **Incident**, with you as its admin. Change it with the buttons below "
        'or `/pb edit "Incident"`, and start a run with `/pb run "Incident"`.\n\n#### Edit Incident'
    )


def test_a_playbook_page_without_changes_has_no_history() -> None:
    schedules: list[RunSchedule] = []
    page = playbook_page(PLAYBOOK, schedules, [], {}, trigger="pb")
    assert page.startswith(playbook_details(PLAYBOOK, usernames={}, trigger="pb") + "\n\n")
    assert "Recent changes" not in page


def test_run_command_answers() -> None:
    run = a_run()
    ref = locate(run, 1, 1)
    assert not_skipped(ref) == f"{task(ref)} is not skipped."
    question = FinishNeedsConfirmationError("Database down", 2)
    assert (
        finish_by_command(question, "pb") == f"{question.message} To finish anyway, send `/pb finish` here."
    )
    assert starting_run("Incident") == "Starting a run of **Incident**…"
    assert which_schedule("pb") == "Which schedule? Use `/pb unschedule ID` (see `schedules`)."
    assert channel_usage("pb") == "Use `/pb channel settings [prompts on|off] [welcome on|off]`."
    assert (
        chart_sent("3 runs", "playbooks") == "3 runs\n\nThe chart is in your direct messages with @playbooks."
    )
    assert upload_failed("chart") == "I couldn't upload the chart. Please try again in a moment."
    assert report_posted("http://x/1") == "The report is in the channel: http://x/1"


def test_run_start_answers_name_what_can_be_run() -> None:
    playbooks = [Playbook(f"p{n}", "t", f"Playbook {n}") for n in range(12)]
    text = unknown_playbook("Release", playbooks, "pb")
    assert text.startswith(
        "I don't know a playbook called “Release” that you can run. You can run: “Playbook 0”"
    )
    assert "“Playbook 9” …. Quote a title" in text
    assert "Playbook 10" not in text
    assert text.endswith('e.g. `/pb run "Playbook 0" Database down`.')
    assert no_playbooks("pb").endswith("see `/pb help`.")
    assert run_name_example("A name is needed.", "Incident", "pb") == (
        "A name is needed. For example: `/pb run Incident Database down`"
    )
    assert start_form_failed("Incident", "pb").endswith('`/pb run "Incident" Run name`.')


def test_webhook_answers_name_the_run_or_the_playbooks_runs() -> None:
    run = a_run()
    assert run_subject(run) == f"**{run.name}**"
    assert playbook_subject(PLAYBOOK) == "runs of **Incident**"
    assert no_run_here("pb").startswith("This channel has no run. In a run's channel, `/pb webhooks`")
