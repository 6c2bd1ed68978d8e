"""/verify/ in a real Chromium: every document type is offered, and a malformed
number of the new types is refused with a message in the page's language."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from accounts.exceptions import MESSAGES
from accounts.models import IdentityVerification
from tests.browser.journey_helpers import login, new_page, png_file, set_language, shot
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fill(page, *, document_type, number, country):
    page.locator("#id_legal_name").fill("Chan Tai Man")
    page.locator("#id_document_type").select_option(document_type)
    page.locator("#id_document_number").fill(number)
    page.locator("#id_date_of_birth").fill(dt.date(1990, 3, 14).isoformat())
    page.locator("#id_country").select_option(country)
    page.locator("#id_document_image").set_input_files(files=[png_file("id.png", size=(640, 400))])
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


@pytest.mark.parametrize(("lang", "phone"), [("en", False), ("zh-hans", True)])
def test_travel_permit_is_offered_refused_when_malformed_and_accepted_when_real(
    live_server, browser, lang, phone
):
    from django.utils import translation

    user = UserFactory()
    page = new_page(browser, lang, phone=phone)
    set_language(page, live_server.url, lang)
    login(page, live_server.url, user.email, lang, next_url="/verify/")
    page.goto(live_server.url + "/verify/")
    values = page.locator("#id_document_type option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert set(values) >= {
        "cn_resident_id",
        "cn_residence_permit",
        "cn_permanent_res",
        "hkmo_travel_permit",
        "tw_travel_permit",
        "passport",
        "other",
    }

    _fill(page, document_type="hkmo_travel_permit", number="H1234567", country="HK")
    with translation.override(lang):
        expected = str(MESSAGES["hkmo_travel_permit_format"])
    expect(page.locator("#id_document_number_error")).to_contain_text(expected)
    expect(page.locator("#id_legal_name")).to_have_value("Chan Tai Man")
    assert page.evaluate("() => document.scrollingElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "verify-permit-error", lang)

    _fill(page, document_type="hkmo_travel_permit", number="H 1234 5678 01", country="HK")
    verification = IdentityVerification.objects.get(user=user)
    assert verification.document_type == "hkmo_travel_permit"
    assert verification.document_number == "H12345678"
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_reviewer_sees_a_birth_date_edited_after_a_refusal(live_server, browser, lang):
    from django.utils import translation

    from accounts import services
    from tests.accounts.identity_helpers import moderator, submit
    from tests.browser.journey_helpers import login_moderator

    mod = moderator()
    applicant = UserFactory()
    first = submit(applicant, number="C01X00T47", document_type="passport", country="DE")
    services.reject_verification(
        verification_id=first.pk, actor=mod, reason="The photo shows another date of birth."
    )
    again = submit(
        applicant,
        number="C01X00T47",
        document_type="passport",
        country="DE",
        birth=dt.date(1988, 3, 14),
    )
    page = new_page(browser, lang)
    set_language(page, live_server.url, lang)
    login_moderator(page, live_server.url, mod.email, lang)
    page.goto(f"{live_server.url}/admin/accounts/pendingverification/{again.pk}/change/")
    with translation.override(lang):
        label = translation.gettext("other dates of birth declared for this document")
    row = page.locator(".field-other_birth_dates")
    expect(row).to_contain_text(label[:1].upper() + label[1:])
    expect(row).to_contain_text(applicant.email)
    shot(page, "admin-verification-other-birth-dates", lang)
    page.context.close()
