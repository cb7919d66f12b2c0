"""Rules the simulator follows because the real Mattermost does (each confirmed by tests/conformance).

``pending_post_id`` memory, ``PostEditTimeLimit`` and ``PUT /config/patch``, untrusted internal
connections, the team of a dialog submission, ``detailed_error``, and the order of posts made in
the same millisecond. The simulator's clock is moved instead of waiting.
"""

from __future__ import annotations

from mattermost_sim import Simulator

from .fake_integration import FakeIntegration, reply_json
from .server_fixtures import ALICE, BOT, ROOT, Clock, call, clock, integration, server, square, team_id

__all__ = ["clock", "integration", "server"]  # fixtures

# -- pending_post_id ---------------------------------------------------------------


async def test_a_pending_post_id_is_remembered_for_thirty_seconds(server: Simulator, clock: Clock) -> None:
    body = {"channel_id": square(server), "message": "once", "pending_post_id": "run:welcome"}
    _, first = await call(server, "POST", "/posts", BOT, body)
    clock.advance(29)
    _, again = await call(server, "POST", "/posts", BOT, body)
    clock.advance(2)
    _, later = await call(server, "POST", "/posts", BOT, body)

    assert again["id"] == first["id"]
    assert later["id"] != first["id"]


async def test_a_pending_post_id_is_keyed_alone_and_never_returns_a_deleted_post(server: Simulator) -> None:
    body = {"channel_id": square(server), "message": "once", "pending_post_id": "shared-key"}
    _, first = await call(server, "POST", "/posts", BOT, body)
    _, by_alice = await call(server, "POST", "/posts", ALICE, body)
    await call(server, "DELETE", f"/posts/{first['id']}", BOT)
    status, error = await call(server, "POST", "/posts", BOT, body)

    assert by_alice["id"] == first["id"]  # anyone who may read it gets it back
    assert (status, error["id"]) == (500, "api.post.deduplicate_create_post.failed_to_get")


async def test_a_pending_post_id_of_an_unreadable_post_is_ignored(server: Simulator) -> None:
    _, private = await call(
        server,
        "POST",
        "/channels",
        BOT,
        {"team_id": team_id(server), "name": "p", "display_name": "P", "type": "P"},
    )
    key = "secret-key"
    _, secret = await call(
        server, "POST", "/posts", BOT, {"channel_id": private["id"], "message": "s", "pending_post_id": key}
    )
    status, mine = await call(
        server,
        "POST",
        "/posts",
        ALICE,
        {"channel_id": square(server), "message": "m", "pending_post_id": key},
    )

    assert (status, mine["message"]) == (201, "m")
    assert mine["id"] != secret["id"]


async def test_a_restart_forgets_pending_post_ids(server: Simulator) -> None:
    body = {"channel_id": square(server), "message": "once", "pending_post_id": "k"}
    _, first = await call(server, "POST", "/posts", BOT, body)
    await server.restart()
    _, second = await call(server, "POST", "/posts", BOT, body)

    assert second["id"] != first["id"]


# -- PostEditTimeLimit and /config/patch ------------------------------------------------


async def test_config_patch_is_decoded_then_for_system_admins(server: Simulator) -> None:
    wrong_type = await call(
        server, "PUT", "/config/patch", ALICE, {"ServiceSettings": {"PostEditTimeLimit": "5"}}
    )
    as_person = await call(
        server, "PUT", "/config/patch", ALICE, {"ServiceSettings": {"PostEditTimeLimit": 5}}
    )
    as_bot = await call(server, "GET", "/config", BOT)
    status, config = await call(
        server, "PUT", "/config/patch", ROOT, {"ServiceSettings": {"PostEditTimeLimit": 5}}
    )

    assert (wrong_type[0], wrong_type[1]["id"]) == (400, "api.context.invalid_body_param.app_error")
    assert (as_person[0], as_bot[0]) == (403, 403)
    assert (status, config["ServiceSettings"]["PostEditTimeLimit"]) == (200, 5)
    assert server.config.post_edit_time_limit == 5


