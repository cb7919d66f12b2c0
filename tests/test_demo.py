"""``playbooks-bot demo`` plays a whole run and prints the run channel."""

from __future__ import annotations

from pathlib import Path

from bot.demo import play, render_transcript


async def test_the_demo_plays_a_full_run(tmp_path: Path) -> None:
    narration: list[str] = []
    transcript = await play(narration.append, tmp_path)
    story = "\n".join(narration)
    assert "Imported the playbook **Incident Response**" in story
    assert "run channel ~inc-00001-" in story
    assert "Checked 1.2" in story
    assert "Welcome to Incident: Database down" in transcript
    assert "☑ **1.1** Take ownership of the incident" in transcript
    assert "Status: Finished" in transcript
    assert "Run finished: INC-00001" in transcript
    for checklist in ("1. Triage", "2. Investigate and mitigate", "3. Resolve", "4. Learn"):
        assert checklist in transcript


def test_transcript_shows_authors_messages_attachments_and_buttons() -> None:
    posts = [
        {
            "user_id": "u1",
            "create_at": 0,
            "message": "hello\nworld",
            "props": {
                "attachments": [
                    {
                        "text": "item",
                        "fields": [{"title": "Owner", "value": "@a"}],
                        "actions": [{"name": "Check"}],
                    }
                ]
            },
        }
    ]
    assert render_transcript(posts, {"u1": "alice"}).splitlines() == [
        "[00:00:00] @alice:",
        "    hello",
        "    world",
        "    | item",
        "    | Owner: @a",
        "    | [Check]",
    ]
