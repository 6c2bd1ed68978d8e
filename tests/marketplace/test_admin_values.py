"""The moderators' admin shows values, not codes: on the demo data, every page
below reads in Chinese for a Chinese moderator (action names, system reasons,
ledger accounts, money with its currency) and in English for an English one; the
rows keep their codes and minor units."""

from __future__ import annotations

import io
import re
from importlib import import_module

import pytest
from django.test.utils import override_settings
from django.utils import translation

pytestmark = pytest.mark.django_db(transaction=True)

# A money column or read-only field showing a bare integer (minor units).
BARE_AMOUNT = re.compile(r'class="(field|readonly)[^"]*(amount|total|price|fee)[^"]*">\s*-?\d+\s*<')


def _seed():
    from marketplace.management.commands.seed_demo import SEEDERS

    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend", NOTIFICATION_EMAILS=False
    ):
        context: dict = {}
        for path in SEEDERS:
            import_module(path).seed(context=context, options={"listings": 40}, out=io.StringIO())


def _pages():
    """(path, {language: words that must be there}, codes that must not be)."""
    from accounts.models import AuditEntry
    from escrow.models import (
        Chargeback,
        Deal,
        Dispute,
        LedgerTransaction,
        Payout,
        ReconciliationRun,
        Refund,
        SellerPayoutAccount,
    )
    from governance.models import (
        Appeal,
        Report,
        Rule,
        StatementOfReasons,
        TransparencySnapshot,
    )
    from listings.models import ListingEvent

    chargeback = Chargeback.objects.get()
    frozen = Deal.objects.get(pk=chargeback.deal_id)
    confirmed = AuditEntry.objects.get(action="governance.report_confirmed")
    verified = AuditEntry.objects.filter(target_repr__startswith="Mainland China").first()
    opened = ListingEvent.objects.filter(reason="deal opened").first()
    statement = StatementOfReasons.objects.exclude(scope=[]).first()
    return [
        (
            "/admin/accounts/auditentry/",
            {
                "zh-hans": ["实名认证已通过", "案件已认领", "中国大陆居民身份证"],
                "en": ["Identity check approved"],
            },
            ["accounts.verification.approved", "governance.report_claimed", "Mainland China"],
        ),
        (
            f"/admin/accounts/auditentry/{confirmed.pk}/change/",
            {
                "zh-hans": [
                    "案件已确认违规",
                    "变更前",
                    "待处理",
                    "已确认",
                    "禁止发布新商品",
                    "扣分（半分为单位）",
                ],
                "en": ["Case confirmed", "No new listings"],
            },
            ['{"status"', "governance.report_confirmed", "no_new_listings", "points half"],
        ),
        ("/admin/escrow/deal/", {"zh-hans": ["美元"], "en": ["US$"]}, []),
        (
            "/admin/escrow/payment/",
            {"zh-hans": ["美元", "模拟支付服务商"], "en": ["US$", "simulated provider"]},
            [">simulated<"],
        ),
        (
            f"/admin/escrow/payout/{Payout.objects.first().pk}/change/",
            {"zh-hans": ["美元"], "en": ["US$"]},
            [],
        ),
        (
            f"/admin/escrow/deal/{frozen.pk}/change/",
            {"zh-hans": ["欺诈", "银行发起拒付"], "en": ["fraudulent (card used"]},
            ["(chargeback)", "(opened)", ">fraudulent<"],
        ),
        (
            f"/admin/escrow/ledgertransaction/{LedgerTransaction.objects.get(kind='chargeback').pk}/change/",
            {"zh-hans": ["支付服务商处的资金", "发生拒付", "美元"], "en": ["Cash at the payment"]},
            ["provider_cash", "opened on deal"],
        ),
        (
            "/admin/escrow/ledgertransaction/",
            {"zh-hans": ["已付款（", "已支付（"], "en": ["paid ("]},
            ["payout 1 paid"],
        ),
        (
            f"/admin/escrow/refund/{Refund.objects.first().pk}/change/",
            {"zh-hans": ["未按时交付", "美元"], "en": ["not delivered in time"]},
            [],
        ),
        (
            f"/admin/escrow/chargeback/{chargeback.pk}/change/",
            {"zh-hans": ["欺诈", "美元"], "en": ["US$"]},
            [">fraudulent<"],
        ),
        (
            f"/admin/governance/report/{Report.objects.get(rule__code='TRX-04').pk}/change/",
            {
                "zh-hans": ["原因代码：欺诈（卡被盗用）", "— 交易 #"],
                "en": ["fraudulent (card used"],
            },
            ["— deal #", "代码：fraudulent"],
        ),
        (
            f"/admin/governance/appeal/{Appeal.objects.get().pk}/change/",
            {"zh-hans": ["BEH-11 版本 1</strong> — 伪造证据"], "en": ["Forged evidence"]},
            ["Forged evidence"],
        ),
        (
            f"/admin/governance/appeal/{Appeal.objects.get().pk}/decide/",
            {"zh-hans": ["伪造证据"], "en": ["Forged evidence"]},
            ["Forged evidence"],
        ),
        (
            f"/admin/accounts/auditentry/{verified.pk}/change/",
            {"zh-hans": ["实名认证已通过 中国大陆居民身份证"], "en": ["Identity check approved"]},
            ["Mainland China", "accounts.verification"],
        ),
        (
            f"/admin/escrow/dispute/{Dispute.objects.get(kind='chargeback').pk}/change/",
            {
                "zh-hans": ["卡组织争议", "欺诈", "支付服务商处的资金"],
                "en": ["Card network dispute"],
            },
            [],
        ),
        (
            "/admin/escrow/deal/operations/",
            {
                "zh-hans": ["试算平衡", "托管中的买家资金", "美元", "已扣款", "模拟支付服务商"],
                "en": ["Trial balance", "captured"],
            },
            ["provider_cash", "escrow_held", '{"', ">simulated<"],
        ),
        (
            f"/admin/escrow/reconciliationrun/{ReconciliationRun.objects.get().pk}/change/",
            {"zh-hans": ["已扣款", "支付服务商处的资金（我方账目）", "美元"], "en": ["captured"]},
            ['{"', "provider_cash"],
        ),
        (
            "/admin/governance/report/?queue=all",
            {"zh-hans": ["交易 #", "S4 — 特别严重"], "en": ["deal #"]},
            ["deal #", "message 2 on deal"],
        ),
        (
            f"/admin/governance/rule/{Rule.objects.get(code='TRX-04').pk}/change/",
            {"zh-hans": ["来自规则目录文件", "恶意拒付"], "en": ["from the rules catalogue file"]},
            ["catalogue file —"],
        ),
        (
            f"/admin/governance/transparencysnapshot/{TransparencySnapshot.objects.first().pk}/change/",
            {"zh-hans": ["收到的举报"], "en": ["reports received"]},
            ['"month"', "reports_received"],
        ),
        (
            f"/admin/escrow/sellerpayoutaccount/{SellerPayoutAccount.objects.first().pk}/change/",
            {"zh-hans": ["的收款账户"], "en": ["payout account of user"]},
            ["payout account of"],
        ),
        (
            "/admin/listings/listing/",
            {"zh-hans": ['alt="是"'], "en": ['alt="Yes"']},
            ['alt="True"', 'alt="False"'],
        ),
        (
            "/admin/governance/sanction/",
            {"zh-hans": ["发布商品"], "en": ["publish listings"]},
            ['["list"]'],
        ),
        (
            f"/admin/governance/statementofreasons/{statement.pk}/change/",
            {"zh-hans": ["发布商品"], "en": ["publish listings"]},
            ['["list"]'],
        ),
        (
            "/admin/accounts/identityverification/",
            {"zh-hans": ["中国（大陆）（CN）", "德国（DE）"], "en": ["Germany (DE)"]},
            [">CN<"],
        ),
        (
            "/admin/escrow/webhookevent/",
            {
                "zh-hans": ["支付服务商状态：等待我方回应", "拒付已发起"],
                "en": ["awaiting our response", "Chargeback opened"],
            },
            ["provider says", "charge.dispute.created"],
        ),
        (
            "/admin/escrow/sellerpayoutaccount/",
            {"zh-hans": ["美国（US）"], "en": ["United States (US)"]},
            [">US<"],
        ),
        (
            "/admin/listings/listingevent/",
            {"zh-hans": ["交易已创建", "已提交审核", "已通过审核"], "en": ["deal opened"]},
            ["提交审核时间"],
        ),
        (
            f"/admin/listings/listing/{opened.listing_id}/change/",
            {"zh-hans": ["交易已创建"], "en": ["deal opened"]},
            [],
        ),
    ]


