"""The mmpy_bot peer of the listening benchmark, run by the peer's own virtualenv (not the project's).

Usage: ``python peer_mmpy.py PORT TOKEN KEYWORDS_FILE RESULT_FILE``. It registers one ``listen_to``
handler per keyword, plus one for the end marker; when the end marker arrives it writes the wall
time to RESULT_FILE and exits.
"""

import os
import re
import sys
import time

from mmpy_bot import Bot, Plugin, Settings, listen_to  # type: ignore[import-not-found]

END_MARKER = "zz-end-of-chatter-zz"


def build_plugin(keywords: list[str], result_file: str) -> Plugin:
    """A plugin with a handler per keyword and one that records the end marker."""

    def on_keyword(self: Plugin, message: object) -> None:
        return None

    def on_end(self: Plugin, message: object) -> None:
        with open(result_file, "w") as out:
            out.write(str(time.time()))
        os._exit(0)

    members: dict[str, object] = {}
    for number, keyword in enumerate(keywords):
        members[f"keyword_{number}"] = listen_to(re.escape(keyword), re.IGNORECASE)(on_keyword)
    members["end"] = listen_to(END_MARKER)(on_end)
    return type("KeywordPeer", (Plugin,), members)()


def main() -> None:
    """Connect to the simulator and listen."""
    port, token, keywords_file, result_file = sys.argv[1:5]
    with open(keywords_file) as source:
        keywords = [line.strip() for line in source if line.strip()]
    bot = Bot(
        settings=Settings(
            MATTERMOST_URL="http://127.0.0.1",
            MATTERMOST_PORT=int(port),
            MATTERMOST_API_PATH="/api/v4",
            BOT_TOKEN=token,
            BOT_TEAM="acme",
            SSL_VERIFY=False,
            RESPOND_CHANNEL_HELP=False,
        ),
        plugins=[build_plugin(keywords, result_file)],
    )
    with open(result_file + ".ready", "w") as ready:
        ready.write("starting")
    bot.run()


if __name__ == "__main__":
    main()
