"""Gathering a run's report: the run, its playbook, people's names, timeline, status updates and
retrospective, read in one transaction; rendered by :mod:`bot.render.report`.

Status updates come from the status-update table (:class:`~storage.repositories.updates.UpdateRepository`).
"""

from __future__ import annotations

from enum import StrEnum

from bot.domain.errors import DomainError
from bot.domain.run import Run
from bot.domain.timeline import TimelineEvent
from bot.mattermost.errors import MattermostError
from bot.render.report import RunReport, StatusUpdateEntry, report_html, report_markdown, report_title
from bot.services.context import Services
from bot.services.run_access import RunAction, RunNotVisibleError, require
from bot.services.run_posts import people_of
from storage.repositories.playbooks import PlaybookRepository
from storage.repositories.retrospectives import RetrospectiveRepository
from storage.repositories.runs import RunRepository
from storage.repositories.updates import UpdateRepository


class ReportFormat(StrEnum):
    """The report's file formats."""

    MARKDOWN = "md"
    HTML = "html"


class RunNotFoundError(DomainError):
    def __init__(self, wanted: str) -> None:
        super().__init__(f"There is no run with the id or channel id {wanted[:40]!r}.")


async def build_report(
    services: Services, *, run_id: str = "", channel_id: str = "", user_id: str | None = None
) -> RunReport:
    """The report of the run with ``run_id`` (or in ``channel_id``).

    With ``user_id``, only a run that person may see; without one (the operator), any run.
    """
    async with services.transaction() as session:
        runs = RunRepository(session)
        run = await runs.get(run_id) if run_id else None
        if run is None and channel_id:
            run = await runs.get_by_channel(channel_id)
        if run is None:
            if user_id is not None:
                raise RunNotVisibleError()
            raise RunNotFoundError(run_id or channel_id)
        if user_id is not None:
            await require(services, session, run, user_id, RunAction.VIEW)
        record = (
            await PlaybookRepository(session).get_record(run.playbook_id, include_deleted=True)
            if run.playbook_id
            else None
        )
        timeline = await runs.timeline(run.id)
        stored = await RetrospectiveRepository(session).get(run.id)
        updates = [
            StatusUpdateEntry(update.posted_at, update.author_id, update.message)
            for update in await UpdateRepository(session).for_run(run.id)
        ]
    retro = stored.retrospective if stored else None
    people = people_of(run) | {e.actor_id for e in timeline if e.actor_id} | {u.author_id for u in updates}
    if retro is not None and retro.published_by:
        people.add(retro.published_by)
    for event in timeline:
        people.update(_user_ids(event))
    return RunReport(
        run=run,
        playbook_title=record.playbook.title if record else "",
        names=await services.people.usernames(sorted(people)),
        timeline=timeline,
        status_updates=updates,
        retrospective=retro,
        metrics=record.playbook.metrics if record else (),
        generated_at=services.clock(),
    )


def _user_ids(event: TimelineEvent) -> set[str]:
    found: set[str] = set()
    for key, value in event.details.items():
        if key.endswith("_id") and isinstance(value, str) and value:
            found.add(value)
        elif key.endswith("_ids") and isinstance(value, tuple):
            found.update(str(v) for v in value)
    return found


def render(report: RunReport, report_format: ReportFormat = ReportFormat.MARKDOWN) -> str:
    """The report as text in ``report_format``."""
    return report_html(report) if report_format is ReportFormat.HTML else report_markdown(report)


def report_filename(run_id: str, report_format: ReportFormat = ReportFormat.MARKDOWN) -> str:
    """``<run-id>-report.md``."""
    return f"{run_id}-report.{report_format.value}"


class ReportUploadError(DomainError):
    """Mattermost refused the report's upload or post."""

    def __init__(self) -> None:
        super().__init__("I couldn't upload the report. Please try again in a moment.")


async def post_report(services: Services, run: Run, *, user_id: str, team_id: str) -> str:
    """Build the run's report for ``user_id``, attach it to a post in the run's channel and return
    a link to that post (in ``team_id``, or the run's team)."""
    built = await build_report(services, run_id=run.id, user_id=user_id)
    filename = report_filename(run.id)
    try:
        file_id = await services.gateway.upload_file(run.channel_id, filename, render(built).encode("utf-8"))
        post = await services.gateway.create_post(
            run.channel_id, f"Run report of **{report_title(built.run)}**", file_ids=[file_id]
        )
        team = await services.gateway.team(team_id or run.team_id)
    except MattermostError as error:
        raise ReportUploadError() from error
    return f"[{filename}](/{team.name}/pl/{post.id})"
