"""The gateway's settings: one frozen object, read from an environment mapping and a TOML file.

Only this module reads configuration. Everything else receives a ``Settings``.

| source | example | wins over |
| --- | --- | --- |
| environment mapping | ``GATEWAY_PIM_URL=https://pim.example/api/core/v1`` | the TOML file, defaults |
| TOML file (``GATEWAY_CONFIG`` or ``config_file=``) | ``pim_url = "https://..."`` | defaults |
| defaults | an unset upstream URL means the built-in emulator | |

Secrets are ``SecretStr``: their ``repr`` and ``str`` show ``**********``.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

__all__ = [
    "DEMO_CITRUSAD_API_KEY",
    "DEMO_CITRUSAD_CATALOG_ID",
    "DEMO_CITRUSAD_TEAM_ID",
    "DEMO_IMAGE_BASE_URL",
    "DEMO_IMAGE_PLACEHOLDER_URL",
    "DEMO_OMNICOMMERCE_API_KEY",
    "DEMO_PIM_TOKEN",
    "DEMO_SHOP_BASE_URL",
    "ENV_PREFIX",
    "Settings",
    "SettingsError",
    "load_settings",
    "with_embedded_upstreams",
]

ENV_PREFIX = "GATEWAY_"

# The built-in emulators accept these credentials; they are used only when an upstream's
# URL is unset, so a real upstream never receives a demo credential.
DEMO_PIM_TOKEN = "demo-pim-token"  # noqa: S105
DEMO_OMNICOMMERCE_API_KEY = "demo-omnicommerce-key"
DEMO_CITRUSAD_API_KEY = "demo-citrusad-key"
DEMO_CITRUSAD_TEAM_ID = "e8158f9b-bbb9-49fb-93fe-3ad481ca8450"
DEMO_CITRUSAD_CATALOG_ID = "628dbe95-2ec9-4e07-881d-3e9f92ab2e0b"
# Where the demo's products are "sold" and their images "served": used only when OMNICOMMERCE
# is the built-in emulator and the settings name none.
DEMO_SHOP_BASE_URL = "https://shop.example.com/products"
DEMO_IMAGE_BASE_URL = "https://images.example.com"
DEMO_IMAGE_PLACEHOLDER_URL = "https://images.example.com/placeholder/{tid}.jpg"


class SettingsError(ValueError):
    """The configuration is invalid; the message names the setting, never its secret value."""


class Settings(BaseModel):
    """Everything the gateway can be told. Field ``x`` is set by ``GATEWAY_X`` or TOML key ``x``."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # Set: /metrics, /readyz and /healthz on this port (same host), and no /metrics on ``port``.
    admin_port: int | None = Field(default=None, ge=0, le=65535)

    pim_url: str | None = None
    pim_token: SecretStr | None = None
    omnicommerce_url: str | None = None
    omnicommerce_api_key: SecretStr | None = None
    citrusad_url: str | None = None
    citrusad_api_key: SecretStr | None = None
    citrusad_team_id: str | None = None
    citrusad_catalog_id: str = DEMO_CITRUSAD_CATALOG_ID

    gtin_attribute: str = "gtin"
    # Where a product is sold and where its images live, for the default channel mapping:
    # OMNICOMMERCE needs a sales page URL and an image URL, which the PIM does not hold.
    shop_base_url: str | None = None
    image_base_url: str | None = None
    # An image URL for products without an image asset, ``{tid}`` replaced; unset, such a
    # product is not sent to OMNICOMMERCE (it needs an image to detect anything).
    image_placeholder_url: str | None = None
    # A SQLite file path, or a ``postgresql://`` URL for several processes sharing one store.
    database: str = ".data/gateway.sqlite3"
    # Set: the upstream rate windows and cache invalidation are shared by every process
    # using this Redis (``redis://host:6379/0``); unset, both live in this process.
    redis_url: SecretStr | None = None
    extensions: tuple[str, ...] = ()

    upstream_timeout_seconds: float = Field(default=10.0, gt=0)
    # A read's attempts and retries together fit inside this, so a hung upstream costs at
    # most this long; and a whole operation answers within ``operation_deadline_seconds``,
    # its unfinished fields as UPSTREAM_TIMEOUT errors.
    upstream_deadline_seconds: float = Field(default=10.0, gt=0)
    operation_deadline_seconds: float = Field(default=15.0, gt=0)
    # A connection that has not sent complete request headers within ``header_timeout_seconds``
    # or its whole body within ``body_timeout_seconds`` is closed (slow-client protection).
    header_timeout_seconds: float = Field(default=5.0, gt=0)
    body_timeout_seconds: float = Field(default=10.0, gt=0)
    pim_batch_size: int = Field(default=100, ge=1, le=100)
    citrusad_concurrency: int = Field(default=16, ge=1, le=256)
    shutdown_grace_seconds: float = Field(default=10.0, ge=0)
    # A read that would wait longer than this for a rate-limited upstream's slot is refused
    # with UPSTREAM_RATE_LIMITED and ``retryAfter``; write jobs always wait.
    rate_wait_budget_seconds: float = Field(default=2.0, ge=0)

    # Write jobs (gateway/writes/): every bulk write is recorded, then run by workers.
    # A mutation without ``mode`` waits for its job when it has at most this many items,
    # and returns the job at once otherwise.
    write_wait_max_items: int = Field(default=1_000, ge=0)
    write_max_items: int = Field(default=100_000, ge=1)
    # Worker tasks in ``gateway serve`` (0: this process runs no jobs; ``gateway worker`` does).
    write_workers: int = Field(default=8, ge=0, le=64)
    # A worker holds each chunk it runs under a lease it renews; an expired lease (a dead
    # process) lets any other worker take the chunk over.
    write_lease_seconds: float = Field(default=30.0, ge=1)
    log_level: str = "INFO"
    introspection: bool | None = None
    tracing: bool = False
    otlp_endpoint: str | None = None
    graphiql: bool | None = None
    default_locale: str = "en_GB"
    # Hot queries run on gateway/execution's batch-by-level executor instead of graphql-core's.
    fast_execution: bool = True
    # The event loop and HTTP parser of ``gateway serve``: "auto" takes uvloop (and httptools)
    # when installed, as uvicorn does; "asyncio" the standard library's loop.
    event_loop: Literal["auto", "asyncio", "uvloop"] = "auto"

    # The shared read cache: TTLs in seconds per resource; 0 turns a resource's cache off.
    cache_enabled: bool = True
    cache_max_entries: int = Field(default=50_000, ge=0)
    cache_ttl_products: float = Field(default=60.0, ge=0)
    cache_ttl_nodes: float = Field(default=300.0, ge=0)
    cache_ttl_attribute_definitions: float = Field(default=300.0, ge=0)
    cache_ttl_attributes: float = Field(default=300.0, ge=0)
    cache_ttl_classifications: float = Field(default=300.0, ge=0)
    cache_ttl_catalog_products: float = Field(default=60.0, ge=0)
    # Whole answers to identical queries, bounded by bytes; 0 turns it off. It lives as long
    # as the shortest entity TTL and is cleared by every mutation.
    response_cache_max_bytes: int = Field(default=32 * 1024 * 1024, ge=0)

    # security (issue 6): authentication, operation limits, request guards, CORS.
    # See gateway/security/ for what each one means; defaults are the production ones.
    development_mode: bool = False
    api_keys: tuple[str, ...] = ()
    jwt_hs256_secret: SecretStr | None = None
    jwt_jwks_file: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_seconds: float = Field(default=30.0, ge=0, le=300)
    jwks_cache_seconds: int = Field(default=300, ge=0)
    max_query_depth: int = Field(default=15, ge=1)
    max_aliases: int = Field(default=30, ge=0)
    max_tokens: int = Field(default=1000, ge=1)
    max_root_fields: int = Field(default=20, ge=1)
    max_query_cost: int = Field(default=5000, ge=1)
    # Ids one list argument may carry (``products(tids:)``...): more is BAD_USER_INPUT.
    max_ids_per_argument: int = Field(default=1_000, ge=1)
    # The same field (response name) selected more than this often in one selection set is
    # refused while lexing, before validation can spend CPU on it.
    max_repeated_fields: int = Field(default=20, ge=1)
    max_body_bytes: int = Field(default=2_000_000, ge=1)
    max_json_depth: int = Field(default=64, ge=1, le=512)
    batching_enabled: bool = False
    max_batch_size: int = Field(default=10, ge=1, le=100)
    csrf_prevention: bool = True
    csrf_required_headers: tuple[str, ...] = ("x-apollo-operation-name", "apollo-require-preflight")
    cors_allow_origins: tuple[str, ...] = ()
    # Persisted operations: a manifest from `gateway operations` (Apollo's persisted query
    # manifest format); with ``trusted_documents_only``, only its operations are run.
    trusted_documents_manifest: str | None = None
    trusted_documents_only: bool = False

    @model_validator(mode="after")
    def _upstreams_are_complete(self) -> Settings:
        for url_field, needed in _UPSTREAM_REQUIREMENTS.items():
            url = getattr(self, url_field)
            if not url:
                continue
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{ENV_PREFIX}{url_field.upper()} must be an http(s) URL")
            for name in needed:
                if getattr(self, name) is None:
                    raise ValueError(
                        f"{ENV_PREFIX}{name.upper()} is required when "
                        f"{ENV_PREFIX}{url_field.upper()} is set"
                    )
        return self

    @property
    def emulated_upstreams(self) -> tuple[str, ...]:
        """The upstreams whose URL is unset, and so are served by the built-in emulators."""
        urls = {"pim": self.pim_url, "omnicommerce": self.omnicommerce_url}
        urls["citrusad"] = self.citrusad_url
        return tuple(name for name, url in urls.items() if not url)


