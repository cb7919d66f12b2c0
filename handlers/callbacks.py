"""Routers for button clicks and dialog submissions: typed payloads, and the middleware around them.

A verified context is decoded into the payload class registered for its name
(:mod:`bot.callback_data`); a route may declare what the person needs to be allowed to do with
the payload's run (``needs=RunAction.CHANGE``), and the router loads and checks the run before the
handler runs. Domain errors become answers here, once, instead of in every handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from bot.callback_codec import ACTION_KEY, DIALOG_KEY, ActionData, CallbackData, DialogData, PayloadError
from bot.domain.errors import DomainError, FormFieldsError
from bot.domain.run import Run
from bot.services.context import Services
from bot.services.run_access import RunAction, load_run

from .replies import MAX_FIELD_LENGTH, MalformedRequestError

STALE_BUTTON = (
    "That button didn't come from me, or it has expired, so I ignored it. "
    "Use the buttons on the latest post, or `/playbook help`."
)
NOT_MY_FORM = "This form is not one of mine. Please open it again."

A = TypeVar("A", bound=ActionData)
F = TypeVar("F", bound=DialogData)


@runtime_checkable
class NamesRun(Protocol):
    """A payload about one run."""

    @property
    def run_id(self) -> str:
        """The run's id."""
        ...


def _loaded(run: Run | None, what: str) -> Run:
    if run is None:
        raise RuntimeError(f"the {what}'s route declares no `needs`, so no run was loaded")
    return run


@dataclass(frozen=True)
class ActionRequest:
    """A button click as Mattermost forwards it (mattermost-wire.md §2.2)."""

    user_id: str
    user_name: str
    channel_id: str
    team_id: str
    post_id: str
    trigger_id: str
    context: Mapping[str, Any]
    loaded_run: Run | None = None

    @property
    def run(self) -> Run:
        """The payload's run, loaded and checked by the router (routes with ``needs`` only)."""
        return _loaded(self.loaded_run, "button")

    @classmethod
    def from_json(cls, body: Any) -> ActionRequest:
        """Parse the decoded JSON body; :class:`MalformedRequestError` if it is not a click."""
        if not isinstance(body, dict):
            raise MalformedRequestError("the body is not a JSON object")
        context = body.get("context")
        if not isinstance(context, dict):
            raise MalformedRequestError("the click carries no context")
        return cls(
            user_id=_string(body, "user_id"),
            user_name=_string(body, "user_name", required=False),
            channel_id=_string(body, "channel_id", required=False),
            team_id=_string(body, "team_id", required=False),
            post_id=_string(body, "post_id", required=False),
            trigger_id=_string(body, "trigger_id", required=False),
            context=context,
        )


@dataclass(frozen=True)
class DialogRequest:
    """A dialog submission as Mattermost forwards it (mattermost-wire.md §3.3)."""

    user_id: str
    channel_id: str
    team_id: str
    callback_id: str
    state: str
    submission: Mapping[str, Any]
    cancelled: bool
    loaded_run: Run | None = None

    @property
    def run(self) -> Run:
        """The form's run, loaded and checked by the router (routes with ``needs`` only)."""
        return _loaded(self.loaded_run, "form")

    @classmethod
    def from_json(cls, body: Any) -> DialogRequest:
        """Parse the decoded JSON body; :class:`MalformedRequestError` if it is not a submission."""
        if not isinstance(body, dict):
            raise MalformedRequestError("the body is not a JSON object")
        submission = body.get("submission") or {}
        if not isinstance(submission, dict):
            raise MalformedRequestError("the submission is not an object")
        return cls(
            user_id=_string(body, "user_id"),
            channel_id=_string(body, "channel_id", required=False),
            team_id=_string(body, "team_id", required=False),
            callback_id=_string(body, "callback_id", required=False),
            state=_string(body, "state", required=False),
            submission=submission,
            cancelled=body.get("cancelled") is True,
        )

    def text(self, name: str) -> str:
        """A submitted value as trimmed text ('' when absent or null)."""
        value = self.submission.get(name)
        return "" if value is None else str(value).strip()

    def flag(self, name: str) -> bool:
        """A ``bool`` element's value: Mattermost sends a boolean; ``"true"`` is read too, and an
        absent or null value (an unticked optional box) is false."""
        value = self.submission.get(name)
        return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _string(body: Mapping[str, Any], name: str, required: bool = True) -> str:
    value = body.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > MAX_FIELD_LENGTH:
        raise MalformedRequestError(f"field {name!r} is not a string")
    if required and not value:
        raise MalformedRequestError(f"missing field {name!r}")
    return value


@dataclass(frozen=True)
class ActionResult:
    """What a click answers: the clicked post's new content and/or a note to the clicker."""

    update: Mapping[str, Any] | None = None
    ephemeral_text: str = ""

    def to_json(self) -> dict[str, Any]:
        """The integration response body (mattermost-wire.md §2.3)."""
        body: dict[str, Any] = {}
        if self.update is not None:
            body["update"] = dict(self.update)
        if self.ephemeral_text:
            body["ephemeral_text"] = self.ephemeral_text
            body["skip_slack_parsing"] = True
        return body


@dataclass(frozen=True)
class DialogResult:
    """What a submission answers: field errors keep the dialog open; nothing closes it."""

    errors: Mapping[str, str] = field(default_factory=dict)
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        """The submission response body (mattermost-wire.md §3.3)."""
        body: dict[str, Any] = {}
        if self.errors:
            body["errors"] = dict(self.errors)
        if self.error:
            body["error"] = self.error
        return body


