"""Configuration: a YAML file, overridden by ``PLAYBOOKS_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///playbooks-bot.sqlite"


class Settings(BaseSettings):
    """Everything the service needs to run.

    Precedence, highest first: explicit arguments, environment variables
    (``PLAYBOOKS_MATTERMOST_URL`` …), the YAML file given with ``--config``, defaults.
    """

    model_config = SettingsConfigDict(env_prefix="PLAYBOOKS_", extra="forbid")

    mattermost_url: str = Field(
        description="Base URL of the Mattermost server, e.g. https://chat.example.com"
    )
    mattermost_token: SecretStr = Field(description="The bot account's access token")
    teams: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Names of the teams where /playbook is registered"
    )
    database_url: str = Field(default=DEFAULT_DATABASE_URL, description="SQLAlchemy async URL")
    listen: str = Field(default="127.0.0.1:8080", description="host:port of the bot's HTTP server")
    public_url: str = Field(
        default="http://127.0.0.1:8080", description="Address at which Mattermost reaches the bot"
    )
    secret: SecretStr | None = Field(
        default=None,
        description="Key material for signing buttons and webhooks; generated and stored "
        "in the database when unset",
    )
    command_trigger: str = Field(default="playbook", description="The slash command's trigger")
    command_tokens: Annotated[dict[str, SecretStr], NoDecode] = Field(
        default_factory=dict,
        description="Tokens of /playbook commands an administrator made, by team name "
        "(PLAYBOOKS_COMMAND_TOKENS=acme=TOKEN,ops=TOKEN); for teams where the bot may not "
        "register the command itself",
    )
    request_timeout: float = Field(default=10.0, gt=0, description="Seconds per Mattermost REST call")
    allow_private_webhook_addresses: bool = Field(
        default=False, description="Allow webhooks to loopback and private networks"
    )
    scheduler_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often each replica looks for jobs other replicas scheduled"
    )
    clock_file: Path | None = Field(
        default=None,
        description="For tests and benchmarks only: read the current time from this file "
        "(an ISO-8601 timestamp) instead of the system clock",
    )
    log_level: str = Field(default="INFO")
    log_format: Literal["text", "json"] = Field(
        default="text", description="text lines, or one JSON object per line for log collectors"
    )

    @field_validator("teams", mode="before")
    @classmethod
    def _split_teams(cls, value: Any) -> Any:
        """Accept ``acme, ops`` from the environment as well as a YAML list."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("command_tokens", mode="before")
    @classmethod
    def _split_command_tokens(cls, value: Any) -> Any:
        """Accept ``acme=TOKEN, ops=TOKEN`` from the environment as well as a YAML mapping."""
        if isinstance(value, str):
            return parse_command_tokens(value)
        return value

    @field_validator("mattermost_url", "public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def __repr_args__(self) -> Any:
        """Like pydantic's, with the password of ``database_url`` hidden (secrets are SecretStr)."""
        for name, value in super().__repr_args__():
            if name == "database_url" and isinstance(value, str):
                yield name, hide_url_password(value)
            else:
                yield name, value

    @property
    def listen_host(self) -> str:
        """Host part of :attr:`listen`."""
        host, _, _ = self.listen.rpartition(":")
        return host or "127.0.0.1"

    @property
    def listen_port(self) -> int:
        """Port part of :attr:`listen`."""
        _, _, port = self.listen.rpartition(":")
        return int(port)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then environment, then the YAML file of ``model_config['yaml_file']``."""
        return init_settings, env_settings, YamlConfigSettingsSource(settings_cls)


def parse_command_tokens(text: str) -> dict[str, str]:
    """``acme=TOKEN, ops=TOKEN`` as ``{"acme": "TOKEN", "ops": "TOKEN"}``; :class:`ValueError`
    for an entry without a team name or a token."""
    tokens: dict[str, str] = {}
    for entry in text.split(","):
        if not entry.strip():
            continue
        team, separator, token = entry.partition("=")
        if not separator or not team.strip() or not token.strip():
            raise ValueError("command_tokens entries are TEAM=TOKEN, separated by commas")
        tokens[team.strip()] = token.strip()
    return tokens


def hide_url_password(url: str) -> str:
    """``url`` with the password of its ``user:password@`` part replaced by ``***``."""
    scheme, separator, rest = url.partition("://")
    credentials, at, location = rest.rpartition("@")
    if not separator or not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{location}"


def url_password(url: str) -> str | None:
    """The password in ``url``'s ``user:password@`` part, if there is one."""
    _, separator, rest = url.partition("://")
    credentials, at, _ = rest.rpartition("@")
    if not separator or not at or ":" not in credentials:
        return None
    return credentials.split(":", 1)[1] or None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Read settings from ``config_file`` (YAML), the environment and ``overrides``."""
    if config_file is None:
        return Settings(**overrides)
    if not config_file.is_file():
        raise FileNotFoundError(f"configuration file {config_file} does not exist")

    class FileSettings(Settings):
        model_config = SettingsConfigDict(yaml_file=config_file)

    return FileSettings(**overrides)
