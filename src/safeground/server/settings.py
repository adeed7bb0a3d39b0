"""Server settings, from the environment. A missing, short or placeholder secret is
refused: the secret keys the session hashes, and a guessable one would let anyone with a
copy of the database forge nothing but would still be a lie about the server's safety."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PLACEHOLDERS = frozenset(
    {"changethis", "changeme", "change-me", "secret", "password", "default", "example", "test"}
)
MIN_SECRET = 32


class SettingsError(ValueError):
    """The settings cannot be used (the server refuses to start)."""


@dataclass(frozen=True)
class Settings:
    db: str  # a sqlite: path or a postgresql:// URL
    secret_key: str
    export_dir: Path = Path("exports")
    max_upload_bytes: int = 5 * 1024 * 1024
    secure_cookies: bool = False  # set behind HTTPS
    pool_size: int = 8

    def __post_init__(self) -> None:
        key = self.secret_key
        if not key:
            raise SettingsError("SAFEGROUND_SECRET_KEY is not set: give the server a secret")
        if key.lower() in PLACEHOLDERS or any(p in key.lower() for p in ("changethis",)):
            raise SettingsError("SAFEGROUND_SECRET_KEY is a placeholder: choose a real secret")
        if len(key) < MIN_SECRET or len(set(key)) < 8:
            raise SettingsError(
                f"SAFEGROUND_SECRET_KEY is too weak: at least {MIN_SECRET} characters, varied "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        if self.max_upload_bytes < 1 or self.pool_size < 1:
            raise SettingsError("upload limit and pool size must be positive")

    @classmethod
    def from_env(cls, db: str | None = None) -> Settings:
        env = os.environ
        return cls(
            db=db or env.get("SAFEGROUND_DB", "safeground.gpkg"),
            secret_key=env.get("SAFEGROUND_SECRET_KEY", ""),
            export_dir=Path(env.get("SAFEGROUND_EXPORT_DIR", "exports")),
            max_upload_bytes=int(env.get("SAFEGROUND_MAX_UPLOAD_BYTES", 5 * 1024 * 1024)),
            secure_cookies=env.get("SAFEGROUND_SECURE_COOKIES", "") == "1",
            pool_size=int(env.get("SAFEGROUND_POOL_SIZE", 8)),
        )