class ActionRouter:
    """Button clicks by payload class: decode, load and check the run when asked, answer errors.

    The middleware every click goes through, written once: a context that does not decode into
    its class gets :data:`STALE_BUTTON`; with ``needs``, the payload's run is loaded and the
    person's right to do that checked (:func:`bot.services.run_access.load_run`) before the
    handler runs, which then finds it as ``click.run``; a :class:`DomainError` raised by the
    handler becomes the route's ``on_error`` answer, or its message for the clicker.
    """

    def __init__(self) -> None:
        self._routes: dict[str, _ActionRoute[Any]] = {}

    def action(
        self,
        data: type[A],
        *,
        needs: RunAction | None = None,
        on_error: ActionErrorAnswer[A] | None = None,
    ) -> Callable[[ActionHandler[A]], ActionHandler[A]]:
        """Register the decorated coroutine for buttons carrying ``data``."""

        def decorate(handler: ActionHandler[A]) -> ActionHandler[A]:
            if data.name in self._routes:
                raise ValueError(f"button action {data.name!r} is registered twice")
            if needs is not None and not _has_run_id(data):
                raise TypeError(f"{data.__name__} names no run, so it cannot need {needs}")
            self._routes[data.name] = _ActionRoute(data, handler, needs, on_error)
            return handler

        return decorate

    @property
    def names(self) -> list[str]:
        """The registered action names."""
        return list(self._routes)

    async def dispatch(
        self, click: ActionRequest, context: Mapping[str, Any], services: Services
    ) -> ActionResult:
        """Answer a click whose context is verified."""
        route = self._routes.get(str(context.get(ACTION_KEY, "")))
        if route is None:
            return ActionResult(ephemeral_text=STALE_BUTTON)
        try:
            data = route.data.unpack(context)
        except PayloadError:
            return ActionResult(ephemeral_text=STALE_BUTTON)
        try:
            if route.needs is not None and isinstance(data, NamesRun):
                run = await load_run(services, data.run_id, click.user_id, route.needs)
                click = replace(click, loaded_run=run)
            return await route.handler(click, data, services)
        except DomainError as error:
            if route.on_error is not None:
                return await route.on_error(click, data, services, error)
            return ActionResult(ephemeral_text=error.message)


class DialogRouter:
    """Dialog submissions by payload class, with the same middleware as :class:`ActionRouter`.

    A state that does not decode is "not one of mine"; with ``needs`` the run is loaded and
    checked (``submission.run``); :class:`FormFieldsError` keep the form open with each message under
    its field, any other :class:`DomainError` shows its message on the form.
    """

    def __init__(self) -> None:
        self._routes: dict[str, _DialogRoute[Any]] = {}

    def dialog(
        self, data: type[F], *, needs: RunAction | None = None
    ) -> Callable[[DialogHandler[F]], DialogHandler[F]]:
        """Register the decorated coroutine for dialogs opened with ``data`` as their state."""

        def decorate(handler: DialogHandler[F]) -> DialogHandler[F]:
            if data.name in self._routes:
                raise ValueError(f"dialog {data.name!r} is registered twice")
            if needs is not None and not _has_run_id(data):
                raise TypeError(f"{data.__name__} names no run, so it cannot need {needs}")
            self._routes[data.name] = _DialogRoute(data, handler, needs)
            return handler

        return decorate

    @property
    def names(self) -> list[str]:
        """The registered dialog callback ids."""
        return list(self._routes)

    async def dispatch(
        self, submission: DialogRequest, state: Mapping[str, Any], services: Services
    ) -> DialogResult:
        """Answer a submission whose state is verified."""
        route = self._routes.get(submission.callback_id)
        if route is None or state.get(DIALOG_KEY) != submission.callback_id:
            return DialogResult(error=NOT_MY_FORM)
        try:
            data = route.data.unpack(state)
        except PayloadError:
            return DialogResult(error=NOT_MY_FORM)
        try:
            if route.needs is not None and isinstance(data, NamesRun):
                run = await load_run(services, data.run_id, submission.user_id, route.needs)
                submission = replace(submission, loaded_run=run)
            return await route.handler(submission, data, services)
        except FormFieldsError as error:
            return DialogResult(errors=error.errors)
        except DomainError as error:
            return DialogResult(error=error.message)


ActionHandler = Callable[[ActionRequest, A, Services], Awaitable[ActionResult]]
"""``(click, payload, services) -> answer``."""
ActionErrorAnswer = Callable[[ActionRequest, A, Services, DomainError], Awaitable[ActionResult]]
"""How a route answers a refusal instead of its bare message: ``(click, payload, services, error)``."""
DialogHandler = Callable[[DialogRequest, F, Services], Awaitable[DialogResult]]
"""``(submission, payload, services) -> answer``."""


@dataclass(frozen=True)
class _ActionRoute(Generic[A]):
    data: type[A]
    handler: ActionHandler[A]
    needs: RunAction | None
    on_error: ActionErrorAnswer[A] | None


@dataclass(frozen=True)
class _DialogRoute(Generic[F]):
    data: type[F]
    handler: DialogHandler[F]
    needs: RunAction | None


def _has_run_id(data: type[CallbackData]) -> bool:
    return "run_id" in {field.name for field in fields(data)}