_UPSTREAM_REQUIREMENTS = {
    "pim_url": ("pim_token",),
    "omnicommerce_url": ("omnicommerce_api_key",),
    "citrusad_url": ("citrusad_api_key", "citrusad_team_id"),
}

# Where each emulator's API lives below its server root, matching the settings' URL meaning.
_EMULATOR_BASE_PATHS = {"pim": "/api/core/v1", "omnicommerce": "/2022-08", "citrusad": ""}


def with_embedded_upstreams(settings: Settings, roots: Mapping[str, str]) -> Settings:
    """Point each emulated upstream at its emulator's server root (``http://127.0.0.1:PORT``).

    The demo credentials are filled in only for those upstreams, so a real upstream never
    receives one and a configured credential is never replaced.
    """
    emulated = settings.emulated_upstreams
    update: dict[str, Any] = {
        f"{name}_url": roots[name].rstrip("/") + _EMULATOR_BASE_PATHS[name] for name in emulated
    }
    demo_values: dict[str, tuple[str, Any]] = {
        "pim_token": ("pim", SecretStr(DEMO_PIM_TOKEN)),
        "omnicommerce_api_key": ("omnicommerce", SecretStr(DEMO_OMNICOMMERCE_API_KEY)),
        "citrusad_api_key": ("citrusad", SecretStr(DEMO_CITRUSAD_API_KEY)),
        "citrusad_team_id": ("citrusad", DEMO_CITRUSAD_TEAM_ID),
        "shop_base_url": ("omnicommerce", DEMO_SHOP_BASE_URL),
        "image_base_url": ("omnicommerce", DEMO_IMAGE_BASE_URL),
        "image_placeholder_url": ("omnicommerce", DEMO_IMAGE_PLACEHOLDER_URL),
    }
    for field_name, (upstream, value) in demo_values.items():
        if upstream in emulated and getattr(settings, field_name) is None:
            update[field_name] = value
    return settings.model_copy(update=update)