def test_admin_pages_show_values_in_the_moderators_language(client):
    from tests.security.world import make_staff
    from tests.totp import force_login_with_second_factor

    _seed()
    from django.utils import timezone

    from escrow.reconciliation import reconcile

    reconcile(now=timezone.now())  # a run, for the operations page and its own
    force_login_with_second_factor(client, make_staff(superuser=True))
    problems = []
    for path, words, codes in _pages():
        for language in ("zh-hans", "en"):
            client.cookies["django_language"] = language
            response = client.get(path)
            html = response.content.decode()
            if response.status_code != 200:
                problems.append((path, language, response.status_code))
                continue
            problems += [(path, language, "missing", w) for w in words[language] if w not in html]
            if language == "zh-hans":
                # What the moderator reads (a filter's link keeps the code in its URL).
                text = re.sub(r"<[^>]*>", " ", html).replace("&quot;", '"')
                problems += [
                    (path, language, "code shown", c)
                    for c in codes
                    if c in (html if c.startswith(">") else text)
                ]
                bare = BARE_AMOUNT.search(html)
                if bare:
                    problems.append((path, language, "bare amount", bare.group(0)))
    # Dates written as the admin writes them, not in ISO form.
    from governance.models import Appeal, Report, Rule
    from listings.models import Listing

    client.cookies["django_language"] = "zh-hans"
    for path in (
        f"/admin/governance/appeal/{Appeal.objects.first().pk}/change/",
        f"/admin/governance/report/{Report.objects.filter(accused__isnull=False).first().pk}/change/",
        f"/admin/governance/rule/{Rule.objects.first().pk}/change/",
        f"/admin/listings/listing/{Listing.objects.exclude(seller=None).first().pk}/change/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        text = re.sub(r"<[^>]*>", " ", response.content.decode())
        iso = re.search(r"\b20\d\d-\d\d-\d\d\b", text)
        if iso:
            problems.append((path, "zh-hans", "ISO date", iso.group(0)))
    # A duration in seconds as the reader says it.
    from accounts.models import Standing

    standing = Standing.objects.exclude(median_release_seconds=None).first()
    assert standing is not None  # the demo's released deal
    html = client.get(f"/admin/accounts/standing/{standing.pk}/change/").content.decode()
    if not re.search(r"\d+(天|小时|分钟)", html):
        problems.append(("standing", "zh-hans", "duration", standing.median_release_seconds))
    assert problems == []


def test_the_audit_log_names_its_targets_without_a_query_per_row(
    client, django_assert_max_num_queries
):
    from accounts.audit import record_audit
    from governance.models import Report, Violation
    from tests.security.world import make_staff
    from tests.totp import force_login_with_second_factor

    _seed()
    moderator = make_staff(superuser=True)
    for target in [*Report.objects.all(), *Violation.objects.all()] * 5:
        record_audit(actor=moderator, action="governance.report_claimed", target=target)
    force_login_with_second_factor(client, moderator)
    client.cookies["django_language"] = "zh-hans"
    with django_assert_max_num_queries(20):
        page = client.get("/admin/accounts/auditentry/")
    assert page.status_code == 200
    assert "交易 #" in page.content.decode()  # a case on a deal, named now


def test_reconciliation_differences_say_what_disagrees():
    from escrow.models import ReconciliationDifference

    difference = ReconciliationDifference(kind="payment_fee", reference="pi_1")
    with translation.override("zh-hans"):
        assert str(difference) == "支付手续费不一致 pi_1"
    with translation.override("en"):
        assert str(difference) == "Processing fees differ pi_1"


@pytest.mark.parametrize(
    "recorded, zh, en",
    [
        ("deal 12 released", "交易 12 已放款", "deal 12 released"),
        ("deal 12 released by a moderator", "交易 12 由审核员放款", None),
        ("deal 3 expired", "交易 3 因未付款而过期", "deal 3 expired unpaid"),
        ("refund of a watched deal", "受监控交易的退款", None),
        (
            "Card network dispute (product_not_received).",
            "卡组织争议（未收到商品）。",
            "Card network dispute (product not received).",
        ),
        ("provider says won", "支付服务商状态：我方胜诉", "the provider says: won"),
        ("listing removed: seller banned", "商品已被删除：seller banned", None),
        ("approved", "已通过审核", None),
        ("payout 1 paid (tr_1)", "结算 1 已支付（tr_1）", None),
        ("chargeback dp_1 won", "拒付 dp_1：我方胜诉", "chargeback dp_1: won"),
        ("edited by the seller: description, price", "卖家修改了：描述、价格", None),
        ("Validity period ended.", "有效期已结束。", None),
        (
            "retention: 30 days after the deal ended",
            "保留期满：交易结束后 30 天",
            "retention period over: 30 days after the deal ended",
        ),
        ("stripe: document verified", "stripe：证件已核验", None),
        ("expired", "已到期", None),
        (
            "listing removed: removed for breaking rule LST-08",
            "商品已被删除：因违反规则 LST-08 被删除",
            None,
        ),
        ("the seller's account was closed (governance)", "卖家账号已被关闭（平台治理）", None),
        ("deal 4: captured amounts differ", "交易 4：扣款金额不一致", None),
        ("payout 2: amounts differ", "结算 2：金额不一致", None),
        (
            "provider says lost, our record says open",
            "支付服务商的状态为我方败诉，我方记录为open",
            "the provider says lost, our record says open",
        ),
        # Half a system text is not translated: the whole stays as written.
        ("deal 4: the event's amount", None, None),
        # A moderator's own words stay as written.
        ("Kept sending me rude messages.", None, None),
    ],
)
def test_system_text_is_said_in_the_readers_language(recorded, zh, en):
    from kernel.system_text import system_text

    with translation.override("zh-hans"):
        assert system_text(recorded) == (zh or recorded)
    with translation.override("en"):
        assert system_text(recorded) == (en or recorded)
