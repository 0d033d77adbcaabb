from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.emulators.serving import BackgroundServer
from gateway.errors import Forbidden, Unauthenticated, UpstreamUnavailable
from gateway.security.auth import (
    ANONYMOUS_READER,
    Authenticator,
    Principal,
    development_mode_warning,
    generate_api_key,
    hash_api_key,
    parse_api_keys,
    require,
    scope_for_operation,
)
from gateway.settings import Settings, SettingsError, load_settings

SECRET = "an-hs256-secret-of-at-least-32-characters!"
ISSUER = "https://issuer.example"
AUDIENCE = "catalog-gateway"


def _claims(**override: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "svc-1", "exp": now + 300, "iat": now}
    claims.update(scope="read write")
    claims.update(override)
    return {k: v for k, v in claims.items() if v is not None}


def _hs256(**override: Any) -> str:
    return jwt.encode(_claims(**override), SECRET, algorithm="HS256")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _jwks(**keys: Any) -> dict[str, Any]:
    entries = []
    for kid, private in keys.items():
        entry = json.loads(
            jwt.algorithms.get_default_algorithms()[_alg(private)].to_jwk(private.public_key())
        )
        entries.append({**entry, "kid": kid, "use": "sig", "alg": _alg(private)})
    return {"keys": entries}


def _alg(private: Any) -> str:
    return "RS256" if isinstance(private, rsa.RSAPrivateKey) else "ES256"


def _signed(private: Any, kid: str, **override: Any) -> str:
    return jwt.encode(_claims(**override), private, algorithm=_alg(private), headers={"kid": kid})


@pytest.fixture
def jwks_file(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(_jwks(r1=rsa_key, e1=ec_key)))
    return path


def _settings(**values: Any) -> Settings:
    base: dict[str, Any] = {"jwt_issuer": ISSUER, "jwt_audience": AUDIENCE}
    return Settings(**{**base, **values})


@pytest.fixture
def hs_auth() -> Authenticator:
    return Authenticator.from_settings(_settings(jwt_hs256_secret=SECRET))


# --- JWT ------------------------------------------------------------------------------------


def test_hs256_token_gives_its_subject_and_scopes(hs_auth: Authenticator) -> None:
    principal = hs_auth.authenticate(_bearer(_hs256()))
    assert principal == Principal(subject="svc-1", scopes=frozenset({"read", "write"}), kind="jwt")


@pytest.mark.parametrize(
    ("claim", "scopes"),
    [
        ({"scope": "read"}, {"read"}),
        ({"scope": None, "scp": ["read", "write", "admin"]}, {"read", "write"}),
        ({"scope": None, "scp": "write"}, {"write"}),
        ({"scope": None}, set()),
    ],
)
def test_scopes_come_from_scope_or_scp(
    hs_auth: Authenticator, claim: dict[str, Any], scopes: set[str]
) -> None:
    assert hs_auth.authenticate(_bearer(_hs256(**claim))).scopes == scopes


