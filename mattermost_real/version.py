"""The one Mattermost the project is tested against, pinned to a commit of the monorepo.

The Go module proxy publishes the monorepo's ``server/`` directory as pseudo-versions of module
``github.com/mattermost/mattermost/server/v8``; the ``server/public`` module it needs is published
the same way, and inside the monorepo a Go workspace ties the two to the same checkout. Outside it
we name both, at commits from the same afternoon, which is what public projects that build against
the server do (Mattermost's own Playbooks plugin required exactly this pair in January 2026).

To move the pin: pick a ``server/v8`` pseudo-version (a public project's ``go.mod`` names working
ones), the ``server/public`` pseudo-version committed with it, copy the ``replace`` lines of that
``server/go.mod``, change :data:`PIN` and run ``python -m mattermost_real build``.
"""

from __future__ import annotations

from dataclasses import dataclass

SERVER_MODULE = "github.com/mattermost/mattermost/server/v8"
PUBLIC_MODULE = "github.com/mattermost/mattermost/server/public"
MAIN_PACKAGE = f"{SERVER_MODULE}/cmd/mattermost"


@dataclass(frozen=True)
class Pin:
    """A buildable Mattermost: the two module versions, the Go language version and replacements."""

    server: str
    public: str
    go: str
    replace: tuple[tuple[str, str], ...]
    release: str

    @property
    def key(self) -> str:
        """The cache folder's name: the server pseudo-version."""
        return self.server


PIN = Pin(
    server="v8.0.0-20260113162330-9e1d4c2072c0",
    public="v0.1.22-0.20260113165922-8e4cadbc88ee",
    go="1.24.11",
    replace=(
        # server/go.mod pins these; a dependency's replace lines do not carry over to us.
        ("github.com/olekukonko/tablewriter", "github.com/olekukonko/tablewriter v0.0.5"),
        ("github.com/ledongthuc/pdf", "github.com/ledongthuc/pdf v0.0.0-20240201131950-da5b75280b06"),
    ),
    release="11.4.0",
)
