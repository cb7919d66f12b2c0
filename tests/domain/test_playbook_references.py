"""The settings of a playbook file that point at a server: read, written, and round-tripped."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain.playbook import Playbook
from bot.domain.playbook_settings import DefaultOwnerSettings, InviteSettings, WebhookSettings
from bot.playbook_export import export_playbook
from bot.playbook_format import PlaybookImportError, import_playbook
from bot.playbook_references import ExportNames, MemberReference, Named

BASE = {"version": 1, "title": "T"}


def test_portable_settings_are_kept_and_a_missing_public_means_public() -> None:
    doc = BASE | {
        "create_public_playbook_run": True,
        "invite_users_enabled": True,
        "broadcast_enabled": True,
        "webhook_on_creation_enabled": True,
        "webhook_on_creation_urls": ["https://hooks.example.com/a"],
        "webhook_on_status_update_urls": ["https://hooks.example.com/b"],
    }
    result = import_playbook(doc, team_id="t", importer_id="alice")
    playbook = result.playbook
    assert playbook.public
    assert playbook.channel.create_public_channel
    assert playbook.invites == InviteSettings(enabled=True)
    assert playbook.status_updates.broadcast_enabled
    assert playbook.creation_webhooks == WebhookSettings(("https://hooks.example.com/a",), True)
    assert playbook.status_updates.webhooks == WebhookSettings(("https://hooks.example.com/b",), False)
    assert result.warnings == ()
    assert not import_playbook(BASE | {"public": False}, team_id="t", importer_id="a").playbook.public


def test_names_win_over_the_ids_beside_them() -> None:
    doc = BASE | {
        "broadcast_channel_ids": ["c1"],
        "broadcast_channels": ["~town-square"],
        "invited_user_ids": ["u1", "u2"],
        "default_owner_id": "u3",
        "default_owner": "@carol",
        "default_owner_enabled": True,
    }
    references = import_playbook(doc, team_id="t", importer_id="a").references
    assert references.broadcast_channels == Named(names=(("broadcast_channels[0]", "town-square"),))
    assert references.invited_users == Named(
        ids=(("invited_user_ids[0]", "u1"), ("invited_user_ids[1]", "u2"))
    )
    assert references.default_owner == Named(names=(("default_owner", "carol"),))
    assert references.present == {"broadcast", "invites", "default_owner"}
    # The default owner is set once looked up: the file's playbook has none yet.
    assert import_playbook(doc, team_id="t", importer_id="a").playbook.default_owner == DefaultOwnerSettings()


def test_members_are_read_from_mattermost_roles_or_our_admin_flag() -> None:
    doc = BASE | {
        "members": [
            {"user_id": "u1", "roles": ["playbook_member", "playbook_admin"], "scheme_roles": []},
            {"user": "bob", "admin": False},
            {"user": "carol", "user_id": "u9", "admin": True},
        ]
    }
    assert import_playbook(doc, team_id="t", importer_id="a").references.members == (
        MemberReference("members[0]", user_id="u1", admin=True),
        MemberReference("members[1]", username="bob"),
        MemberReference("members[2]", username="carol", admin=True),
    )


def test_a_member_naming_nobody_is_a_problem() -> None:
    with pytest.raises(PlaybookImportError, match=r"members\[0\]: must name a user"):
        import_playbook(BASE | {"members": [{"admin": True}]}, team_id="t", importer_id="a")


def test_export_writes_ids_with_names_beside_them_and_only_what_is_set() -> None:
    playbook = Playbook(
        "p",
        "t",
        "T",
        public=False,
        member_ids=("alice", "bob"),
        admin_ids=("alice",),
        invites=InviteSettings(("bob",), enabled=True),
        default_owner=DefaultOwnerSettings("alice", enabled=True),
    )
    playbook = replace(
        playbook,
        status_updates=replace(
            playbook.status_updates, broadcast_channel_ids=("c1",), broadcast_enabled=True
        ),
    )
    names = ExportNames(users={"alice": "alice", "bob": "bob"}, channels={"c1": "town-square"})
    exported = export_playbook(playbook, names)
    assert {key: value for key, value in exported.items() if key not in ("version", "title")} == {
        "checklists": [],
        "metrics": [],
        "public": False,
        "broadcast_channel_ids": ["c1"],
        "broadcast_channels": ["town-square"],
        "broadcast_enabled": True,
        "invited_user_ids": ["bob"],
        "invited_users": ["bob"],
        "invite_users_enabled": True,
        "default_owner_id": "alice",
        "default_owner": "alice",
        "default_owner_enabled": True,
        "members": [
            {
                "user_id": "alice",
                "roles": ["playbook_member", "playbook_admin"],
                "user": "alice",
                "admin": True,
            },
            {"user_id": "bob", "roles": ["playbook_member"], "user": "bob", "admin": False},
        ],
    }
    again = import_playbook(exported, team_id="t", importer_id="alice")
    assert again.warnings == ()
    assert again.references.members == (
        MemberReference("members[0]", username="alice", admin=True),
        MemberReference("members[1]", username="bob"),
    )
