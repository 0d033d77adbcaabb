from __future__ import annotations

import pytest

from gateway.security.auth import hash_api_key
from gateway.settings import Settings, SettingsError, load_settings


def test_security_defaults_are_the_production_ones() -> None:
    settings = Settings()
    assert settings.development_mode is False
    assert settings.api_keys == () and settings.cors_allow_origins == ()
    assert (settings.max_query_depth, settings.max_aliases, settings.max_root_fields) == (
        15,
        30,
        20,
    )
    assert (settings.max_tokens, settings.max_query_cost) == (1000, 5000)
    assert (settings.max_body_bytes, settings.max_json_depth) == (2_000_000, 64)
    assert (settings.batching_enabled, settings.max_batch_size) == (False, 10)
    assert settings.csrf_prevention is True
    assert settings.csrf_required_headers == ("x-apollo-operation-name", "apollo-require-preflight")


def test_list_settings_split_on_commas() -> None:
    key = hash_api_key("k")
    settings = load_settings(
        {
            "GATEWAY_API_KEYS": f"{key}:read, {key}:read+write:ci",
            "GATEWAY_CORS_ALLOW_ORIGINS": "https://a.example,https://b.example",
            "GATEWAY_CSRF_REQUIRED_HEADERS": "x-gateway-csrf",
            "GATEWAY_BATCHING_ENABLED": "true",
            "GATEWAY_MAX_QUERY_DEPTH": "10",
        }
    )
    assert settings.api_keys == (f"{key}:read", f"{key}:read+write:ci")
    assert settings.cors_allow_origins == ("https://a.example", "https://b.example")
    assert settings.csrf_required_headers == ("x-gateway-csrf",)
    assert settings.batching_enabled is True and settings.max_query_depth == 10


def test_jwt_secret_is_never_shown() -> None:
    settings = load_settings({"GATEWAY_JWT_HS256_SECRET": "s3cret-value-that-is-long-enough-x"})
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings)


def test_out_of_range_limits_are_refused() -> None:
    with pytest.raises(SettingsError, match="GATEWAY_MAX_BATCH_SIZE"):
        load_settings({"GATEWAY_MAX_BATCH_SIZE": "1000"})
