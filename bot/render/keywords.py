"""What keyword triggers post: the prompt in a thread, its ignored form, and the run summary that
quotes the triggering message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.callback_data import IgnoreThread, RunFromPrompt
from bot.render.buttons import button
from bot.render.runs import truncate
from bot.security import ContextSigner

MAX_PROMPTED_PLAYBOOKS = 5
MAX_LABEL = 60
MAX_QUOTED_LINES = 12
MAX_QUOTE = 2000


@dataclass(frozen=True, slots=True)
class PromptedPlaybook:
    """A playbook a prompt suggests, and the keywords of it that the message contained."""

    id: str
    title: str
    keywords: tuple[str, ...]


def prompt_message(playbooks: Sequence[PromptedPlaybook]) -> str:
    """The prompt's text: which keywords were seen and which playbooks they trigger."""
    shown = playbooks[:MAX_PROMPTED_PLAYBOOKS]
    keywords = list(dict.fromkeys(k for p in shown for k in p.keywords))
    said = ", ".join(_code(truncate(_one_line(k), 60)) for k in keywords)
    verb = "is a trigger" if len(keywords) == 1 else "are triggers"
    titles = [f"**{truncate(_one_line(p.title), 100)}**" for p in shown]
    if len(titles) == 1:
        return f"{said} {verb} for the {titles[0]} playbook. Would you like to run it?"
    listed = ", ".join(titles[:-1]) + f" and {titles[-1]}"
    return f"{said} {verb} for the playbooks {listed}. Would you like to run one of them?"


def keyword_prompt(
    playbooks: Sequence[PromptedPlaybook],
    *,
    channel_id: str,
    root_id: str,
    signer: ContextSigner,
    url: str,
    trigger: str = "playbook",
) -> dict[str, Any]:
    """The prompt post's ``message`` and ``props``: a *Run* button per playbook (at most five) and
    *Ignore this thread*. Buttons carry the thread, so a click finds the prompt's summary."""
    actions = [
        button(
            f"run{number}",
            truncate(f"Run {_one_line(playbook.title)}", MAX_LABEL),
            RunFromPrompt(channel_id=channel_id, root_id=root_id, playbook_id=playbook.id),
            signer=signer,
            url=url,
            style="primary" if number == 1 else "default",
        )
        for number, playbook in enumerate(playbooks[:MAX_PROMPTED_PLAYBOOKS], start=1)
    ]
    actions.append(
        button(
            "ignore",
            "Ignore this thread",
            IgnoreThread(channel_id=channel_id, root_id=root_id),
            signer=signer,
            url=url,
        )
    )
    attachment = {
        "fallback": "Run a playbook, or ignore this thread.",
        "text": f"Turn these prompts off in this channel with `/{trigger} channel settings prompts off`.",
        "actions": actions,
    }
    return {"message": prompt_message(playbooks), "props": {"attachments": [attachment]}}


def ignored_prompt(username: str) -> dict[str, Any]:
    """The prompt once someone chose to ignore its thread: no buttons left."""
    who = f"@{username}" if username else "Someone"
    return {
        "message": f"{who} asked me to ignore this thread, so I won't suggest playbooks here again.",
        "props": {"attachments": []},
    }


def trigger_summary(message: str, *, author: str, channel_name: str, permalink: str) -> str:
    """A run summary quoting the message that triggered the prompt, with a link back to it."""
    lines = message.strip().splitlines()[:MAX_QUOTED_LINES]
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in lines)
    return (
        f"Started from [a message]({permalink}) by @{author} in ~{channel_name}:\n"
        f"{truncate(quoted, MAX_QUOTE)}"
    )


def _code(text: str) -> str:
    """``text`` as inline code (a backtick inside would end it early)."""
    return "`" + text.replace("`", "'") + "`"


def _one_line(text: str) -> str:
    return " ".join(text.split())
