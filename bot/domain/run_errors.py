"""What goes wrong when a run is changed or looked up: :class:`RunError` and its kinds.

Each carries a ``message`` that can be shown to the person who asked.
"""

from __future__ import annotations

from bot.domain.errors import DomainError


class RunError(DomainError):
    """A run operation that cannot be done; ``message`` says why, for the person who asked."""


class InvalidItemStateError(RunError):
    def __init__(self, value: object) -> None:
        shown = value if isinstance(value, str) and len(value) <= 40 else "?"
        super().__init__(f"“{shown}” is not a task state; use open, in_progress, closed or skipped.")


class RunFinishedError(RunError):
    def __init__(self) -> None:
        super().__init__("This run is finished. Restore it before changing it.")


class RunAlreadyFinishedError(RunError):
    def __init__(self) -> None:
        super().__init__("This run is already finished.")


class RunNotFinishedError(RunError):
    def __init__(self) -> None:
        super().__init__("This run is still in progress; there is nothing to restore.")


class FinishNeedsConfirmationError(RunError):
    """Finishing would leave tasks outstanding; ask, then call again with ``confirmed=True``."""

    def __init__(self, run_name: str, outstanding: int) -> None:
        self.outstanding = outstanding
        tasks = (
            "is **1 outstanding task**" if outstanding == 1 else f"are **{outstanding} outstanding tasks**"
        )
        super().__init__(f"There {tasks}. Are you sure you want to finish *{run_name}* for all participants?")


class NoSuchChecklistError(RunError):
    pass


class NoSuchItemError(RunError):
    pass


class StaleClickError(RunError):
    def __init__(self, title: str) -> None:
        super().__init__(f"“{title}” changed since this message was posted, so nothing was done. Try again.")


class InvalidChangeError(RunError):
    """A change whose input is not acceptable (blank title, no command, removing the owner…)."""
