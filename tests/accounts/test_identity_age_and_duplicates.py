"""The minors rule at every entry point (form, service, moderator's approval, identity
provider) and duplicates recognised whatever the spelling of the number."""

import datetime as dt

import pytest

from accounts import services
from accounts.exceptions import InvalidDocument, VerificationRefused
from accounts.identity import IdentityCheckOutcome
from accounts.models import AuditEntry, IdentityVerification, ImpersonationFlag
from tests.accounts.identity_helpers import form_data, moderator, ric, submit
from tests.accounts.test_identity_numbers import X_NUMBER, cn_id, permanent_2023
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
ADULT = dt.date(1990, 3, 14)


def _marked_minor(user) -> bool:
    user.refresh_from_db()
    return user.is_minor and not IdentityVerification.objects.filter(user=user).exists()


# ------------------------------------------------------------ minors at submission


@pytest.mark.parametrize(
    ("document_type", "country", "make"),
    [
        ("cn_resident_id", "CN", lambda birth: ric(birth)),
        ("cn_residence_permit", "HK", lambda birth: cn_id("810000", birth)),
        ("cn_permanent_res", "CN", lambda birth: permanent_2023(birth=birth)),
        ("cn_permanent_res", "CN", lambda birth: f"USA11{birth:%y%m%d}0012"),
    ],
)
def test_a_number_encoding_a_minors_birth_date_marks_the_minor_whatever_was_declared(
    document_type, country, make
):
    user = UserFactory()
    minor_birth = dt.date(2010, 5, 1)
    with pytest.raises(VerificationRefused) as exc:
        submit(
            user,
            number=make(minor_birth),
            birth=ADULT,  # a false, adult date declared
            document_type=document_type,
            country=country,
            now=NOW,
        )
    assert exc.value.code == "minor"
    assert _marked_minor(user)
    entry = AuditEntry.objects.get(action="accounts.user.marked_minor")
    assert "encodes" in entry.reason


def test_a_declared_minor_is_marked_even_when_the_number_is_malformed():
    # Otherwise a minor told "bad number" could fix the number and the date together.
    user = UserFactory()
    with pytest.raises(VerificationRefused) as exc:
        submit(user, number="12", birth=dt.date(2012, 1, 1), now=NOW)
    assert exc.value.code == "minor"
    assert _marked_minor(user)


def test_an_adult_with_a_malformed_number_is_told_what_is_wrong_and_nothing_is_written():
    user = UserFactory()
    with pytest.raises(InvalidDocument):
        submit(user, number=ric(ADULT)[:-1] + "A", now=NOW)
    user.refresh_from_db()
    assert not user.is_minor
    assert not IdentityVerification.objects.exists()
    assert not AuditEntry.objects.exists()


def test_the_form_sends_a_minors_card_on_to_the_minors_rule(client):
    user = UserFactory()
    client.force_login(user)
    minor_card = ric(dt.date(2011, 1, 1))
    response = client.post(
        "/verify/", form_data(document_number=minor_card, date_of_birth=ADULT.isoformat())
    )
    assert response.status_code == 302  # refused with the minors' explanation
    assert _marked_minor(user)
    page = client.get("/verify/").content.decode()
    assert "at least 18 years old" in page


def test_an_adult_card_with_another_declared_date_is_still_a_mismatch(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        "/verify/", form_data(document_number=ric(ADULT), date_of_birth="1990-03-15")
    )
    assert response.status_code == 200
    assert "date_of_birth" in response.context["form"].errors
    user.refresh_from_db()
    assert not user.is_minor


# ------------------------------------------------------------------ at approval


def test_approval_rechecks_the_age_on_the_day_of_approval():
    # A pending row whose birth date is under 18 on the approval's day (submitted
    # with a clock ahead: the approval must not trust the submission's check).
    user = UserFactory()
    birth = dt.date(2010, 1, 1)
    verification = submit(
        user, birth=birth, number="E12345678", document_type="passport", now=NOW.replace(year=2030)
    )
    with pytest.raises(VerificationRefused) as exc:
        services.approve_verification(verification_id=verification.pk, actor=moderator(), now=NOW)
    assert exc.value.code == "not_adult"
    verification.refresh_from_db()
    assert verification.state == "pending"
    user.refresh_from_db()
    assert user.verification_status == "pending"


