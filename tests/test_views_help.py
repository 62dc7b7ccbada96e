"""The pages about the service (hotspots.web.pages.help): /.well-known/security.txt, and the facts
the code knows on the others: the privacy notice what the service holds (from
hotspots.model.privacy), the accessibility statement the problems the pages have."""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

import browser_support as world
import pytest

from hotspots.base.config import ConfigError, load_config
from hotspots.model import privacy


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(
        db_path,
        tmp_path,
        service={
            "security_contact": "cyber@norfolk.example.gov.uk",
            "security_contact_reviewed_on": "2026-02-01",
        },
    )


def fields(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition(": ")
            assert name not in found, f"{name} given twice"
            found[name] = value
    return found


def test_security_txt_publishes_the_contact_from_the_setting_as_rfc_9116_asks(client):
    response = client.get("/.well-known/security.txt")  # no sign-in: anyone may report
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    found = fields(response.get_data(as_text=True))
    assert found["Contact"] == "mailto:cyber@norfolk.example.gov.uk"
    assert found["Canonical"] == "http://127.0.0.1:5000/.well-known/security.txt"  # [app] base_url
    assert found["Preferred-Languages"] == "en"
    # Required, once, and less than a year after the contact was last reviewed.
    expires = datetime.fromisoformat(found["Expires"].replace("Z", "+00:00"))
    assert expires.isoformat() == "2027-01-31T00:00:00+00:00"


def test_a_contact_may_be_a_web_address_and_a_bad_one_is_refused_at_start():
    settings = load_config(overrides={"service": {"security_contact": "https://x.example/vdp"}})
    assert settings["service"]["security_contact"] == "https://x.example/vdp"
    for bad in ["nobody", "http://insecure.example/report", "two words@example.gov.uk"]:
        with pytest.raises(ConfigError, match="security_contact must be an email address"):
            load_config(overrides={"service": {"security_contact": bad}})
    with pytest.raises(ConfigError, match="security_contact_reviewed_on"):
        load_config(overrides={"service": {"security_contact_reviewed_on": "26/11/2026"}})


def test_a_web_address_contact_is_published_as_it_is(db_path, tmp_path):
    app = world.make_app(db_path, tmp_path, service={"security_contact": "https://x.example/vdp"})
    text = app.test_client().get("/.well-known/security.txt").get_data(as_text=True)
    assert fields(text)["Contact"] == "https://x.example/vdp"


def test_the_privacy_notice_says_everything_in_the_register_nhs_numbers_included(client, ids):
    page = html.unescape(client.get("/privacy").get_data(as_text=True))
    for held in privacy.REGISTER:
        assert held.what in page
    assert "NHS number" in page
    assert "No child's name or address is held" in page
    assert "No child's name, address or NHS number is held" not in page
    assert "lasts at most 10 hours" in page and "30 minutes without activity" in page


def test_the_accessibility_statement_describes_the_pages_as_they_are(client, ids):
    """Its problems are the ones the pages have: nothing scrolls sideways on a phone (every
    page is checked at 375 px in tests/test_browser.py), and the reasons the lists clamp to two
    lines (the stylesheet's app-reasons-line) are said to be cut."""
    page = html.unescape(client.get("/accessibility").get_data(as_text=True))
    problems = page[page.index('data-testid="known-problems"') :]
    problems = problems[: problems.index("</ul>")]
    assert "scroll sideways" not in problems
    assert "375-pixel-wide phone screen without scrolling sideways" in page
    build = Path(__file__).resolve().parent.parent / "scripts" / "build-assets.sh"
    assert "-webkit-line-clamp: 2" in build.read_text()
    assert "cut to two lines" in problems