async def test_the_edit_time_limit_refuses_message_edits_to_everyone(server: Simulator, clock: Clock) -> None:
    _, post = await call(server, "POST", "/posts", BOT, {"channel_id": square(server), "message": "m"})
    _, backdated = await call(
        server,
        "POST",
        "/posts",
        ROOT,
        {"channel_id": square(server), "message": "old", "create_at": clock() - 120_000},
    )
    await call(server, "PUT", "/config/patch", ROOT, {"ServiceSettings": {"PostEditTimeLimit": 60}})
    fresh = await call(server, "PUT", f"/posts/{post['id']}/patch", BOT, {"message": "fresh"})
    clock.advance(61)
    late_patch = await call(server, "PUT", f"/posts/{post['id']}/patch", BOT, {"message": "late"})
    same_message = await call(server, "PUT", f"/posts/{post['id']}/patch", BOT, {"message": "fresh"})
    late_put = await call(server, "PUT", f"/posts/{post['id']}", BOT, {"id": post["id"], "message": "late"})
    unchanged_put = await call(
        server,
        "PUT",
        f"/posts/{post['id']}",
        BOT,
        {"id": post["id"], "message": "fresh", "props": {"a": "b"}},
    )
    props_only = await call(server, "PUT", f"/posts/{post['id']}/patch", BOT, {"props": {"c": "d"}})
    admin = await call(server, "PUT", f"/posts/{backdated['id']}/patch", ROOT, {"message": "new"})

    refused = "api.post.update_post.permissions_time_limit.app_error"
    assert fresh[0] == 200
    assert backdated["create_at"] < clock() - 120_000 + 1000
    assert [(r[0], r[1].get("id")) for r in (late_patch, same_message, late_put, admin)] == [
        (400, refused)
    ] * 4
    assert (unchanged_put[0], props_only[0]) == (200, 200)


async def test_only_system_admins_backdate_posts(server: Simulator, clock: Clock) -> None:
    when = clock() - 3_600_000
    _, by_bot = await call(
        server, "POST", "/posts", BOT, {"channel_id": square(server), "message": "b", "create_at": when}
    )
    _, by_admin = await call(
        server, "POST", "/posts", ROOT, {"channel_id": square(server), "message": "r", "create_at": when}
    )

    assert (by_bot["create_at"] != when, by_admin["create_at"]) == (True, when)


# -- untrusted internal connections ---------------------------------------------------------


async def _command(sim: Simulator, url: str, trigger: str = "probe") -> None:
    body = {"team_id": team_id(sim), "trigger": trigger, "url": url, "method": "P"}
    status, _ = await call(sim, "POST", "/commands", BOT, body)
    assert status == 201


async def test_loopback_integrations_are_refused_unless_allowed(
    server: Simulator, integration: FakeIntegration
) -> None:
    integration.on("/slash", reply_json({"text": "hi"}))
    await _command(server, integration.url("/slash"))
    run = {"channel_id": square(server), "team_id": team_id(server), "command": "/probe"}
    allowed = await call(server, "POST", "/commands/execute", ALICE, run)
    await call(
        server, "PUT", "/config/patch", ROOT, {"ServiceSettings": {"AllowedUntrustedInternalConnections": ""}}
    )
    refused = await call(server, "POST", "/commands/execute", ALICE, run)
    await call(
        server,
        "PUT",
        "/config/patch",
        ROOT,
        {"ServiceSettings": {"AllowedUntrustedInternalConnections": "127.0.0.1"}},
    )
    by_host = await call(server, "POST", "/commands/execute", ALICE, run)

    assert allowed[0] == 200  # the default allows 127.0.0.0/8 localhost ::1, as mattermost_real sets
    assert (refused[0], refused[1]["id"]) == (500, "api.command.execute_command.failed.app_error")
    assert "AllowedUntrustedInternalConnections" in server.integrations.failures[-1].detail
    assert by_host[0] == 200
    assert len(integration.received) == 2


