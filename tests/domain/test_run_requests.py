"""The playbook a ``run`` command names, and the summary a start form means."""

from __future__ import annotations

from bot.domain.playbook import Playbook
from bot.domain.run_requests import form_summary, match_playbook

INCIDENT = Playbook("p1", "t", "Incident")
MAJOR = Playbook("p2", "t", "Major  Incident")


def test_the_longest_title_wins_and_the_rest_is_the_run_name() -> None:
    assert match_playbook([INCIDENT, MAJOR], ["major", "incident", "DB", "down"]) == (MAJOR, "DB down")
    assert match_playbook([INCIDENT, MAJOR], ["INCIDENT"]) == (INCIDENT, "")
    assert match_playbook([INCIDENT, MAJOR], ["p2", "Outage"]) == (MAJOR, "Outage")
    assert match_playbook([INCIDENT], ["Release"]) is None
    assert match_playbook([INCIDENT], []) is None


def test_a_prefilled_summary_left_as_is_means_the_chosen_playbooks_own() -> None:
    assert form_summary("Shown", "p2", "p1", "Shown ") is None
    assert form_summary("Shown", "p1", "p1", "Shown") == "Shown"
    assert form_summary("Mine", "p2", "p1", "Shown") == "Mine"
    assert form_summary("", "p2", "p1", None) == ""