@pytest.mark.parametrize(
    "token",
    [
        _hs256(aud="someone-else"),
        _hs256(iss="https://evil.example"),
        _hs256(exp=int(time.time()) - 3600),
        _hs256(nbf=int(time.time()) + 3600),
        _hs256(sub=None),
        jwt.encode(_claims(), "another-secret-that-is-long-enough-too!!", algorithm="HS256"),
        jwt.encode(_claims(), None, algorithm="none"),
        _hs256()[:-4] + "AAAA",
        "not-a-jwt",
    ],
    ids=[
        "audience",
        "issuer",
        "expired",
        "not-yet",
        "no-sub",
        "signature",
        "alg-none",
        "tampered",
        "garbage",
    ],
)
def test_every_bad_token_gets_one_generic_message(hs_auth: Authenticator, token: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        hs_auth.authenticate(_bearer(token))
    assert caught.value.message == "invalid credentials"
    assert caught.value.code == "UNAUTHENTICATED"


def test_small_clock_skew_is_tolerated(hs_auth: Authenticator) -> None:
    assert hs_auth.authenticate(_bearer(_hs256(exp=int(time.time()) - 5))).kind == "jwt"


def test_jwks_file_accepts_rs256_and_es256(
    jwks_file: Path, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    auth = Authenticator.from_settings(_settings(jwt_jwks_file=str(jwks_file)))
    assert auth.authenticate(_bearer(_signed(rsa_key, "r1", scope="read"))).scopes == {"read"}
    assert auth.authenticate(_bearer(_signed(ec_key, "e1"))).subject == "svc-1"


def test_jwks_refuses_unknown_kid_foreign_key_and_hmac_confusion(
    jwks_file: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    auth = Authenticator.from_settings(_settings(jwt_jwks_file=str(jwks_file)))
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # The last one is the HS256-with-a-public-key confusion: no secret is set, so no HS256.
    for token in (
        _signed(rsa_key, "nope"),
        _signed(stranger, "r1"),
        jwt.encode(_claims(), SECRET, algorithm="HS256", headers={"kid": "r1"}),
    ):
        with pytest.raises(Unauthenticated, match=r"^invalid credentials$"):
            auth.authenticate(_bearer(token))


@pytest.fixture
def jwks_server(rsa_key: rsa.RSAPrivateKey) -> Iterator[tuple[BackgroundServer, list[str]]]:
    hits: list[str] = []

    async def keys(request: Request) -> JSONResponse:
        hits.append(request.url.path)
        return JSONResponse(_jwks(r1=rsa_key))

    server = BackgroundServer(Starlette(routes=[Route("/jwks.json", keys)])).start()
    try:
        yield server, hits
    finally:
        server.stop()


async def test_jwks_url_is_fetched_once_and_unknown_kids_do_not_refetch_it(
    jwks_server: tuple[BackgroundServer, list[str]], rsa_key: rsa.RSAPrivateKey
) -> None:
    server, hits = jwks_server
    auth = Authenticator.from_settings(_settings(jwt_jwks_url=f"{server.url}/jwks.json"))
    for _ in range(3):
        assert (await auth.authenticate_async(_bearer(_signed(rsa_key, "r1")))).kind == "jwt"
    for kid in ("forged-1", "forged-2", "forged-3"):
        with pytest.raises(Unauthenticated):
            await auth.authenticate_async(_bearer(_signed(rsa_key, kid)))
    assert len(hits) == 2  # the first fetch, and one refresh for the first unknown kid


def test_unreachable_jwks_url_is_an_unavailable_upstream(rsa_key: rsa.RSAPrivateKey) -> None:
    auth = Authenticator.from_settings(_settings(jwt_jwks_url="http://127.0.0.1:9/jwks.json"))
    with pytest.raises(UpstreamUnavailable) as caught:
        auth.authenticate(_bearer(_signed(rsa_key, "r1")))
    assert caught.value.upstream == "jwks"


@pytest.mark.parametrize(
    "values",
    [
        {"jwt_hs256_secret": SECRET, "jwt_issuer": None},
        {"jwt_jwks_file": "/x.json", "jwt_audience": None},
        {"jwt_hs256_secret": "short"},
        {"jwt_jwks_file": "/does/not/exist.json"},
    ],
)
def test_unusable_jwt_settings_are_refused_at_start(values: dict[str, Any]) -> None:
    with pytest.raises(SettingsError) as caught:
        Authenticator.from_settings(_settings(**values))
    assert "short" not in str(caught.value) and SECRET not in str(caught.value)


# --- API keys -------------------------------------------------------------------------------


@pytest.fixture
def keys() -> dict[str, str]:
    return {"reader": generate_api_key(), "writer": generate_api_key()}


@pytest.fixture
def key_auth(keys: dict[str, str]) -> Authenticator:
    entries = (
        f"{hash_api_key(keys['reader'])}:read,{hash_api_key(keys['writer'])}:read+write:publisher"
    )
    return Authenticator.from_settings(load_settings({"GATEWAY_API_KEYS": entries}))


def test_api_keys_from_the_environment_carry_their_scopes(
    key_auth: Authenticator, keys: dict[str, str]
) -> None:
    reader = key_auth.authenticate({"X-API-Key": keys["reader"]})
    writer = key_auth.authenticate({"x-api-key": keys["writer"]})
    assert (reader.kind, reader.scopes) == ("api_key", {"read"})
    assert reader.subject == "api-key:" + hash_api_key(keys["reader"])[7:15]
    assert (writer.subject, writer.scopes) == ("publisher", {"read", "write"})


def test_read_only_key_is_forbidden_to_write(key_auth: Authenticator, keys: dict[str, str]) -> None:
    reader = key_auth.authenticate({"X-API-Key": keys["reader"]})
    require(reader, scope_for_operation("query"))
    with pytest.raises(Forbidden) as caught:
        require(reader, scope_for_operation("mutation"))
    assert caught.value.code == "FORBIDDEN"


def test_unknown_key_and_two_identities_are_refused(
    key_auth: Authenticator, keys: dict[str, str]
) -> None:
    for headers in (
        {"X-API-Key": "guess"},
        {"X-API-Key": keys["reader"], "Authorization": "Bearer x"},
        {"Authorization": f"ApiKey {keys['reader']}"},
    ):
        with pytest.raises(Unauthenticated, match=r"^invalid credentials$"):
            key_auth.authenticate(headers)


@pytest.mark.parametrize(
    "entry",
    ["sha256:abc:read", f"{hash_api_key('k')}:admin", f"{hash_api_key('k')}", "md5:00:read"],
)
def test_malformed_key_entries_are_named_by_position(entry: str) -> None:
    with pytest.raises(SettingsError, match="entry 2 ") as caught:
        parse_api_keys([f"{hash_api_key('ok')}:read", entry])
    assert entry not in str(caught.value)


# --- anonymous and development mode -------------------------------------------------------


def test_no_credentials_is_refused_outside_development() -> None:
    with pytest.raises(Unauthenticated, match=r"^authentication required$"):
        Authenticator.from_settings(Settings()).authenticate({})
    assert development_mode_warning(Settings()) is None


def test_development_mode_allows_anonymous_read_only() -> None:
    settings = load_settings({"GATEWAY_DEVELOPMENT_MODE": "1"})
    principal = Authenticator.from_settings(settings).authenticate({})
    assert principal == ANONYMOUS_READER
    require(principal, "read")
    with pytest.raises(Forbidden):
        require(principal, "write")
    warning = development_mode_warning(settings)
    assert warning is not None and "DEVELOPMENT MODE" in warning and "anonymous" in warning


def test_bad_credentials_are_refused_even_in_development() -> None:
    auth = Authenticator.from_settings(Settings(development_mode=True))
    with pytest.raises(Unauthenticated):
        auth.authenticate({"X-API-Key": "wrong"})


# --- nothing secret leaks -------------------------------------------------------------------


def test_no_key_token_or_secret_in_errors_reprs_or_logs(
    caplog: pytest.LogCaptureFixture,
    jwks_file: Path,
    rsa_key: rsa.RSAPrivateKey,
    keys: dict[str, str],
) -> None:
    caplog.set_level(logging.DEBUG)
    entry = f"{hash_api_key(keys['reader'])}:read"
    settings = _settings(jwt_hs256_secret=SECRET, jwt_jwks_file=str(jwks_file), api_keys=(entry,))
    auth = Authenticator.from_settings(settings)
    bad_tokens = [
        _hs256(aud="x"),
        _hs256(exp=1),
        _signed(rsa_key, "nope"),
        jwt.encode(_claims(), "w" * 40, algorithm="HS256"),
    ]
    attempts = [_bearer(t) for t in bad_tokens] + [{"X-API-Key": keys["writer"]}]
    texts = [repr(auth), repr(settings), str(settings)]
    for headers in attempts:
        with pytest.raises(Unauthenticated) as caught:
            auth.authenticate(headers)
        texts += [str(caught.value), repr(caught.value), json.dumps(caught.value.extensions())]
    texts += [record.getMessage() for record in caplog.records]
    good = auth.authenticate({"X-API-Key": keys["reader"]})
    texts.append(repr(good))
    secrets = [SECRET, keys["reader"], keys["writer"], *bad_tokens]
    secrets += [t.split(".")[2] for t in bad_tokens]  # signatures alone
    leaks = [s for s in secrets for text in texts if s in text]
    assert leaks == []
    assert any("refused" in r.getMessage() for r in caplog.records)  # the reason is logged
