"""A submitted form being read: typed values, names looked up in Mattermost, errors collected.

People are looked up by username and channels by name in the playbook's team; webhook URLs go
through the same address guard as deliveries (:func:`bot.net.resolve_public_target`). Every problem
is collected under its field and raised at once (:meth:`Form.done`), so nothing typed is lost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.domain.errors import FormFieldsError
from bot.domain.playbook import InvalidPlaybookError, Playbook
from bot.domain.task_lines import parse_span
from bot.mattermost.errors import MattermostError
from bot.net import TargetError, resolve_public_target

if TYPE_CHECKING:
    from bot.services.context import Services

_NAMES = re.compile(r"[\s,]+")


class Form:
    """A submission being read: its values, and the errors found so far."""

    def __init__(
        self, services: Services, playbook: Playbook, values: Mapping[str, Any], user_id: str
    ) -> None:
        self.services, self.playbook, self.values, self.user_id = services, playbook, values, user_id
        self.errors: dict[str, str] = {}

    def text(self, name: str, current: str = "", limit: int = 0) -> str:
        """A text value; empty keeps ``current`` when the form could not show it (too long)."""
        value = self.values.get(name)
        typed = "" if value is None else str(value).strip()
        if not typed and limit and len(current) > limit:
            return current
        # Mattermost trims nothing, but the form shows values as they are: an untouched one stays.
        return current if current and typed == current.strip() else typed

    def flag(self, name: str) -> bool:
        """A checkbox (Mattermost sends booleans, older clients the strings ``"true"``/``"false"``)."""
        value = self.values.get(name)
        return value is True or (isinstance(value, str) and value.lower() == "true")

    def span(self, name: str) -> int:
        """An interval in seconds (``1h``), 0 when empty."""
        typed = self.text(name)
        if not typed:
            return 0
        try:
            return int(parse_span(typed).total_seconds())
        except ValueError:
            self.errors[name] = "Write a time like 15m, 1h, 1d or 1d12h."
            return 0

    async def people(self, name: str, current: tuple[str, ...] = ()) -> tuple[str, ...]:
        """The ids of the people named (``@alice bob``); each must be on the playbook's team.

        The form writes someone it cannot name (a deleted account) by id: an id of ``current``
        is kept as it is."""
        found: list[str] = []
        for word in _words(self.text(name)):
            if word.removeprefix("@") in current:
                found.append(word.removeprefix("@"))
                continue
            user = await self.services.people.by_username(word.removeprefix("@"))
            on_team = user is not None and await self.services.people.is_team_member(
                self.playbook.team_id, user.id
            )
            if user is None or not on_team:
                self.errors[name] = f"I don't know {word} on this team."
            elif user.is_bot:
                self.errors[name] = f"{word} is a bot: runs are owned and worked on by people."
            else:
                found.append(user.id)
        return tuple(dict.fromkeys(found))

    async def channels(self, name: str, current: tuple[str, ...] = ()) -> tuple[str, ...]:
        """The ids of the team's channels named (``~town-square``); an id of ``current`` (a channel
        the bot can no longer read, written by id) is kept as it is."""
        found: list[str] = []
        for word in _words(self.text(name)):
            if word.removeprefix("~") in current:
                found.append(word.removeprefix("~"))
                continue
            channel = await self.services.gateway.channel_by_name(
                self.playbook.team_id, word.removeprefix("~")
            )
            if channel is None or not await self._usable(channel.id, channel.type):
                self.errors[name] = f"I can't find the channel {word} in this team."
            else:
                found.append(channel.id)
        return tuple(dict.fromkeys(found))

    async def channel(self, name: str) -> str:
        """A channel picked with the channel picker ('' when none)."""
        channel_id = self.text(name)
        if not channel_id:
            return ""
        try:
            channel = await self.services.gateway.channel(channel_id)
        except MattermostError:
            channel = None
        if channel is None or channel.team_id != self.playbook.team_id or channel.is_archived:
            self.errors[name] = "Choose a channel of this team."
            return ""
        if not await self._usable(channel.id, channel.type):
            self.errors[name] = "Choose a channel you are a member of."
            return ""
        return channel.id

    async def user(self, name: str) -> str:
        """A person picked with the user picker ('' when none)."""
        user_id = self.text(name)
        if user_id and not await self.services.people.is_team_member(self.playbook.team_id, user_id):
            self.errors[name] = "Choose someone on this team."
            return ""
        if user_id and (await self.services.people.user(user_id)).is_bot:
            self.errors[name] = "Choose a person: a bot can't own a run."
            return ""
        return user_id

    async def urls(self, name: str) -> tuple[str, ...]:
        """Webhook URLs, one a line, each vetted by the address guard."""
        urls = tuple(dict.fromkeys(line.strip() for line in self.text(name).splitlines() if line.strip()))
        for url in urls:
            try:
                await resolve_public_target(url, allow_private=self.services.allow_private_webhook_addresses)
            except TargetError as error:
                self.errors[name] = f"{url}: {error}"
        return urls

    async def _usable(self, channel_id: str, kind: str) -> bool:
        """Public channels, and private ones the person is in."""
        if kind == "O":
            return True
        if kind != "P":
            return False
        return self.user_id in await self.services.gateway.channel_member_ids(channel_id)

    def done(self, edited: Playbook, fields: Mapping[str, str]) -> Playbook:
        """The edited playbook, or every error found (rule breaks placed under ``fields``' elements)."""
        try:
            edited.validated()
        except InvalidPlaybookError as error:
            for problem in error.problems:
                key = next((name for prefix, name in fields.items() if problem.field.startswith(prefix)), "")
                if key:
                    self.errors.setdefault(key, problem.message)
                else:
                    self.errors.setdefault(next(iter(fields.values())), str(problem))
        if self.errors:
            raise FormFieldsError(self.errors)
        return edited


def _words(text: str) -> list[str]:
    return [word for word in _NAMES.split(text) if word]
