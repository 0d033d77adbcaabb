from __future__ import annotations

from pathlib import Path

import pytest

from gateway.settings import (
    DEMO_PIM_TOKEN,
    SettingsError,
    load_settings,
    with_embedded_upstreams,
)


def test_defaults_use_every_emulator() -> None:
    settings = load_settings({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.emulated_upstreams == ("pim", "omnicommerce", "citrusad")
    assert settings.gtin_attribute == "gtin"


def test_environment_overrides_toml(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text('port = 9000\nhost = "localhost"\nextensions = ["a.b"]\n')
    settings = load_settings({"GATEWAY_CONFIG": str(config), "GATEWAY_PORT": "9100"})
    assert (settings.host, settings.port, settings.extensions) == ("localhost", 9100, ("a.b",))


def test_secrets_are_masked_everywhere() -> None:
    settings = load_settings(
        {
            "GATEWAY_PIM_URL": "https://pim.example/api/core/v1",
            "GATEWAY_PIM_TOKEN": "tok-123-xyzzy",
            "GATEWAY_OMNICOMMERCE_API_KEY": "omni-plugh",
        }
    )
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert "xyzzy" not in shown and "plugh" not in shown
    assert settings.pim_token is not None
    assert settings.pim_token.get_secret_value() == "tok-123-xyzzy"


def test_settings_are_frozen() -> None:
    settings = load_settings({})
    with pytest.raises(ValueError, match="frozen"):
        settings.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"GATEWAY_PORT": "eighty"}, "GATEWAY_PORT"),
        ({"GATEWAY_NOPE": "1"}, "unknown setting GATEWAY_NOPE"),
        ({"GATEWAY_PIM_URL": "https://pim.example"}, "GATEWAY_PIM_TOKEN is required"),
        ({"GATEWAY_CITRUSAD_URL": "ftp://x", "GATEWAY_CITRUSAD_API_KEY": "k"}, "http"),
    ],
)
def test_invalid_settings_name_the_setting(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(environ)


def test_invalid_secret_is_not_echoed() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({"GATEWAY_PIM_URL": "not-a-url", "GATEWAY_PIM_TOKEN": "leaky-token"})
    assert "leaky-token" not in str(info.value)


def test_bad_toml_is_reported(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("port = ")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings({}, config)
    config.write_text("colour = 1\n")
    with pytest.raises(SettingsError, match="unknown setting"):
        load_settings({}, config)


def test_embedded_upstreams_fill_only_the_unset_ones() -> None:
    settings = load_settings(
        {
            "GATEWAY_CITRUSAD_URL": "https://citrus.example",
            "GATEWAY_CITRUSAD_API_KEY": "real",
            "GATEWAY_CITRUSAD_TEAM_ID": "team",
        }
    )
    roots = {"pim": "http://127.0.0.1:1", "omnicommerce": "http://127.0.0.1:2/"}
    embedded = with_embedded_upstreams(settings, roots)
    assert embedded.pim_url == "http://127.0.0.1:1/api/core/v1"
    assert embedded.omnicommerce_url == "http://127.0.0.1:2/2022-08"
    assert embedded.pim_token is not None
    assert embedded.pim_token.get_secret_value() == DEMO_PIM_TOKEN
    assert embedded.citrusad_url == "https://citrus.example"
    assert embedded.citrusad_api_key is not None
    assert embedded.citrusad_api_key.get_secret_value() == "real"
    assert embedded.emulated_upstreams == ()


def test_the_test_suites_own_variables_are_not_settings() -> None:
    # GATEWAY_TEST_POSTGRES_URL / GATEWAY_TEST_REDIS_URL tell the tests where the servers are;
    # a gateway started by a test inherits them and must not refuse to start.
    settings = load_settings(
        {
            "GATEWAY_TEST_POSTGRES_URL": "postgresql://postgres@127.0.0.1:5432/test",
            "GATEWAY_TEST_REDIS_URL": "redis://127.0.0.1:6379/0",
        }
    )
    assert settings.database == load_settings({}).database
