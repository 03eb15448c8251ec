"""Settings: a TOML file in the user config directory, overridden by POSYNC_* variables."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
)
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from posync_tui import paths
from posync_tui.paths import default_database_url


class ConnectorSettings(BaseModel):
    """What every partner connection has. No base_url means the built-in sandbox."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    base_url: str | None = None
    api_key: SecretStr | None = None
    poll_interval: float = Field(default=30.0, gt=0, le=86_400, description="seconds")
    timeout: float = Field(default=10.0, gt=0, le=300, description="seconds")


class QuickBooksSettings(ConnectorSettings):
    poll_interval: float = Field(default=60.0, gt=0, le=86_400)
    client_id: str | None = None
    client_secret: SecretStr | None = None
    realm_id: str | None = None
    refresh_token: SecretStr | None = None
    redirect_uri: str = "http://localhost:8765/callback"
    token_url: str | None = None
    minor_version: int = Field(default=75, ge=1)
    upload_pos_as_purchase_orders: bool = False


# An EDIFACT code (an..3), e.g. QTY 6063.
Qualifier = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{1,3}$")]


class EdiSettings(ConnectorSettings):
    """The EDI hub (Onetrail seed) and the choices its partners make (NOTES: configurable)."""

    poll_interval: float = Field(default=60.0, gt=0, le=86_400)
    our_gln: str = Field(default="5412345000013", description="our GLN, the buyer's NAD+BY")
    # QTY 6063 of a confirmed quantity: 113 to be delivered; some hubs send 187 (scheduled).
    confirmed_qualifiers: tuple[Qualifier, ...] = Field(default=("113", "187"), min_length=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="POSYNC_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; empty means SQLite in the user data dir"
    )
    supplier: ConnectorSettings = ConnectorSettings()
    catalog: ConnectorSettings = ConnectorSettings(poll_interval=3600)
    quickbooks: QuickBooksSettings = QuickBooksSettings()
    warehouse: ConnectorSettings = ConnectorSettings()  # Ovotrack
    edi: EdiSettings = EdiSettings()
    p21: ConnectorSettings = ConnectorSettings()
    # OS user names (each operator logs in as themselves) who may change application settings.
    admins: list[str] = Field(default_factory=list)

    # Set by load_settings; not a setting itself.
    _config_file: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_settings names the file through a subclass's model_config["toml_file"].
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    def resolved_database_url(self) -> str:
        return self.database_url or default_database_url()


class ConfigError(Exception):
    """The configuration is invalid: one line per problem, naming file and key."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def load_settings(config_path: Path | None = None, **overrides: Any) -> Settings:
    path = paths.config_path(config_path)
    if config_path is not None and not path.exists():
        raise ConfigError([f"{path}: file not found"])
    toml_file = path if path.exists() else None
    from_file = type(
        "Settings", (Settings,), {"model_config": {**Settings.model_config, "toml_file": toml_file}}
    )
    try:
        settings = from_file(**overrides)
    except ValidationError as exc:
        raise ConfigError([_describe(path, err) for err in exc.errors()]) from None
    except ValueError as exc:  # a TOML syntax error
        raise ConfigError([f"{path}: {exc}"]) from None
    settings._config_file = toml_file
    return settings


def _describe(path: Path, err: ErrorDetails) -> str:
    key = ".".join(str(p) for p in err["loc"])
    env = "POSYNC_" + "__".join(str(p) for p in err["loc"]).upper()
    said = f"{path}: {key} (or {env}): {err['msg']}"
    return said if _is_secret(err["loc"]) else f"{said} (got {err.get('input')!r})"


def _is_secret(loc: tuple[int | str, ...]) -> bool:
    """Whether the setting at ``loc`` holds a secret, which an error must not repeat."""
    model: type[BaseModel] = Settings
    for part in loc:
        field = model.model_fields.get(str(part))
        if field is None:
            return False
        if part == "database_url" or SecretStr in typing.get_args(field.annotation):
            return True
        if not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            return False
        model = field.annotation
    return False


def masked(settings: Settings) -> dict:
    """The settings as shown to an operator: every secret replaced by asterisks."""

    def mask(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return "********" if value.get_secret_value() else ""
        if isinstance(value, dict):
            return {k: mask(v) for k, v in value.items()}
        return value

    data = {name: getattr(settings, name) for name in Settings.model_fields}
    out: dict[str, Any] = {}
    for name, value in data.items():
        if isinstance(value, BaseModel):
            out[name] = {k: mask(getattr(value, k)) for k in type(value).model_fields}
        else:
            out[name] = mask(value)
    out["database_url"] = paths.masked_url(settings.resolved_database_url())
    return out
