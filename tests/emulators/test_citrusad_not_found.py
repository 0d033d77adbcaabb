"""The CitrusAd emulator's not-found switch: each answer the document leaves possible."""

from __future__ import annotations

import httpx
import pytest

from gateway.emulators import citrusad
from gateway.emulators.citrusad.not_found import ENGLISH, KOREAN
from gateway.emulators.serving import BackgroundServer
from gateway.settings import DEMO_CITRUSAD_API_KEY, DEMO_CITRUSAD_CATALOG_ID

AUTH = {"Authorization": f"Basic {DEMO_CITRUSAD_API_KEY}"}
KNOWN = "23556578965543"  # the document's Covergirl product, seeded

# variant -> (GET status, GET body bytes, DELETE status, DELETE body bytes)
EXPECTED = {
    "english": (404, f'{{"message": "{ENGLISH}"}}', 404, f'{{"message": "{ENGLISH}"}}'),
    "korean": (404, f'{{"message": "{KOREAN}"}}', 404, f'{{"message": "{KOREAN}"}}'),
    "empty": (404, "", 404, ""),
    "empty-object": (404, "{}", 404, "{}"),
    "empty-list": (200, '{"catalogProducts": []}', 404, f'{{"message": "{ENGLISH}"}}'),
}


def _url(server: BackgroundServer, code: str) -> str:
    return f"{server.url}/v1/catalog-products/{DEMO_CITRUSAD_CATALOG_ID}/{code}"


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_each_variant_answers_unknown_codes_only(
    citrusad_server: BackgroundServer, variant: str
) -> None:
    citrusad_server.app.state.not_found.set(variant)
    get_status, get_body, delete_status, delete_body = EXPECTED[variant]
    got = httpx.get(_url(citrusad_server, "nope"), headers=AUTH)
    assert (got.status_code, got.content.decode()) == (get_status, get_body)
    gone = httpx.delete(_url(citrusad_server, "nope"), headers=AUTH)
    assert (gone.status_code, gone.content.decode()) == (delete_status, delete_body)
    # A known code is answered as always.
    found = httpx.get(_url(citrusad_server, KNOWN), headers=AUTH)
    assert found.status_code == 200 and found.json()["catalogProducts"][0]["gtin"] == KNOWN


def test_the_switch_over_http_and_at_creation() -> None:
    server = BackgroundServer(citrusad.create_app(seed=False, not_found="korean")).start()
    try:
        assert httpx.get(_url(server, "x"), headers=AUTH).json() == {"message": KOREAN}
        switch = f"{server.url}/__emulator__/not-found"
        assert httpx.post(switch, json={"variant": "empty"}).status_code == 204
        assert httpx.get(_url(server, "x"), headers=AUTH).content == b""
        assert httpx.post(switch, json={"variant": "nope"}).status_code == 400
        assert server.app.state.log.count() == 2  # admin requests are not logged
    finally:
        server.stop()


def test_get_and_delete_still_tolerate_a_team_id(citrusad_server: BackgroundServer) -> None:
    """Documented without teamId; a sent one is still checked (another team: 403)."""
    from gateway.settings import DEMO_CITRUSAD_TEAM_ID

    url = _url(citrusad_server, KNOWN)
    assert httpx.get(url, params={"teamId": DEMO_CITRUSAD_TEAM_ID}, headers=AUTH).status_code == 200
    assert httpx.get(url, params={"teamId": "other"}, headers=AUTH).status_code == 403
    assert httpx.get(url, headers=AUTH).status_code == 200
