"""The parts of a playbook export that point at a server: people, channels, and who may use it.

Mattermost's export leaves these out; its import reads them when present (``public``,
``broadcast_channel_ids``, ``invited_user_ids``...). We read and write them, so that a playbook
exported here, kept in git and imported again keeps its automation:

* settings that mean the same on any server are plain values: ``public``,
  ``create_public_playbook_run``, the ``*_enabled`` switches and the webhook URLs;
* ids (``broadcast_channel_ids``, ``invited_user_ids``, ``default_owner_id``, ``members``) only
  mean something on the server they came from. Beside them we write portable names, our addition
  like ``schedules``: ``broadcast_channels: [town-square]``, ``invited_users: [alice]``,
  ``default_owner: alice``, ``members: [{user: bob, admin: false}]``. When a file gives names, the
  names are used and the ids beside them ignored; otherwise the ids are.

This module only reads and writes the document: :class:`References` is what a file asks for,
unresolved. :mod:`bot.services.playbook_references` checks each one against the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.domain.playbook import Playbook
from bot.playbook_document import Document, FieldReader

PLAYBOOK_MEMBER_ROLE = "playbook_member"
PLAYBOOK_ADMIN_ROLE = "playbook_admin"

# Each group of keys is taken from the file as a whole: a replaced playbook keeps its current
# values for the groups the file does not mention.
GROUPS: Mapping[str, frozenset[str]] = {
    "public": frozenset({"public"}),
    "create_public_playbook_run": frozenset({"create_public_playbook_run"}),
    "members": frozenset({"members"}),
    "invites": frozenset({"invited_user_ids", "invited_users", "invite_users_enabled"}),
    "default_owner": frozenset({"default_owner_id", "default_owner", "default_owner_enabled"}),
    "broadcast": frozenset({"broadcast_channel_ids", "broadcast_channels", "broadcast_enabled"}),
    "webhook_on_creation": frozenset({"webhook_on_creation_urls", "webhook_on_creation_enabled"}),
    "webhook_on_status_update": frozenset(
        {"webhook_on_status_update_urls", "webhook_on_status_update_enabled"}
    ),
}
KEYS = frozenset().union(*GROUPS.values())
"""Every top-level key this module reads."""

_MEMBER_FIELDS = frozenset({"user", "user_id", "admin", "roles", "scheme_roles"})


@dataclass(frozen=True, slots=True)
class MemberReference:
    """One entry of ``members``: a user by name (ours) or id (Mattermost's), and whether admin."""

    path: str
    user_id: str = ""
    username: str = ""
    admin: bool = False


@dataclass(frozen=True, slots=True)
class Named:
    """A list of things given by id or by name, each with the path it was read from."""

    ids: tuple[tuple[str, str], ...] = ()
    names: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class References:
    """What an import document asks for on this server, before anything is looked up."""

    present: frozenset[str] = frozenset()
    """The :data:`GROUPS` the document mentions."""
    public: bool = True
    create_public_playbook_run: bool = False
    broadcast_channels: Named = field(default_factory=Named)
    broadcast_enabled: bool = False
    invited_users: Named = field(default_factory=Named)
    invite_users_enabled: bool = False
    default_owner: Named = field(default_factory=Named)
    default_owner_enabled: bool = False
    members: tuple[MemberReference, ...] = ()
    webhook_on_creation_urls: tuple[str, ...] = ()
    webhook_on_creation_enabled: bool = False
    webhook_on_status_update_urls: tuple[str, ...] = ()
    webhook_on_status_update_enabled: bool = False


def read_references(reader: FieldReader, doc: Mapping[str, Any]) -> References:
    """The server references of ``doc``; a missing ``public`` means public, as Mattermost imports."""
    present = frozenset(group for group, keys in GROUPS.items() if keys & doc.keys())
    public = reader.flag(doc, "public", "public") if "public" in doc else True
    return References(
        present=present,
        public=public,
        create_public_playbook_run=reader.flag(
            doc, "create_public_playbook_run", "create_public_playbook_run"
        ),
        broadcast_channels=_named_list(reader, doc, "broadcast_channel_ids", "broadcast_channels"),
        broadcast_enabled=reader.flag(doc, "broadcast_enabled", "broadcast_enabled"),
        invited_users=_named_list(reader, doc, "invited_user_ids", "invited_users"),
        invite_users_enabled=reader.flag(doc, "invite_users_enabled", "invite_users_enabled"),
        default_owner=_named_one(reader, doc, "default_owner_id", "default_owner"),
        default_owner_enabled=reader.flag(doc, "default_owner_enabled", "default_owner_enabled"),
        members=_members(reader, doc),
        webhook_on_creation_urls=_urls(reader, doc, "webhook_on_creation_urls"),
        webhook_on_creation_enabled=reader.flag(
            doc, "webhook_on_creation_enabled", "webhook_on_creation_enabled"
        ),
        webhook_on_status_update_urls=_urls(reader, doc, "webhook_on_status_update_urls"),
        webhook_on_status_update_enabled=reader.flag(
            doc, "webhook_on_status_update_enabled", "webhook_on_status_update_enabled"
        ),
    )


def _named_list(reader: FieldReader, doc: Mapping[str, Any], ids_key: str, names_key: str) -> Named:
    names = tuple(
        (path, name.strip().removeprefix("@").removeprefix("~"))
        for path, name in reader.texts(doc, names_key, names_key)
    )
    ids = tuple(reader.texts(doc, ids_key, ids_key))
    return Named(ids=() if names_key in doc else ids, names=names)


def _named_one(reader: FieldReader, doc: Mapping[str, Any], id_key: str, name_key: str) -> Named:
    name = reader.text(doc, name_key, name_key).strip().removeprefix("@")
    user_id = reader.text(doc, id_key, id_key).strip()
    if name:
        return Named(names=((name_key, name),))
    return Named(ids=((id_key, user_id),)) if user_id else Named()


def _urls(reader: FieldReader, doc: Mapping[str, Any], key: str) -> tuple[str, ...]:
    return tuple(url.strip() for _, url in reader.texts(doc, key, key) if url.strip())


def _members(reader: FieldReader, doc: Mapping[str, Any]) -> tuple[MemberReference, ...]:
    members: list[MemberReference] = []
    for path, raw in reader.mappings(doc, "members", "members", example="{user: bob, admin: false}"):
        roles = [role for _, role in reader.texts(raw, "roles", f"{path}.roles")]
        admin = reader.flag(raw, "admin", f"{path}.admin") if "admin" in raw else PLAYBOOK_ADMIN_ROLE in roles
        username = reader.text(raw, "user", f"{path}.user").strip().removeprefix("@")
        user_id = reader.text(raw, "user_id", f"{path}.user_id").strip()
        if not (username or user_id):
            reader.fail(path, "must name a user, such as {user: bob, admin: false}")
        for key in raw:
            if key not in _MEMBER_FIELDS:
                reader.warn(f"{path}.{key}", "unknown field, ignored")
        members.append(
            MemberReference(path, user_id="" if username else user_id, username=username, admin=admin)
        )
    return tuple(members)


# Export ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportNames:
    """Names of the users and channels a playbook refers to, by id, for the portable keys."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)


def export_references(doc: Document, playbook: Playbook, names: ExportNames) -> None:
    """Add the playbook's server references to ``doc``: the settings that are set, each id list
    with its portable names beside it. ``public`` is written only for a private playbook, and
    ``members`` only when the playbook has more than one, so a playbook imported from one of
    Mattermost's own exports writes back unchanged."""
    if not playbook.public:
        doc["public"] = False
    _put(doc, "create_public_playbook_run", playbook.channel.create_public_channel)
    updates = playbook.status_updates
    _put(doc, "broadcast_channel_ids", list(updates.broadcast_channel_ids))
    _put(doc, "broadcast_channels", _names(updates.broadcast_channel_ids, names.channels))
    _put(doc, "broadcast_enabled", updates.broadcast_enabled)
    _put(doc, "invited_user_ids", list(playbook.invites.user_ids))
    _put(doc, "invited_users", _names(playbook.invites.user_ids, names.users))
    _put(doc, "invite_users_enabled", playbook.invites.enabled)
    _put(doc, "default_owner_id", playbook.default_owner.user_id)
    _put(doc, "default_owner", names.users.get(playbook.default_owner.user_id, ""))
    _put(doc, "default_owner_enabled", playbook.default_owner.enabled)
    _put(doc, "webhook_on_creation_urls", list(playbook.creation_webhooks.urls))
    _put(doc, "webhook_on_creation_enabled", playbook.creation_webhooks.enabled)
    _put(doc, "webhook_on_status_update_urls", list(updates.webhooks.urls))
    _put(doc, "webhook_on_status_update_enabled", updates.webhooks.enabled)
    if len(playbook.member_ids) > 1:
        doc["members"] = [_member(user_id, playbook, names) for user_id in playbook.member_ids]


def _put(doc: Document, key: str, value: object) -> None:
    if value:  # zero values are left out, as Mattermost's export does
        doc[key] = value


def _names(ids: tuple[str, ...], names: Mapping[str, str]) -> list[str]:
    return [names[id_] for id_ in ids if id_ in names]


def _member(user_id: str, playbook: Playbook, names: ExportNames) -> Document:
    admin = user_id in playbook.admin_ids
    roles = [PLAYBOOK_MEMBER_ROLE, PLAYBOOK_ADMIN_ROLE] if admin else [PLAYBOOK_MEMBER_ROLE]
    member: Document = {"user_id": user_id, "roles": roles}
    if user_id in names.users:
        member["user"] = names.users[user_id]
    member["admin"] = admin
    return member
