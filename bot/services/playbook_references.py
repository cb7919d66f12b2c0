"""An imported file's people, channels and webhook URLs, checked against this server.

:func:`resolve_references` keeps each reference that exists here and that the importing person
may use, and drops the others with a warning naming what was dropped: a broadcast channel must be
a live channel of the playbook's team that the person can read, a user (invited, default owner,
member) must be on the team, and a webhook URL must pass the address guard
(:func:`bot.net.resolve_public_target`). :func:`export_names` gives the names written beside the
ids on export.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot.domain.playbook import Playbook
from bot.domain.playbook_settings import DefaultOwnerSettings
from bot.mattermost.errors import MattermostError
from bot.mattermost.types import MMChannel, MMUser
from bot.net import UnresolvableTargetError, UnsafeTargetError, resolve_public_target
from bot.playbook_references import ExportNames, Named, References

if TYPE_CHECKING:
    from bot.services.context import Services

_PUBLIC, _PRIVATE = "O", "P"


async def resolve_references(
    services: Services, playbook: Playbook, references: References, *, importer_id: str
) -> tuple[Playbook, tuple[str, ...]]:
    """``playbook`` (as the file made it, the importer its admin) with the references that hold
    on this server, and one warning for each that was dropped or is doubtful."""
    resolver = _Resolver(services, playbook.team_id, importer_id)
    channels = await resolver.channels(references.broadcast_channels)
    invited = await resolver.users(references.invited_users)
    owners = await resolver.users(references.default_owner)
    member_ids, admin_ids = [importer_id], [importer_id]
    for member in references.members:
        named = (
            Named(names=((f"{member.path}.user", member.username),))
            if member.username
            else Named(ids=((f"{member.path}.user_id", member.user_id),))
        )
        for user_id in await resolver.users(named):
            member_ids.append(user_id)
            if member.admin:
                admin_ids.append(user_id)
    owner_enabled = references.default_owner_enabled
    if owner_enabled and not owners:
        resolver.warnings.append(
            "default_owner_enabled: no default owner on this server, so runs are owned by whoever starts them"
        )
        owner_enabled = False
    creation = await resolver.urls("webhook_on_creation_urls", playbook.creation_webhooks.urls)
    updates = playbook.status_updates
    on_update = await resolver.urls("webhook_on_status_update_urls", updates.webhooks.urls)
    resolved = replace(
        playbook,
        member_ids=tuple(dict.fromkeys(member_ids)),
        admin_ids=tuple(dict.fromkeys(admin_ids)),
        invites=replace(playbook.invites, user_ids=tuple(invited)),
        default_owner=DefaultOwnerSettings(user_id=owners[0] if owners else "", enabled=owner_enabled),
        creation_webhooks=replace(playbook.creation_webhooks, urls=creation),
        status_updates=replace(
            updates, broadcast_channel_ids=tuple(channels), webhooks=replace(updates.webhooks, urls=on_update)
        ),
    )
    return resolved.validated(), tuple(resolver.warnings)


async def export_names(services: Services, playbook: Playbook) -> ExportNames:
    """Usernames and channel names of the ids the playbook refers to (those that still exist)."""
    user_ids = {*playbook.member_ids, *playbook.invites.user_ids}
    if playbook.default_owner.user_id:
        user_ids.add(playbook.default_owner.user_id)
    users = await services.people.usernames(user_ids)
    channels: dict[str, str] = {}
    for channel_id in playbook.status_updates.broadcast_channel_ids:
        try:
            channels[channel_id] = (await services.gateway.channel(channel_id)).name
        except MattermostError:
            continue  # gone or unreadable: its id is still exported
    return ExportNames(users=users, channels=channels)


class _Resolver:
    """Looks references up for one import, collecting a warning for each one dropped."""

    def __init__(self, services: Services, team_id: str, importer_id: str) -> None:
        self.services = services
        self.team_id = team_id
        self.importer_id = importer_id
        self.warnings: list[str] = []

    async def channels(self, named: Named) -> list[str]:
        found: list[str] = []
        for path, name in named.names:
            channel = await self._channel_by_name(name)
            if channel is None or not await self._may_read(channel):
                self.warnings.append(f"{path}: no channel “{name}” in this team that you can read; dropped")
            else:
                found.append(channel.id)
        for path, channel_id in named.ids:
            channel = await self._channel_by_id(channel_id)
            if channel is None or not await self._may_read(channel):
                self.warnings.append(
                    f"{path}: channel {channel_id} is not in this team or you can't read it; dropped"
                )
            else:
                found.append(channel.id)
        return list(dict.fromkeys(found))

    async def users(self, named: Named) -> list[str]:
        found: list[str] = []
        for path, name in named.names:
            user = await self.services.people.by_username(name) if name else None
            if user is None or not await self._usable(user):
                self.warnings.append(f"{path}: no user “@{name}” on this team; dropped")
            else:
                found.append(user.id)
        if named.ids:
            known = await self.services.people.users(user_id for _, user_id in named.ids)
            for path, user_id in named.ids:
                user = known.get(user_id)
                if user is None or not await self._usable(user):
                    self.warnings.append(f"{path}: user {user_id} is not on this team; dropped")
                else:
                    found.append(user.id)
        return list(dict.fromkeys(found))

    async def urls(self, path: str, urls: tuple[str, ...]) -> tuple[str, ...]:
        kept: list[str] = []
        for index, url in enumerate(urls):
            try:
                await resolve_public_target(url, allow_private=self.services.allow_private_webhook_addresses)
            except UnsafeTargetError as error:
                self.warnings.append(f"{path}[{index}]: {error}; dropped")
                continue
            except UnresolvableTargetError as error:
                # Maybe for a while only: deliveries check the address again and retry.
                self.warnings.append(f"{path}[{index}]: {error}; kept, deliveries will retry")
            kept.append(url)
        return tuple(kept)

    async def _channel_by_name(self, name: str) -> MMChannel | None:
        try:
            return await self.services.gateway.channel_by_name(self.team_id, name) if name else None
        except MattermostError:
            return None

    async def _channel_by_id(self, channel_id: str) -> MMChannel | None:
        try:
            return await self.services.gateway.channel(channel_id) if channel_id else None
        except MattermostError:
            return None

    async def _may_read(self, channel: MMChannel) -> bool:
        if channel.team_id != self.team_id or channel.is_archived or channel.type not in (_PUBLIC, _PRIVATE):
            return False
        if channel.type == _PUBLIC:  # the importer is on the team: every public channel is readable
            return True
        try:
            return await self.services.gateway.is_channel_member(channel.id, self.importer_id)
        except MattermostError:
            return False

    async def _usable(self, user: MMUser) -> bool:
        return not user.is_bot and await self.services.people.is_team_member(self.team_id, user.id)