def load_settings(environ: Mapping[str, str], config_file: str | Path | None = None) -> Settings:
    """Build settings from ``environ`` (e.g. ``os.environ``) and an optional TOML file.

    The file is ``config_file`` if given, else ``GATEWAY_CONFIG`` from ``environ``.
    """
    values: dict[str, Any] = {}
    path = config_file or environ.get(f"{ENV_PREFIX}CONFIG")
    if path:
        values.update(_read_toml(Path(path)))
    values.update(_from_environ(environ))
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    known = Settings.model_fields
    values: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == f"{ENV_PREFIX}CONFIG":
            continue
        if name.startswith(_TEST_PREFIX):
            continue  # the test suite's own variables (GATEWAY_TEST_POSTGRES_URL...), not settings
        key = name[len(ENV_PREFIX) :].lower()
        if key not in known:
            raise SettingsError(_unknown(name, key, ENV_PREFIX))
        if key in _LIST_SETTINGS:
            values[key] = tuple(part.strip() for part in raw.split(",") if part.strip())
        elif raw != "":
            values[key] = raw
    return values


_TEST_PREFIX = f"{ENV_PREFIX}TEST_"

# security (issue 6) added the last three.
_LIST_SETTINGS = frozenset(
    {"extensions", "api_keys", "csrf_required_headers", "cors_allow_origins"}
)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(Settings.model_fields))
    if unknown:
        names = "; ".join(_unknown(key, key) for key in unknown)
        raise SettingsError(f"{path}: {names}")
    if isinstance(data.get("extensions"), list):
        data["extensions"] = tuple(data["extensions"])
    return data


def _unknown(name: str, key: str, prefix: str = "") -> str:
    """``unknown setting GATEWAY_PIM_TOKN (did you mean GATEWAY_PIM_TOKEN?)``: a misspelt
    name is the usual cause. ``key`` (the name without its prefix) is what is compared, so
    the shared ``GATEWAY_`` does not make every name look close to every other."""
    close = difflib.get_close_matches(key.lower(), list(Settings.model_fields), n=1)
    hint = f" (did you mean {prefix}{close[0].upper() if prefix else close[0]}?)" if close else ""
    return f"unknown setting {name}{hint}"


def _describe(exc: ValidationError) -> str:
    # Pydantic's default message echoes the rejected input, which may be a secret.
    problems = [
        f"{ENV_PREFIX}{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
        if err["loc"]
        else err["msg"].removeprefix("Value error, ")
        for err in exc.errors(include_input=False)
    ]
    return "invalid settings: " + "; ".join(problems)
