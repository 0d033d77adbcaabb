"""Who is calling: API keys and JWT bearer tokens become a ``Principal`` with scopes.

| request carries | principal | settings |
| --- | --- | --- |
| ``X-API-Key: <key>`` | ``kind="api_key"``, scopes of the key's entry | ``GATEWAY_API_KEYS`` |
| ``Authorization: Bearer <jwt>`` (HS256) | ``kind="jwt"``, scopes from ``scope``/``scp`` | ``GATEWAY_JWT_HS256_SECRET`` |
| ``Authorization: Bearer <jwt>`` (RS256/ES256) | the same, key chosen by ``kid`` | ``GATEWAY_JWT_JWKS_FILE`` or ``_URL`` |
| nothing, development mode | ``kind="anonymous"``, scopes ``{"read"}`` | ``GATEWAY_DEVELOPMENT_MODE=1`` |
| nothing, otherwise | ``Unauthenticated("authentication required")`` | |
| anything invalid | ``Unauthenticated("invalid credentials")``, whatever the reason | |

An API key entry is ``sha256:<64 hex digits>:<scopes joined by +>[:<subject>]``, e.g.
``GATEWAY_API_KEYS="sha256:9f86...0f08:read+write:publisher,sha256:2c26...7ae:read"``.
Make one with ``hash_api_key(generate_api_key())``. Only the digest is configured, so a
leaked settings file reveals no key; keys are random, so a plain SHA-256 is enough (a slow
password hash protects guessable secrets, which these are not).

Every failure gives the same message, so a caller learns nothing about why its token was
refused (signature, audience, issuer, expiry, unknown key); the reason is logged by
exception class name only. No key, token or secret appears in an error, a repr or a log line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import anyio.to_thread
import jwt

from gateway.errors import Forbidden, Unauthenticated, UpstreamUnavailable
from gateway.settings import Settings, SettingsError

__all__ = [
    "ANONYMOUS_READER",
    "API_KEY_HEADER",
    "SCOPES",
    "ApiKey",
    "Authenticator",
    "JwtVerifier",
    "Principal",
    "development_mode_warning",
    "generate_api_key",
    "hash_api_key",
    "parse_api_keys",
    "require",
    "scope_for_operation",
]

logger = logging.getLogger(__name__)

SCOPES = frozenset({"read", "write"})
API_KEY_HEADER = "x-api-key"
_INVALID = "invalid credentials"
_MISSING = "authentication required"
_ASYMMETRIC_ALGORITHMS = ("RS256", "ES256")

Kind = Literal["api_key", "jwt", "anonymous"]


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller (or the development-mode anonymous reader)."""

    subject: str
    scopes: frozenset[str]
    kind: Kind

    def has(self, scope: str) -> bool:
        return scope in self.scopes


ANONYMOUS_READER = Principal(subject="anonymous", scopes=frozenset({"read"}), kind="anonymous")


def require(principal: Principal, scope: str) -> None:
    """Raise ``Forbidden`` unless ``principal`` holds ``scope`` (``"read"`` or ``"write"``)."""
    if not principal.has(scope):
        raise Forbidden(f"the '{scope}' scope is required")


def scope_for_operation(operation_type: str) -> str:
    """``query`` and ``subscription`` need ``read``; ``mutation`` needs ``write``."""
    return "write" if operation_type.lower() == "mutation" else "read"


def development_mode_warning(settings: Settings) -> str | None:
    """The line to log loudly at start when development mode is on, else ``None``."""
    if not settings.development_mode:
        return None
    return (
        "!!! DEVELOPMENT MODE: anonymous callers may READ without credentials, field "
        "suggestions are on. Never expose this gateway to a network in this mode "
        "(unset GATEWAY_DEVELOPMENT_MODE). !!!"
    )


# --- API keys -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One configured key: the SHA-256 digest of the key, never the key itself."""

    digest: bytes = field(repr=False)
    scopes: frozenset[str]
    subject: str


_API_KEY_ENTRY = re.compile(r"sha256:(?P<hex>[0-9a-fA-F]{64}):(?P<scopes>[a-z+]+)(?::(?P<sub>.+))?")


