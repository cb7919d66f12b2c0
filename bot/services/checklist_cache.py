"""Checklist posts as last rendered, so a busy run does not re-render and re-sign every button on
each click that changes nothing.

A checklist post is a pure function of the run, the checklist, the names it shows, the moment
(through its tasks' due dates only) and the signer. Runs are immutable, and the run cache of
:mod:`storage.run_cache` hands out the same :class:`~bot.domain.run.Run` object for as long as
the stored run keeps its revision, so a post is reused only for that very object (held here, so
its identity cannot pass to another) with the same names and the same due texts. Nothing keyed
on a revision number alone is trusted: two changes made at once from one revision both carry
the next number.

One cache belongs to one :class:`~bot.services.context.Services`; the least recently used posts
go first. The posts handed out are shared: callers must not modify them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from bot.domain.run import Run
from bot.render.runs import Post

DEFAULT_CAPACITY = 500


@dataclass(frozen=True, slots=True)
class _Rendered:
    run: Run
    variant: Hashable
    post: Post


class RenderedChecklists:
    """The most recently rendered checklist posts, one per run and checklist."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._posts: OrderedDict[tuple[str, str], _Rendered] = OrderedDict()

    def __len__(self) -> int:
        return len(self._posts)

    def post(self, run: Run, checklist_id: str, variant: Hashable, render: Callable[[], Post]) -> Post:
        """The post of ``run``'s checklist for ``variant`` (everything besides the run that the
        rendering depends on), from ``render`` unless it was rendered for this run object and
        variant already."""
        key = (run.id, checklist_id)
        known = self._posts.get(key)
        if known is not None and known.run is run and known.variant == variant:
            self._posts.move_to_end(key)
            return known.post
        post = render()
        self._posts[key] = _Rendered(run, variant, post)
        self._posts.move_to_end(key)
        while len(self._posts) > self._capacity:
            self._posts.popitem(last=False)
        return post