def test_the_identity_provider_cannot_verify_a_minor():
    user = UserFactory()
    verification = submit(
        user,
        birth=dt.date(2010, 1, 1),
        number="E12345678",
        document_type="passport",
        now=NOW.replace(year=2030),
    )
    outcome = IdentityCheckOutcome(
        provider="manual",
        reference="",
        status="verified",
        event_id="evt_1",
        verification_id=verification.pk,
    )
    services.apply_identity_outcome(outcome=outcome, now=NOW)
    verification.refresh_from_db()
    assert verification.state == "pending"


def test_seventeen_years_364_days_at_submission_leaves_nothing_to_approve_the_next_day():
    # The submission's day counts: refused (and marked) then, so there is no
    # pending check a moderator could approve once the birthday has passed.
    user = UserFactory()
    with pytest.raises(VerificationRefused):
        submit(user, birth=dt.date(2008, 6, 16), now=NOW)
    assert not IdentityVerification.objects.filter(user=user, state="pending").exists()
    # On the birthday itself the submission is accepted and can be approved.
    adult = UserFactory()
    verification = submit(
        adult, birth=dt.date(2008, 6, 15), number=ric(dt.date(2008, 6, 15), seq="777"), now=NOW
    )
    services.approve_verification(verification_id=verification.pk, actor=moderator(), now=NOW)
    verification.refresh_from_db()
    assert verification.state == "verified"


# ------------------------------------------------------------------- duplicates


@pytest.mark.parametrize(
    ("document_type", "country", "first", "again"),
    [
        ("cn_resident_id", "CN", X_NUMBER, "１１０１０１ １９９００３１４ １０６ｘ"),
        ("cn_resident_id", "CN", X_NUMBER, "110101-19900314-106×"),
        ("cn_resident_id", "CN", X_NUMBER, "110101\u200b19900314106x"),
        ("hkmo_travel_permit", "HK", "H12345678", "h1234 5678 02"),
        ("tw_travel_permit", "TW", "12345678", "1234-5678-01"),
        ("passport", "CN", "EA1234567", "ea 123 4567"),
        ("cn_permanent_res", "CN", "USA119003140012", "usa-11-900314-0012"),
    ],
)
def test_the_same_document_in_another_spelling_is_a_duplicate(document_type, country, first, again):
    owner = UserFactory()
    verification = submit(owner, number=first, document_type=document_type, country=country)
    services.approve_verification(verification_id=verification.pk, actor=moderator())
    other = UserFactory()
    with pytest.raises(VerificationRefused) as exc:
        submit(other, number=again, document_type=document_type, country=country)
    assert exc.value.code == "duplicate_document"
    assert ImpersonationFlag.objects.get().user == other


def test_one_18_digit_number_is_one_document_whichever_type_was_chosen():
    owner = UserFactory()
    number = cn_id("810000")
    verification = submit(owner, number=number, document_type="cn_residence_permit", country="HK")
    services.approve_verification(verification_id=verification.pk, actor=moderator())
    with pytest.raises(VerificationRefused) as exc:
        submit(UserFactory(), number=number.lower(), document_type="cn_resident_id")
    assert exc.value.code == "duplicate_document"


def _verified(number, *, document_type, country):
    owner = UserFactory()
    verification = submit(owner, number=number, document_type=document_type, country=country)
    services.approve_verification(verification_id=verification.pk, actor=moderator())
    return owner


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("passport", "US", "123456789"), ("passport", "GB", "123456789")),
        (("passport", "DE", "C01X00T47"), ("other", "FR", "C01X00T47")),
        (("other", "SG", "S1234567D"), ("other", "MY", "S1234567D")),
    ],
)
def test_the_same_passport_number_from_another_country_is_another_document(first, second):
    _verified(first[2], document_type=first[0], country=first[1])
    other = submit(UserFactory(), number=second[2], document_type=second[0], country=second[1])
    assert other.state == "pending"
    services.approve_verification(verification_id=other.pk, actor=moderator())
    assert not ImpersonationFlag.objects.exists()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # Same issuer, another type chosen: still one document.
        (("passport", "US", "123456789"), ("other", "US", "123456789")),
        # Chinese passports: mainland, HKSAR and MSAR number in one scheme.
        (("passport", "HK", "K12345678"), ("passport", "CN", "K12345678")),
        # A Chinese ID number typed as "other" from anywhere is the one person's.
        (("cn_resident_id", "CN", X_NUMBER), ("other", "GB", X_NUMBER)),
    ],
)
def test_one_document_under_another_type_or_a_sibling_issuer_is_still_a_duplicate(first, second):
    _verified(first[2], document_type=first[0], country=first[1])
    with pytest.raises(VerificationRefused) as exc:
        submit(UserFactory(), number=second[2], document_type=second[0], country=second[1])
    assert exc.value.code == "duplicate_document"


