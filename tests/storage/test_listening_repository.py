"""ListeningRepository: one prompt per thread, ignored threads, channel settings, the catch-up mark."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.channel_settings import ChannelSettings
from bot.domain.playbook import Playbook
from storage.repositories.listening import ListeningRepository, ThreadPromptState
from storage.repositories.playbooks import PlaybookRepository

CHANNEL, ROOT, POST, OTHER = "c" * 26, "r" * 26, "p" * 26, "o" * 26


async def test_a_thread_is_claimed_once_and_a_failed_prompt_can_be_retried(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async def claim(post_id: str) -> bool:
        async with session_factory.begin() as session:
            return await ListeningRepository(session).claim_prompt(CHANNEL, ROOT, post_id, "summary")

    claims = await asyncio.wait_for(asyncio.gather(claim(POST), claim(OTHER)), timeout=30)
    assert sorted(claims) == [False, True]
    winner = POST if claims[0] else OTHER
    loser = OTHER if winner == POST else POST
    assert await claim(winner)  # its prompt is not out yet: a retry may post it
    assert not await claim(loser)
    async with session_factory.begin() as session:
        await ListeningRepository(session).set_prompt_post(CHANNEL, ROOT, "x" * 26)
    assert not await claim(winner)
    async with session_factory() as session:
        prompt = await ListeningRepository(session).prompt(CHANNEL, ROOT)
    assert prompt is not None
    assert (prompt.post_id, prompt.summary, prompt.prompt_post_id) == (winner, "summary", "x" * 26)


async def test_ignored_threads_and_channel_settings_are_kept(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory.begin() as session:
        listening = ListeningRepository(session)
        assert not (await listening.thread_prompt_state(CHANNEL, ROOT)).ignored
        assert await listening.ignore_thread(CHANNEL, ROOT, POST)
        assert not await listening.ignore_thread(CHANNEL, ROOT, OTHER)
        assert await listening.channel_settings(CHANNEL) == ChannelSettings(True, True)
        await listening.save_channel_settings(CHANNEL, ChannelSettings(False, True), POST)
        await listening.save_channel_settings(CHANNEL, ChannelSettings(False, False), POST)
    async with session_factory() as session:
        listening = ListeningRepository(session)
        assert (await listening.thread_prompt_state(CHANNEL, ROOT)).ignored
        assert not (await listening.thread_prompt_state(CHANNEL, POST)).ignored
        assert await listening.channel_settings(CHANNEL) == ChannelSettings(False, False)


async def test_a_threads_prompt_state_combines_the_switch_and_the_ignored_mark(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory.begin() as session:
        listening = ListeningRepository(session)
        assert await listening.thread_prompt_state(CHANNEL, ROOT) == ThreadPromptState(True, False, "")
        await listening.ignore_thread(CHANNEL, ROOT, POST)
        await listening.save_channel_settings(CHANNEL, ChannelSettings(False, True), POST)
    async with session_factory() as session:
        listening = ListeningRepository(session)
        assert await listening.thread_prompt_state(CHANNEL, ROOT) == ThreadPromptState(False, True, "")
        assert await listening.thread_prompt_state(CHANNEL, POST) == ThreadPromptState(False, False, "")
        assert await listening.thread_prompt_state(OTHER, ROOT) == ThreadPromptState(True, False, "")


async def test_the_catch_up_mark_only_moves_forward(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory.begin() as session:
        listening = ListeningRepository(session)
        assert await listening.last_seen_post_at() is None
        for at in (1_000, 3_000, 2_000):
            await listening.advance_last_seen_post_at(at)
        assert await listening.last_seen_post_at() == 3_000


async def test_the_playbooks_signature_changes_with_every_write(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async def signature() -> tuple[int, int]:
        async with session_factory() as session:
            return await ListeningRepository(session).playbooks_signature()

    seen = [await signature()]
    async with session_factory.begin() as session:
        playbook = await PlaybookRepository(session).add(Playbook("", "t" * 26, "Outage"))
    seen.append(await signature())
    async with session_factory.begin() as session:
        await PlaybookRepository(session).update(playbook.edited(title="Big outage"))
    seen.append(await signature())
    async with session_factory.begin() as session:
        await PlaybookRepository(session).delete(playbook.id)
    seen.append(await signature())
    assert len(set(seen)) == 4