async def test_reserved_addresses_are_refused_for_buttons_and_dialogs(server: Simulator) -> None:
    reserved = "http://192.0.2.1:9/hook"  # TEST-NET-1, never contacted
    action = {"id": "go", "type": "button", "name": "Go", "integration": {"url": reserved}}
    _, post = await call(
        server,
        "POST",
        "/posts",
        BOT,
        {"channel_id": square(server), "message": "b", "props": {"attachments": [{"actions": [action]}]}},
    )
    click = await call(server, "POST", f"/posts/{post['id']}/actions/go", ALICE, {})
    submit = {"url": reserved, "channel_id": square(server), "team_id": team_id(server), "submission": {}}
    dialog = await call(server, "POST", "/actions/dialogs/submit", ALICE, submit)

    assert [(r[0], r[1]["id"]) for r in (click, dialog)] == [
        (400, "api.post.do_action.action_integration.app_error")
    ] * 2
    assert all(call_.status == 0 for call_ in server.integrations.calls)


# -- dialog submissions ---------------------------------------------------------------------


async def test_a_dialog_submission_carries_the_team_the_client_sends(
    server: Simulator, integration: FakeIntegration
) -> None:
    integration.on("/dialog", reply_json({}))
    alice, bot = (server.state.user_by_username(name) for name in ("alice", "playbooks"))
    assert alice is not None
    assert bot is not None
    direct = server.state.direct_channel(alice, bot)
    other = server.state.add_team("other", "Other")
    body = {
        "url": integration.url("/dialog"),
        "channel_id": direct.id,
        "submission": {"a": "b"},
        "callback_id": "c",
    }
    with_team = await call(
        server, "POST", "/actions/dialogs/submit", ALICE, {**body, "team_id": team_id(server)}
    )
    without = await call(server, "POST", "/actions/dialogs/submit", ALICE, body)
    foreign = await call(server, "POST", "/actions/dialogs/submit", ALICE, {**body, "team_id": other.id})
    missing = await call(server, "POST", "/actions/dialogs/submit", ALICE, {**body, "channel_id": "z" * 26})

    assert with_team[0] == 200
    forwarded = integration.last("/dialog").json()
    assert (forwarded["team_id"], forwarded["channel_id"], forwarded["type"]) == (
        team_id(server),
        direct.id,
        "dialog_submission",
    )
    assert (without[0], foreign[0]) == (403, 403)
    assert (missing[0], missing[1]["id"]) == (404, "app.channel.get.existing.app_error")


# -- errors and ordering --------------------------------------------------------------------


async def test_detailed_error_is_blank_unless_developer_mode(server: Simulator) -> None:
    hidden = await call(server, "GET", "/users/me", None)
    server.config.enable_developer = True
    shown = await call(server, "GET", "/users/me", None)

    assert (hidden[0], hidden[1]["detailed_error"]) == (401, "")
    assert shown[1]["detailed_error"]


async def test_posts_of_the_same_millisecond_are_listed_newest_made_first(
    server: Simulator, clock: Clock
) -> None:
    _, channel = await call(
        server,
        "POST",
        "/channels",
        ROOT,
        {"team_id": team_id(server), "name": "ties", "display_name": "Ties", "type": "O"},
    )
    at = clock() - 5000
    made = [
        (
            await call(
                server,
                "POST",
                "/posts",
                ROOT,
                {"channel_id": channel["id"], "message": f"m{n}", "create_at": at},
            )
        )[1]["id"]
        for n in range(4)
    ]
    # Three: root's "joined the channel" message (made now) and the two newest of the tie.
    _, page = await call(server, "GET", f"/channels/{channel['id']}/posts?page=0&per_page=3", ROOT)

    assert page["order"][1:] == made[:1:-1]
    assert page["prev_post_id"] not in made  # the cursor skips the rest of that millisecond
