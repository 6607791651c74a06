"""Settings from the environment (and a ``.env`` file), typed and validated in one place."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("best-music-cog", appauthor=False))


class Settings(BaseSettings):
    """Everything an operator can set. Names are the environment variables, prefix ``MUSICCOG_``."""

    model_config = SettingsConfigDict(env_prefix="MUSICCOG_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    library_dirs: str = ""
    """Extra music folders, separated by ``os.pathsep``; folder names are mood tags."""
    use_starter_pack: bool = True
    share_user_songs: bool = False
    """Add songs users send ("use this song") to the shared library; off by default (their music is theirs)."""
    max_duration_s: float = 600.0
    max_input_mb: float = 500.0
    max_pixels: int = 7680 * 4320
    ffmpeg_timeout_s: float = 900.0
    max_montage_items: int = 30
    """Most clips and photos one film (or batch) takes."""
    max_montage_input_mb: float = 2000.0
    """Largest total size of one film's inputs."""
    max_montage_footage_s: float = 1800.0
    """Most footage (all clips' lengths together) one film takes."""

    # ----- conversation engine (issue 5) ---------------------------------------------------------
    workers: int = 0
    """Worker processes for media jobs; 0 means one per CPU core."""
    daily_renders: int = 20
    """Renders per user per day (UTC); admins are unlimited; 0 or less means unlimited for everyone."""
    admins: str = ""
    """Comma-separated user ids (``123`` or ``telegram:123``) with unlimited renders."""
    allowed_users: str = ""
    """If set, only these user ids (comma-separated, ``123`` or ``telegram:123``) may use the bot."""
    allowed_chats: str = ""
    """If set, only these chat ids (comma-separated, ``-100123`` or ``telegram:-100123``) are served."""
    rate_limit_jobs: int = 6
    """Jobs one user may start per ``rate_limit_window_s``; 0 turns the limit off."""
    rate_limit_window_s: float = 60.0
    progress_interval_s: float = 3.0
    """At most one status-message edit per chat this often (platform flood limits)."""
    still_working_after_s: float = 20.0
    """Add a "still working" line when one stage has run this long without news."""
    collect_quiet_s: float = 3.0
    """Clips and photos sent one after another join one set until this long passes without another (or the
    user says what to make); a single clip waits this long at most before its render starts. 0 turns
    collecting off for separate messages (albums are still collected)."""
    album_wait_s: float = 1.0
    """The pause that ends a Telegram album (its items arrive as separate messages a moment apart)."""
    session_retention_days: float = 30.0
    """Sessions retired by ``/new`` (and their clips and renders) are deleted after this many days, with
    finished job rows and old render counts; a chat's current session is kept."""
    cleanup_interval_s: float = 3600.0
    """How often that housekeeping runs (also once at start-up)."""
    engine_db_path: Path | None = None
    """Sessions and jobs database; default ``data_dir/sessions.sqlite3``."""
    temp_dir: Path | None = None
    """Per-job scratch files (removed after each job); default ``data_dir/tmp``."""

    # ----- state in PostgreSQL (issue 14, "State"; bot/database.py, bot/postgres.py) ------------------
    database_url: SecretStr | None = None
    """``postgresql://user:password@host/db``: sessions, jobs, quotas and sets live there, shared by several
    bot processes; unset (the default): the SQLite file ``engine_db``. Holds a password: never logged."""

    # ----- video links (issue 5, "Links"; bot/links.py) -------------------------------------------
    link_allowed_hosts: str = ""
    """Comma-separated host names (or IP literals) a link may point at even if they resolve to a private,
    loopback or link-local address, on any port. For tests and operators' own servers; empty by default."""
    link_max_redirects: int = 5
    link_timeout_s: float = 120.0
    """Whole download of one link, redirects included."""
    link_connect_timeout_s: float = 10.0
    link_read_timeout_s: float = 20.0
    """Longest wait for the next bytes from the server."""

    # ----- Telegram (issue 5; adapters/telegram.py) -----------------------------------------------
    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "telegram_bot_token")
    )
    """From @BotFather; env ``TELEGRAM_BOT_TOKEN`` (no prefix). A secret: never logged, never shown."""
    telegram_api_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_API_BASE_URL", "telegram_api_base_url")
    )
    """Bot API URL before the token, e.g. ``http://localhost:8081/bot`` for a local ``telegram-bot-api``."""
    telegram_api_file_url: str | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_API_FILE_URL", "telegram_api_file_url")
    )
    """File download URL before the token, e.g. ``http://localhost:8081/file/bot``."""
    telegram_local_mode: bool = Field(
        default=False, validation_alias=AliasChoices("TELEGRAM_LOCAL_MODE", "telegram_local_mode")
    )
    """The Bot API server runs with ``--local``: files up to 2000 MB both ways, read from its disk."""
    telegram_max_download_mb: float | None = None
    """Largest file a user may send; default 20 MB on the public Bot API, 2000 MB in local mode (MiB, as
    Telegram counts them)."""
    telegram_max_upload_mb: float | None = None
    """Largest video the bot may send; default 50 MB on the public Bot API, 2000 MB in local mode."""

    # ----- Discord (issue 6; adapters/discord.py) -------------------------------------------------
    discord_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_BOT_TOKEN", "discord_bot_token")
    )
    """From the developer portal; env ``DISCORD_BOT_TOKEN`` (no prefix). A secret: never logged, never shown."""
    discord_guild_ids: str = Field(default="", validation_alias=AliasChoices("DISCORD_GUILD_IDS", "discord_guild_ids"))
    """Comma-separated guild ids whose slash commands are synced at once (development); else global sync."""
    discord_api_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_API_BASE_URL", "discord_api_base_url")
    )
    """REST base, e.g. ``http://127.0.0.1:8080/api/v10`` (a rate-limit proxy or a Discord-compatible server)."""
    discord_gateway_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_GATEWAY_URL", "discord_gateway_url")
    )
    """Gateway address, e.g. ``ws://127.0.0.1:8080/gateway``; default: asked from ``{base}/gateway/bot`` when
    only the REST base is set, else Discord's own."""
    discord_message_content: bool = True
    """Serve plain messages (a video in a DM, or a mention in a channel); needs the privileged Message Content
    intent in the developer portal. Off: slash commands and buttons only."""
    discord_default_upload_mb: float = 10.0
    """Upload limit (MiB) when neither the interaction nor the guild says (Discord's default is 10 MiB)."""

    # ----- backends (issue 7) ---------------------------------------------------------------------
    backend: str = "local"
    """``local`` (the embedded pipeline) or ``nemo`` (the NemoVideo cloud agent: clips leave this machine)."""
    allow_backend_choice: bool = False
    """Let users switch their chat's backend with ``/backend local|nemo``."""
    nemo_api_url: str = Field(
        default="https://mega-api-prod.nemovideo.ai", validation_alias=AliasChoices("NEMO_API_URL", "nemo_api_url")
    )
    nemo_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("NEMO_TOKEN", "nemo_token"))
    """A registered NemoVideo token (``nmv_usr_…``); without it an anonymous token is requested."""
    nemo_client_id: str | None = Field(default=None, validation_alias=AliasChoices("NEMO_CLIENT_ID", "nemo_client_id"))
    """Stable client id for anonymous tokens; default: made once and kept in ``data_dir/nemo-client-id``."""
    nemo_turn_timeout_s: float = 900.0
    """Hard cap on one agent turn (``/run_sse``)."""
    nemo_allowed_hosts: str = ""
    """Extra host names (comma-separated) that may receive the token besides the API host itself."""

    # ----- big files: upload page and download links (issue 17; bot/web/) --------------------------
    public_url: str | None = None
    """The operator's HTTPS address of the bot's own web server (e.g. ``https://bot.example.com``, behind a
    reverse proxy); unset turns the upload page and download links off."""
    web_host: str = "127.0.0.1"
    """Where the web server listens (a reverse proxy in front of it terminates TLS)."""
    web_port: int = 8088
    upload_link_ttl_s: float = 3600.0
    """How long an upload link works (it works once)."""
    download_ttl_s: float = 86_400.0
    """How long a full-quality download link (and its file) is kept."""
    web_links_per_hour: int = 10
    """Links one chat may be given per hour (uploads and downloads together); 0 turns the limit off."""
    # ----- scale-out: task queue, render workers, shared storage (issue 14, queue14; bot/scale/) ----------
    storage: str = ""
    """Shared storage for render workers on other machines: a folder every machine mounts (``/mnt/musiccog``)
    or ``s3://bucket/prefix``. Set (with a PostgreSQL URL), the bot sends its render steps to the queue and
    ``musiccog worker`` processes run them; empty (the default), everything runs in the local pool."""
    s3_endpoint_url: str | None = None
    """An S3-compatible server's address (MinIO, say); credentials from the standard ``AWS_*`` variables."""
    queue_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("MUSICCOG_QUEUE_URL", "MUSICCOG_DATABASE_URL", "queue_url")
    )
    """The task queue's PostgreSQL (``postgresql://…``); default ``MUSICCOG_DATABASE_URL``. A secret (it may hold
    a password): never logged."""
    worker_heartbeat_s: float = 10.0
    """How often a render worker says it is alive."""
    worker_stalled_s: float = 30.0
    """A worker silent this long is taken for dead: its steps are run again by another (at most once more)."""
    # ----- faults15: delivering results when the chat platform's API is down -----
    delivery_retry_first_s: float = 2.0
    """A result the platform refused (its API down or slow) is sent again after this long, then after twice
    as long each time, up to ``delivery_retry_max_s`` between tries."""
    delivery_retry_max_s: float = 60.0
    delivery_max_tries: int = 30
    """Tries before a result is given up on (one log line); with the defaults about 25 minutes of outage."""
    download_slot_grace_s: float = 3.0
    """A job whose download takes longer than this lends its worker slot to the next job until it is done, so
    no chat waits on another's slow link."""
    # ----- pool15: worker processes started on demand, idle extras retired (issue 15) -----
    worker_idle_s: float = 60.0
    """A worker process beyond the first that has had no work this long is stopped (it holds the media stack
    and its last job's memory); a new one is started when two jobs run at once again. 0 keeps them all."""

    @property
    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else (os.cpu_count() or 1)

    @property
    def scale_out(self) -> bool:
        """Render steps go to ``musiccog worker`` processes through the task queue (``storage`` is set)."""
        return bool(self.storage.strip())

    @property
    def engine_db(self) -> Path:
        return self.engine_db_path or self.data_dir / "sessions.sqlite3"

    @property
    def state_database_url(self) -> str | None:
        """The PostgreSQL URL, if one is set (a secret: never log it)."""
        url = self.database_url.get_secret_value().strip() if self.database_url else ""
        return url or None

    @property
    def sessions_database(self) -> Path | str:
        """What ``SessionStore.open`` takes: the PostgreSQL URL when one is set, else the SQLite file."""
        return self.state_database_url or self.engine_db

    @property
    def job_temp_dir(self) -> Path:
        return self.temp_dir or self.data_dir / "tmp"

    @property
    def backend_dir(self) -> Path:
        """Where the local backend keeps each session's clip, analysis, timeline and renders."""
        return self.data_dir / "local-sessions"

    @property
    def admin_ids(self) -> frozenset[str]:
        return _id_set(self.admins)

    @property
    def allowed_user_ids(self) -> frozenset[str]:
        return _id_set(self.allowed_users)

    @property
    def allowed_chat_ids(self) -> frozenset[str]:
        return _id_set(self.allowed_chats)

    @property
    def library_paths(self) -> list[Path]:
        return [Path(p).expanduser() for p in self.library_dirs.split(os.pathsep) if p.strip()]

    @property
    def max_input_bytes(self) -> int:
        return int(self.max_input_mb * 1_000_000)

    @property
    def user_songs_dir(self) -> Path:
        return self.data_dir / "user-songs"

    @property
    def library_db(self) -> Path:
        return self.data_dir / "library.sqlite3"

    @property
    def discord_guild_id_list(self) -> list[int]:
        return [int(part) for part in _id_set(self.discord_guild_ids) if part.isdigit()]

    @property
    def nemo_client_id_file(self) -> Path:
        return self.data_dir / "nemo-client-id"

    @property
    def web_dir(self) -> Path:
        """Uploads in progress and full-quality results waiting for their download link (issue 17)."""
        return self.data_dir / "web"

    @property
    def telegram_download_limit_bytes(self) -> int:
        mb = self.telegram_max_download_mb or (2000.0 if self.telegram_local_mode else 20.0)
        return int(mb * 1024 * 1024)

    @property
    def telegram_upload_limit_bytes(self) -> int:
        mb = self.telegram_max_upload_mb or (2000.0 if self.telegram_local_mode else 50.0)
        return int(mb * 1024 * 1024)


def _id_set(text: str) -> frozenset[str]:
    """Comma/space separated ids as a set; ``telegram:123`` and ``123`` are both kept as written."""
    return frozenset(part for part in text.replace(",", " ").split() if part)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