def test_the_form_sends_a_declared_minor_with_a_bad_number_on_to_the_minors_rule(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post("/verify/", form_data(document_number="12", date_of_birth="2012-01-01"))
    assert response.status_code == 302
    assert _marked_minor(user)


def test_a_chinese_id_number_typed_as_other_keeps_its_birth_date():
    # Choosing "other" does not get a minor's resident ID card past the age rule.
    user = UserFactory()
    with pytest.raises(VerificationRefused) as exc:
        submit(user, number=ric(dt.date(2011, 1, 1)), document_type="other", birth=ADULT, now=NOW)
    assert exc.value.code == "minor"
    assert _marked_minor(user)
    adult = UserFactory()
    with pytest.raises(InvalidDocument) as exc:
        submit(adult, number=ric(ADULT), document_type="other", birth=dt.date(1991, 1, 1))
    assert exc.value.code == "resident_id_birth_date"
    assert submit(adult, number=ric(ADULT), document_type="other", birth=ADULT).state == "pending"


def test_a_birth_date_edited_after_a_refusal_is_shown_to_the_reviewer(client):
    from django.utils.formats import date_format

    from tests.totp import force_login_with_second_factor

    user = UserFactory()
    first = submit(user, number="C01X00T47", document_type="passport", country="DE")
    mod = moderator()
    services.reject_verification(
        verification_id=first.pk, actor=mod, reason="The photo shows another date of birth."
    )
    again = submit(
        user,
        number="c01x 00t47",
        document_type="passport",
        country="DE",
        birth=dt.date(1988, 3, 14),
    )
    force_login_with_second_factor(client, mod)
    page = client.get(f"/admin/accounts/pendingverification/{again.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "other dates of birth declared for this document" in html.lower()
    assert date_format(ADULT) in html  # the first, refused declaration


@pytest.mark.parametrize("odd", ["²", "⑨"])  # fold to 2 and 9: the check character fails
def test_a_digit_lookalike_in_the_number_is_a_field_error_not_a_500(client, odd):
    user = UserFactory()
    client.force_login(user)
    response = client.post("/verify/", form_data(document_number=X_NUMBER[:5] + odd + X_NUMBER[6:]))
    assert response.status_code == 200
    assert "document_number" in response.context["form"].errors


def test_the_reviewer_sees_each_warning_list_linked_with_its_columns():
    from django.contrib import admin
    from django.utils.formats import date_format

    from accounts.models import PendingVerification

    user, other = UserFactory(), UserFactory()
    first = submit(user, number="C01X00T47", document_type="passport", country="DE")
    services.reject_verification(verification_id=first.pk, actor=moderator(), reason="Blurred.")
    again = submit(
        user, number="C01X00T47", document_type="passport", country="DE", birth=dt.date(1988, 3, 14)
    )
    screen = admin.site.get_model_admin(PendingVerification)
    link = f"/admin/accounts/identityverification/{first.pk}/change/"
    assert str(screen.other_birth_dates(again)) == (
        f'<ul class="identity-warning"><li><a href="{link}">{user.email}</a>'
        f" — {date_format(ADULT)} — Rejected</li></ul>"
    )
    assert str(screen.same_document_elsewhere(again)) == "None"
    services.approve_verification(verification_id=again.pk, actor=None)
    with pytest.raises(Exception):  # noqa: B017 - refused: verified for another account
        submit(other, number="C01X00T47", document_type="passport", country="DE")
    attempt = IdentityVerification.objects.filter(user=other).latest("pk")
    verified = f"/admin/accounts/identityverification/{again.pk}/change/"
    assert str(screen.same_document_elsewhere(attempt)) == (
        f'<ul class="identity-warning"><li><a href="{verified}">{user.email}</a> — Verified</li>'
        f'<li><a href="{link}">{user.email}</a> — Rejected</li></ul>'
    )