def generate_api_key() -> str:
    """A fresh random key (256 bits) to hand to a caller."""
    return secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """``sha256:<hex>``: the form a key takes in ``GATEWAY_API_KEYS``."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def parse_api_keys(entries: Iterable[str]) -> tuple[ApiKey, ...]:
    """Parse ``GATEWAY_API_KEYS`` entries; a bad entry is named by position, not content.

    | entry | subject | scopes |
    | --- | --- | --- |
    | ``sha256:<hex>:read`` | ``api-key:<first 8 hex>`` | read |
    | ``sha256:<hex>:read+write:publisher`` | ``publisher`` | read, write |
    """
    keys = []
    for index, entry in enumerate(entries, start=1):
        match = _API_KEY_ENTRY.fullmatch(entry.strip())
        scopes = frozenset(match["scopes"].split("+")) if match else frozenset()
        if match is None or not scopes or not scopes <= SCOPES:
            raise SettingsError(
                f"GATEWAY_API_KEYS entry {index} is not sha256:<64 hex>:<read|write|read+write>"
                "[:<subject>]"
            )
        digest = bytes.fromhex(match["hex"])
        subject = match["sub"] or f"api-key:{match['hex'][:8].lower()}"
        keys.append(ApiKey(digest=digest, scopes=scopes, subject=subject))
    return tuple(keys)


def _match_api_key(keys: tuple[ApiKey, ...], presented: str) -> ApiKey | None:
    digest = hashlib.sha256(presented.encode()).digest()
    found = None
    # Compare against every key, in constant time, without stopping at the first match.
    for key in keys:
        if hmac.compare_digest(key.digest, digest):
            found = key
    return found


# --- JWT ------------------------------------------------------------------------------------


class JwtVerifier:
    """Verifies bearer JWTs: HS256 with a shared secret, RS256/ES256 with keys from a JWKS.

    | source | how keys are found |
    | --- | --- |
    | ``hs256_secret`` | the secret; only ``alg=HS256`` tokens |
    | ``jwks_file`` | read once at start; ``kid`` picks the key (or the only key) |
    | ``jwks_url`` | ``jwt.PyJWKClient``: fetched lazily, cached ``cache_seconds`` |

    The algorithm is pinned by key type, so a public key is never used as an HMAC secret.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        hs256_secret: str | None = None,
        jwks_file: str | Path | None = None,
        jwks_url: str | None = None,
        leeway_seconds: float = 30.0,
        cache_seconds: int = 300,
    ) -> None:
        self._issuer = issuer
        self._audience = audience
        self._secret = hs256_secret.encode() if hs256_secret else None
        self._leeway = leeway_seconds
        self._file_keys = _read_jwks_file(Path(jwks_file)) if jwks_file else None
        self._last_refresh = float("-inf")
        self._client = (
            jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=max(cache_seconds, 1), timeout=5)
            if jwks_url
            else None
        )

    @property
    def fetches_keys(self) -> bool:
        """True when verifying may block on a JWKS download (run it in a worker thread)."""
        return self._client is not None

    def __repr__(self) -> str:
        sources = [
            name
            for name, on in (
                ("hs256", self._secret),
                ("jwks_file", self._file_keys),
                ("jwks_url", self._client),
            )
            if on
        ]
        return f"JwtVerifier(issuer={self._issuer!r}, audience={self._audience!r}, keys={sources})"

    def verify(self, token: str) -> Principal:
        """The principal a valid token names; ``Unauthenticated`` for any invalid token."""
        try:
            key, algorithm = self._key_for(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWKClientConnectionError as exc:
            raise _jwks_down(exc) from None
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            logger.info("bearer token refused: %s", type(exc).__name__)
            raise Unauthenticated(_INVALID) from None
        return Principal(subject=str(claims["sub"]), scopes=_scopes_of(claims), kind="jwt")

    def _key_for(self, token: str) -> tuple[Any, str]:
        header = jwt.get_unverified_header(token)
        algorithm = header.get("alg")
        if algorithm == "HS256" and self._secret is not None:
            return self._secret, algorithm
        if algorithm not in _ASYMMETRIC_ALGORITHMS:
            raise jwt.InvalidAlgorithmError("algorithm not accepted")
        if self._client is not None:
            return self._remote_key(header.get("kid")).key, algorithm
        if self._file_keys is not None:
            return _pick_key(self._file_keys, header.get("kid")).key, algorithm
        raise jwt.InvalidKeyError("no key for this algorithm")

    def _remote_key(self, kid: object) -> jwt.PyJWK:
        assert self._client is not None
        key = _find_key(self._client.get_signing_keys(), kid)
        # An unknown kid may mean the issuer rotated keys, so refetch, but at most once a
        # minute: otherwise every forged kid would make us download the JWKS again.
        if key is None and time.monotonic() - self._last_refresh > _REFRESH_INTERVAL:
            self._last_refresh = time.monotonic()
            key = _find_key(self._client.get_signing_keys(refresh=True), kid)
        if key is None:
            raise jwt.InvalidKeyError("unknown key id")
        return key


_REFRESH_INTERVAL = 60.0


def _find_key(keys: list[jwt.PyJWK], kid: object) -> jwt.PyJWK | None:
    if kid is None and len(keys) == 1:
        return keys[0]
    return next((key for key in keys if key.key_id == kid), None)


def _jwks_down(exc: Exception) -> UpstreamUnavailable:
    logger.warning("JWKS download failed: %s", type(exc).__name__)
    return UpstreamUnavailable("the token keys could not be fetched", upstream="jwks")


def _read_jwks_file(path: Path) -> jwt.PyJWKSet:
    try:
        return jwt.PyJWKSet.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError, jwt.PyJWTError) as exc:
        raise SettingsError(f"GATEWAY_JWT_JWKS_FILE {path} is not a readable JWKS") from exc


