"""All configuration in one pydantic-settings class; environment variables prefixed ARREARS_."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime settings, read from the environment (ARREARS_*) or a .env file."""

    model_config = SettingsConfigDict(env_prefix="ARREARS_", env_file=".env", extra="ignore")

    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite under var/")
    var_dir: Path = Field(default=Path("var"), description="Where the SQLite file and reports live")
    environment: str = Field(default="development", description="development | test | production")
    default_region: str = Field(default="CN", description="Phone region when a number has no country code")
    default_timezone: str = Field(default="Asia/Shanghai", description="Fallback debtor time zone")
    default_currency: str = Field(default="CNY")
    default_language: str = Field(default="zh-CN", description="zh-CN or en")
    bucket_thresholds: list[int] = Field(
        default=[30, 60, 90, 120, 150, 180],
        description="Upper DPD bound of M1..M6; past the last one an account is a write-off candidate",
    )
    max_third_party_contacts: int = Field(
        default=10, ge=0, description="Most third-party contacts one debtor may have in an import file"
    )
    lease_minutes: int = Field(
        default=15, ge=1, le=480, description="How long a contact handed out by the work queue stays leased"
    )
    clock: str = Field(
        default="system",
        description="system | manual (simulation mode: an administrator sets the clock through the API)",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    demo_debtors: int = 5000
    demo_seed: int = 20261129

    @field_validator("bucket_thresholds")
    @classmethod
    def _ascending(cls, value: list[int]) -> list[int]:
        if not value or any(b <= a for a, b in zip(value, value[1:], strict=False)) or value[0] < 1:
            raise ValueError("bucket_thresholds must be positive and strictly ascending")
        return value

    @field_validator("clock")
    @classmethod
    def _clock_kind(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("system", "manual"):
            raise ValueError("clock must be 'system' or 'manual'")
        return value

    @model_validator(mode="after")
    def _no_manual_clock_in_production(self) -> Settings:
        if self.clock == "manual" and self.environment.strip().lower() == "production":
            raise ValueError(
                "ARREARS_CLOCK=manual (simulation mode) is refused when ARREARS_ENVIRONMENT=production"
            )
        return self

    @property
    def effective_database_url(self) -> str:
        """The database URL in use: the configured one, or SQLite under var_dir."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{(self.var_dir / 'arrears.db').as_posix()}"

    @property
    def is_sqlite(self) -> bool:
        """True when the database is SQLite."""
        return self.effective_database_url.startswith("sqlite")
