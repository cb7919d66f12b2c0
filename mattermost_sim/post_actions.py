"""Message buttons and menus: ``POST /api/v4/posts/{post_id}/actions/{action_id}``.

Mirrors ``DoPostActionWithCookie``: the clicking user needs ``read_channel``; the server
POSTs the §2.2 body (the stored action's ``integration.context`` verbatim, the chosen
option of a menu inside it, a fresh ``trigger_id``) to ``integration.url`` and applies
the reply: ``update`` replaces the post's message and props (the retained props
``from_webhook``/``override_*`` survive), ``ephemeral_text`` goes to the clicker alone.
Buttons of ephemeral posts work too, from the posts the state keeps for that purpose.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .app import current_user, sim_of
from .command_responses import slack_text_to_markdown
from .errors import AppError, forbidden, invalid_url_param
from .ids import is_valid_id
from .integrations import Integrations, json_response
from .models import Channel, Post, User
from .permissions import channel_grants

# model.PostActionRetainPropKeys
RETAINED_PROPS = ("from_webhook", "override_username", "override_icon_url")


def _action_failed(detail: str) -> AppError:
    return AppError(
        400,
        "api.post.do_action.action_integration.app_error",
        "Action integration error.",
        detail,
    )


async def do_post_action(request: web.Request) -> web.Response:
    """Click a button or choose a menu option, as a Mattermost client does."""
    user = current_user(request)
    sim = sim_of(request)
    state = sim.state
    post_id = request.match_info["post_id"]
    action_id = request.match_info["action_id"]
    if not is_valid_id(post_id):
        raise invalid_url_param("post_id")
    try:
        click = json.loads(await request.read() or b"{}")
    except (ValueError, UnicodeDecodeError):
        click = {}  # Mattermost only logs an undecodable click body
    selected = click.get("selected_option") if isinstance(click, dict) else None
    selected_option = selected if isinstance(selected, str) else ""

    stored = state.posts.get(post_id)
    post = stored if stored is not None and not stored.delete_at else sim.integrations.ephemeral_post(post_id)
    channel = state.channels.get(post.channel_id) if post is not None else None
    if post is None or channel is None:
        if not user.is_system_admin:
            raise forbidden("read_channel")
        raise AppError(404, "app.post.get.app_error", "Unable to get the post.")
    # ``SessionHasPermissionToChannelByPost(read_channel_content)``: unlike reading, no fallback to
    # the team for public channels, so only the channel's members (and system admins) may click.
    if not channel_grants(state, user, channel, "read_channel_content"):
        raise forbidden("read_channel_content")
    action = post.action(action_id)
    integration = action.get("integration") if action is not None else None
    if action is None or not isinstance(integration, dict):
        raise AppError(
            404, "api.post.do_action.action_id.app_error", "Unable to find action.", f"action={action}"
        )
    trigger_id = await click_action(
        sim.integrations, user, post, channel, action, integration, selected_option
    )
    return json_response({"status": "OK", "trigger_id": trigger_id})


async def click_action(
    integrations: Integrations,
    user: User,
    post: Post,
    channel: Channel,
    action: dict[str, Any],
    integration: dict[str, Any],
    selected_option: str = "",
) -> str:
    """Call the action's integration and apply its reply; return the new ``trigger_id``."""
    state = integrations.sim.state
    team = state.teams.get(channel.team_id)
    url = integration.get("url")
    context = integration.get("context")
    context = dict(context) if isinstance(context, dict) else None
    action_type = action.get("type") if isinstance(action.get("type"), str) else ""
    data_source = ""
    if action_type == "select" and selected_option:
        context = {**(context or {}), "selected_option": selected_option}
        data_source = str(action.get("data_source") or "")
    grant = state.issue_trigger(user)
    payload: dict[str, Any] = {
        "user_id": user.id,
        "user_name": user.username,
        "channel_id": channel.id,
        "channel_name": channel.name,
        "team_id": channel.team_id,
        "team_domain": team.name if team is not None else "",
        "post_id": post.id,
        "trigger_id": grant.id,
        "type": action_type,
        "data_source": data_source,
    }
    if context:
        payload["context"] = context
    if not isinstance(url, str) or not url:
        raise integrations.record_failure(
            "action", str(url), _action_failed("the action has no integration URL")
        )
    reply = await integrations.send(
        "action",
        "POST",
        url,
        payload=payload,
        body=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    if reply.error:
        raise integrations.record_failure("action", url, _action_failed(f"err={reply.error}"))
    if reply.status != 200:
        raise integrations.record_failure("action", url, _action_failed(f"status={reply.status}"))
    try:
        update, ephemeral_text, skip_slack_parsing = _decode_action_reply(reply.body)
    except ValueError as problem:
        raise integrations.record_failure("action", url, _action_failed(str(problem))) from None
    retained = {key: post.props[key] for key in RETAINED_PROPS if key in post.props}
    if update is not None:
        _apply_update(integrations, post, update, retained, url)
    if ephemeral_text:
        text = ephemeral_text if skip_slack_parsing else slack_text_to_markdown(ephemeral_text)
        root_id = post.root_id or post.id
        state.send_ephemeral(user.id, channel.id, text, dict(retained), root_id=root_id)
    return grant.id


def _decode_action_reply(body: bytes) -> tuple[dict[str, Any] | None, str, bool]:
    """``PostActionIntegrationResponse`` from a reply body (empty is fine), Go's type rules."""
    if not body:
        return None, "", False
    try:
        decoded = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"invalid JSON: {error}") from None
    if decoded is None:
        return None, "", False
    if not isinstance(decoded, dict):
        raise ValueError("the response must be a JSON object")
    update = decoded.get("update")
    if update is not None and not isinstance(update, dict):
        raise ValueError("'update' must be a Post object")
    text = decoded.get("ephemeral_text")
    if text is not None and not isinstance(text, str):
        raise ValueError("'ephemeral_text' must be a string")
    skip = decoded.get("skip_slack_parsing")
    if skip is not None and not isinstance(skip, bool):
        raise ValueError("'skip_slack_parsing' must be a boolean")
    return update, text or "", bool(skip)


def _apply_update(
    integrations: Integrations, post: Post, update: dict[str, Any], retained: dict[str, Any], url: str
) -> None:
    """Save ``update`` over the clicked post: its id is forced, pinned/reactions preserved."""
    if post.ephemeral:
        # Ephemeral posts are not stored, so Mattermost cannot update them.
        raise integrations.record_failure(
            "action",
            url,
            AppError(404, "app.post.get.app_error", "Unable to get the post.", "ephemeral post"),
        )
    message = update.get("message")
    if message is not None and not isinstance(message, str):
        raise integrations.record_failure("action", url, _action_failed("'update.message' must be a string"))
    props = update.get("props")
    if props is not None and not isinstance(props, dict):
        raise integrations.record_failure("action", url, _action_failed("'update.props' must be an object"))
    if props is not None:
        props = {key: value for key, value in props.items() if key not in RETAINED_PROPS} | retained
    try:
        # An update without a message blanks it, as Mattermost saves the Post it was given.
        integrations.sim.state.update_post(post, message or "", props)
    except AppError as error:
        raise integrations.record_failure("action", url, error) from None


def register(app: web.Application) -> None:
    """Add the post action route (action ids of letters and digits only, as Mattermost's router)."""
    app.router.add_post("/api/v4/posts/{post_id}/actions/{action_id:[A-Za-z0-9]+}", do_post_action)