def _pick_key(keys: jwt.PyJWKSet, kid: object) -> jwt.PyJWK:
    key = _find_key(keys.keys, kid)
    if key is None:
        raise jwt.InvalidKeyError("unknown key id")
    return key


def _scopes_of(claims: Mapping[str, Any]) -> frozenset[str]:
    """``scope: "read write"`` (RFC 8693) or ``scp: ["read"]`` / ``scp: "read"``; others dropped."""
    raw = claims.get("scope", claims.get("scp", ""))
    words = raw.split() if isinstance(raw, str) else [w for w in raw if isinstance(w, str)]
    return frozenset(words) & SCOPES


# --- the authenticator ----------------------------------------------------------------------


class Authenticator:
    """Turns request headers into a ``Principal``; build one at start with ``from_settings``."""

    def __init__(
        self,
        *,
        api_keys: tuple[ApiKey, ...] = (),
        jwt_verifier: JwtVerifier | None = None,
        allow_anonymous_read: bool = False,
    ) -> None:
        self._api_keys = api_keys
        self._jwt = jwt_verifier
        self._anonymous = allow_anonymous_read

    @classmethod
    def from_settings(cls, settings: Settings) -> Authenticator:
        """Raise ``SettingsError`` for an unusable configuration (named, never echoed)."""
        return cls(
            api_keys=parse_api_keys(settings.api_keys),
            jwt_verifier=_verifier_from_settings(settings),
            allow_anonymous_read=settings.development_mode,
        )

    def __repr__(self) -> str:
        return (
            f"Authenticator(api_keys={len(self._api_keys)}, jwt={self._jwt!r}, "
            f"anonymous_read={self._anonymous})"
        )

    def authenticate(self, headers: Mapping[str, str]) -> Principal:
        """The caller named by ``X-API-Key`` or ``Authorization: Bearer``; see the module table."""
        lowered = {name.lower(): value for name, value in headers.items()}
        api_key = lowered.get(API_KEY_HEADER, "").strip()
        authorization = lowered.get("authorization", "").strip()
        if api_key and authorization:
            raise Unauthenticated(_INVALID)  # two identities: refuse rather than guess
        if api_key:
            return self._from_api_key(api_key)
        if authorization:
            return self._from_authorization(authorization)
        if self._anonymous:
            return ANONYMOUS_READER
        raise Unauthenticated(_MISSING)

    async def authenticate_async(self, headers: Mapping[str, str]) -> Principal:
        """``authenticate`` off the event loop when it may download a JWKS."""
        if self._jwt is not None and self._jwt.fetches_keys:
            return await anyio.to_thread.run_sync(self.authenticate, headers)
        return self.authenticate(headers)

    def _from_api_key(self, presented: str) -> Principal:
        key = _match_api_key(self._api_keys, presented)
        if key is None:
            logger.info("API key refused: unknown key")
            raise Unauthenticated(_INVALID)
        return Principal(subject=key.subject, scopes=key.scopes, kind="api_key")

    def _from_authorization(self, value: str) -> Principal:
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip() or self._jwt is None:
            logger.info("authorization header refused: not a usable bearer token")
            raise Unauthenticated(_INVALID)
        return self._jwt.verify(token.strip())


def _verifier_from_settings(settings: Settings) -> JwtVerifier | None:
    secret = settings.jwt_hs256_secret
    if secret is None and not settings.jwt_jwks_file and not settings.jwt_jwks_url:
        return None
    if not settings.jwt_issuer or not settings.jwt_audience:
        raise SettingsError(
            "GATEWAY_JWT_ISSUER and GATEWAY_JWT_AUDIENCE are required when JWTs are accepted"
        )
    if settings.jwt_jwks_url and not settings.jwt_jwks_url.startswith(("https://", "http://")):
        raise SettingsError("GATEWAY_JWT_JWKS_URL must be an http(s) URL")
    if secret is not None and len(secret.get_secret_value()) < 32:
        raise SettingsError("GATEWAY_JWT_HS256_SECRET must be at least 32 characters")
    return JwtVerifier(
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        hs256_secret=secret.get_secret_value() if secret is not None else None,
        jwks_file=settings.jwt_jwks_file,
        jwks_url=settings.jwt_jwks_url,
        leeway_seconds=settings.jwt_leeway_seconds,
        cache_seconds=settings.jwks_cache_seconds,
    )
