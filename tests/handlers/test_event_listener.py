"""The event listener: each handler in its own lane, under a time limit, failures contained.

Nothing here waits on the clock to prove a point: handlers block on events the test releases,
and the test waits for what a handler signals.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import cast

import pytest

from bot.mattermost.events import Event, PostedEvent, ReactionEvent, UserAddedEvent
from bot.mattermost.types import MMPost, MMReaction
from bot.services.context import Services
from handlers.events import EventListener, EventRouter

SERVICES = cast(Services, object())  # the listener only hands it on
WAIT_S = 5.0  # a bound on waiting for what must happen, never a proof


def posted(post_id: str, channel_id: str = "c1") -> PostedEvent:
    return PostedEvent(MMPost(id=post_id, channel_id=channel_id, user_id="u"), "O", "ops", "t")


def reaction(post_id: str) -> ReactionEvent:
    return ReactionEvent(MMReaction("u", post_id, "pushpin"), "c1", added=True)


async def signalled(flag: asyncio.Event) -> None:
    async with asyncio.timeout(WAIT_S):
        await flag.wait()


@pytest.fixture
def router() -> EventRouter:
    return EventRouter()


@pytest.fixture
async def listener(router: EventRouter) -> AsyncIterator[EventListener]:
    listening = EventListener(router, SERVICES)
    try:
        yield listening
    finally:
        await listening.stop(grace=0)


async def test_a_slow_handler_does_not_delay_another_handlers_events(
    router: EventRouter, listener: EventListener
) -> None:
    release, slow_started = asyncio.Event(), asyncio.Event()
    slow_done: list[str] = []
    seen: dict[str, asyncio.Event] = {"p1": asyncio.Event(), "p2": asyncio.Event(), "pin": asyncio.Event()}

    @router.on(PostedEvent)
    async def slow(event: PostedEvent, services: Services) -> None:
        slow_started.set()
        await release.wait()  # an import downloading a large file
        slow_done.append(event.post.id)

    @router.on(PostedEvent)
    async def prompt(event: PostedEvent, services: Services) -> None:
        seen[event.post.id].set()

    @router.on(ReactionEvent)
    async def pin(event: ReactionEvent, services: Services) -> None:
        seen["pin"].set()

    await listener.dispatch(posted("p1"))
    await signalled(slow_started)
    await listener.dispatch(posted("p2"))
    await listener.dispatch(reaction("p1"))
    # The other handlers got both posts and the reaction while the slow one is still on p1.
    for flag in seen.values():
        await signalled(flag)
    assert slow_done == []

    release.set()
    async with asyncio.timeout(WAIT_S):
        await listener.wait_idle()
    assert slow_done == ["p1", "p2"]  # each handler still sees its events in order


async def test_a_handler_past_its_time_limit_is_stopped_logged_and_listening_goes_on(
    router: EventRouter, listener: EventListener, caplog: pytest.LogCaptureFixture
) -> None:
    never = asyncio.Event()
    handled: list[str] = []
    later = asyncio.Event()

    @router.on(PostedEvent, time_limit=0.05)
    async def stuck_on_first(event: PostedEvent, services: Services) -> None:
        if event.post.id == "p1":
            await never.wait()  # never set: only the time limit ends this
        handled.append(event.post.id)
        later.set()

    await listener.dispatch(posted("p1"))
    await listener.dispatch(posted("p2"))
    await signalled(later)
    async with asyncio.timeout(WAIT_S):
        await listener.wait_idle()
    assert handled == ["p2"]
    assert listener.timeouts == 1
    assert "event handler test_a_handler_past_its_time_limit" in caplog.text
    assert "stuck_on_first took over 0.05 s and was stopped" in caplog.text


async def test_a_failing_handler_is_logged_and_the_others_still_run(
    router: EventRouter, listener: EventListener, caplog: pytest.LogCaptureFixture
) -> None:
    welcomed: list[str] = []

    @router.on(UserAddedEvent)
    async def broken(event: UserAddedEvent, services: Services) -> None:
        raise RuntimeError(f"cannot welcome {event.user_id}")

    @router.on(UserAddedEvent)
    async def welcome(event: UserAddedEvent, services: Services) -> None:
        welcomed.append(event.user_id)

    with caplog.at_level(logging.ERROR, logger="handlers.events"):
        await listener.dispatch(UserAddedEvent("bob", "c1"))
        await listener.dispatch(UserAddedEvent("carol", "c1"))
        async with asyncio.timeout(WAIT_S):
            await listener.wait_idle()
    assert welcomed == ["bob", "carol"]
    assert listener.failures == 2
    assert caplog.text.count("RuntimeError: cannot welcome") == 2


async def test_after_handled_follows_the_order_events_came_once_all_handlers_are_done(
    router: EventRouter, listener: EventListener
) -> None:
    release, slow_started = asyncio.Event(), asyncio.Event()
    noted: list[Event] = []

    @router.on(PostedEvent)
    async def slow(event: PostedEvent, services: Services) -> None:
        slow_started.set()
        await release.wait()

    @router.on(PostedEvent)
    async def fast_post(event: PostedEvent, services: Services) -> None:
        pass

    @router.on(ReactionEvent)
    async def fast_pin(event: ReactionEvent, services: Services) -> None:
        pass

    def note(event: Event) -> None:
        noted.append(event)

    listener.after_handled(note)
    first = await listener.dispatch(posted("p1"))
    second = await listener.dispatch(reaction("p1"))
    await signalled(slow_started)
    async with asyncio.timeout(WAIT_S):
        await second  # the reaction is done with, the post is not: nothing may be noted yet
    assert not first.done()
    assert noted == []

    release.set()
    async with asyncio.timeout(WAIT_S):
        await listener.wait_idle()
    assert noted == [posted("p1"), reaction("p1")]


async def test_messages_are_decoded_once_and_only_for_followed_kinds(
    router: EventRouter, listener: EventListener
) -> None:
    got: list[PostedEvent] = []

    @router.on(PostedEvent)
    async def first(event: PostedEvent, services: Services) -> None:
        got.append(event)

    @router.on(PostedEvent)
    async def second(event: PostedEvent, services: Services) -> None:
        got.append(event)

    post = '{"id": "p1", "channel_id": "c1", "user_id": "u"}'
    data = {"post": post, "channel_type": "O", "channel_name": "ops", "team_id": "t"}
    await listener.dispatch_message({"event": "posted", "data": data, "seq": 3})
    await listener.dispatch_message({"event": "posted", "data": {"post": "{broken"}, "seq": 4})
    await listener.dispatch_message({"event": "user_added", "data": {}, "seq": 5})  # nobody follows it
    async with asyncio.timeout(WAIT_S):
        await listener.wait_idle()
    assert got == [posted("p1"), posted("p1")]
    assert got[0] is got[1]


async def test_stopping_cancels_what_outlives_the_grace(router: EventRouter) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    @router.on(PostedEvent, time_limit=3600)
    async def endless(event: PostedEvent, services: Services) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    listening = EventListener(router, SERVICES)
    await listening.dispatch(posted("p1"))
    await signalled(started)
    await listening.stop(grace=0)
    assert cancelled.is_set()
    await listening.wait_idle()  # stopped: nothing left to wait for


def test_a_time_limit_must_be_positive(router: EventRouter) -> None:
    with pytest.raises(ValueError, match="positive"):
        router.on(PostedEvent, time_limit=0)
