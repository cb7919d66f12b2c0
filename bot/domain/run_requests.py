"""What a person asks for when starting a run: the playbook a command names, and the summary a
start form means.

Pure functions: :mod:`bot.services.run_requests` gathers the playbooks the person may run.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.playbook import Playbook


def match_playbook(playbooks: Iterable[Playbook], args: list[str]) -> tuple[Playbook, str] | None:
    """The playbook named by the first argument(s) (by title, ignoring case and spacing, or by id)
    and the run name in the rest; the longest matching title wins."""
    by_title: dict[str, Playbook] = {}
    by_id: dict[str, Playbook] = {}
    for playbook in playbooks:
        by_title.setdefault(_normal(playbook.title), playbook)
        by_id[playbook.id] = playbook
    for count in range(len(args), 0, -1):
        found = by_title.get(_normal(" ".join(args[:count])))
        if found is not None:
            return found, " ".join(args[count:])
    if args and args[0] in by_id:
        return by_id[args[0]], " ".join(args[1:])
    return None


def form_summary(written: str, chosen_id: str, shown_id: str, shown_summary: str | None) -> str | None:
    """The summary a start form asks for. The form was prefilled with the summary of the playbook
    it showed first (``shown_summary``, ``None`` when that playbook is gone); left as prefilled
    while another playbook was chosen, it means "the chosen playbook's own" (``None``)."""
    prefilled = shown_summary is not None and written == shown_summary.strip()
    if chosen_id != shown_id and prefilled:
        return None
    return written


def _normal(title: str) -> str:
    return " ".join(title.split()).casefold()
