"""Faults: PostgreSQL restarted during a settlement job, Redis down while a buyer
pays, a real worker killed (SIGKILL) in the middle of a task.

These tests stop and start the servers they run against, which cuts every open
connection of the test process, so they run as their own group (marker
``faults``) with their own PostgreSQL and Redis: ``.ci/faults.sh``, which
``.ci/test.sh`` runs before the main suite. After each fault and the recovery:
every deal is in a valid state, every due job has run once, and no money is lost
or doubled (ledger balanced, one provider transfer per payout, our books equal to
the provider's totals).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, connections
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from escrow import ledger, services, tasks
from escrow.gateways import simulated
from escrow.models import Account, Deal, LedgerEntry, Notification, Payment, Payout
from marketplace.celery import app
from tests.escrow.conftest import GOOD_CARD, accepted_deal, connect_seller, hand_over
from tests.factories import ListingFactory, VerifiedUserFactory

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

State = Deal.State
ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ the servers


def _env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        pytest.fail(f"{name} is not set: run the fault group with .ci/faults.sh")
    return value


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def restart_postgres() -> None:
    """Restart the server (fast: every session is terminated) and wait until it answers."""
    pg_bin, pg_dir = _env("PG_BIN"), _env("PG_DIR")
    subprocess.run(
        _as_postgres(
            [f"{pg_bin}/pg_ctl", "-D", pg_dir, "-m", "fast", "-w", "-l", f"{pg_dir}/server.log"]
            + ["restart"]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=60,
    )
    connections.close_all()  # our own sockets died with the old server


def stop_redis() -> None:
    port = _env("REDIS_PORT")
    subprocess.run(
        ["redis-cli", "-p", port, "shutdown", "nosave"], check=False, capture_output=True
    )
    deadline = time.monotonic() + 10
    while _redis_up() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _redis_up()


def start_redis() -> None:
    port, services_dir = _env("REDIS_PORT"), _env("SERVICES_DIR")
    subprocess.run(
        ["redis-server", "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no"]
        + ["--daemonize", "yes", "--pidfile", f"{services_dir}/redis.pid"]
        + ["--dir", services_dir, "--logfile", f"{services_dir}/redis.log"],
        check=True,
    )
    deadline = time.monotonic() + 10
    while not _redis_up():
        assert time.monotonic() < deadline, "redis did not come back"
        time.sleep(0.05)


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def _raw_connection():
    """A connection of our own (outside Django) for locks and polling."""
    s = connection.settings_dict
    return psycopg2.connect(
        dbname=s["NAME"], user=s["USER"], host=s["HOST"], port=s["PORT"], password=s["PASSWORD"]
    )


def _waiting_on_a_lock(_raw=None) -> bool:
    """Someone waits on a row lock (a fresh autocommit connection each time:
    pg_stat_activity is a snapshot frozen for the length of a transaction)."""
    probe = _raw_connection()
    probe.autocommit = True
    try:
        with probe.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
            return cur.fetchone()[0] > 0
    finally:
        probe.close()


def _hold_standing_lock(raw, user_id: int) -> None:
    """Lock a seller's Standing row: the release of that seller's deal waits on it,
    so a job is paused in the middle, deterministically."""
    with raw.cursor() as cur:
        cur.execute("SELECT id FROM accounts_standing WHERE user_id = %s FOR UPDATE", [user_id])
        assert cur.fetchone(), "the seller has a standing row"


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


# ------------------------------------------------------------------- the world


@pytest.fixture(autouse=True)
def _clean():
    simulated.FAULTS.clear()
    if _redis_up():
        app.control.purge()
    yield
    simulated.FAULTS.clear()
    if not _redis_up():  # a failed test must not leave the next one without Redis
        start_redis()
    app.control.purge()


def _accepted_deals(count: int, now) -> list[Deal]:
    """``count`` ACCEPTED deals of different sellers (each connected for payouts),
    due for release; each seller has a Standing row."""
    deals = []
    for _ in range(count):
        seller = VerifiedUserFactory()
        connect_seller(seller)
        listing = ListingFactory(seller=seller, price=120_000)
        deals.append(accepted_deal(VerifiedUserFactory(), listing, now))
    from accounts.models import Standing

    for deal in deals:
        Standing.objects.get_or_create(user_id=deal.seller_id)
    return deals


def assert_books_sound(deals) -> None:
    """No money lost or doubled: the ledger balances, each deal's escrow balance
    matches its state, each payout was transferred once, and our cash equals the
    simulated provider's balance."""
    assert ledger.unbalanced_transactions() == []
    for deal in Deal.objects.filter(pk__in=[d.pk for d in deals]):
        assert deal.state in State.values
        held = ledger.escrow_balance(deal)
        if deal.state in (State.FUNDED, State.DELIVERED, State.ACCEPTED):
            assert held == deal.total, deal
        elif deal.state in (State.RELEASED, State.REFUNDED, State.CANCELLED):
            assert held == 0, deal
    for payout in Payout.objects.all():
        transfers = simulated_transfers(payout)
        assert transfers <= 1, f"payout {payout.pk} transferred {transfers} times"
        if payout.status == Payout.Status.PAID:
            assert transfers == 1
    totals = simulated.provider_totals()
    paid = Payout.objects.filter(status=Payout.Status.PAID).aggregate(s=Sum("amount"))["s"] or 0
    assert totals["transferred"] == paid
    captured = (
        Payment.objects.filter(status=Payment.Status.SUCCEEDED).aggregate(s=Sum("amount"))["s"] or 0
    )
    assert totals["captured"] == captured
    assert ledger.account_balance(Account.PROVIDER_CASH) == totals["balance"]


def simulated_transfers(payout) -> int:
    from escrow.models import SimTransfer

    return sum(
        1
        for t in SimTransfer.objects.all()
        if str((t.metadata or {}).get("payout_id")) == str(payout.pk)
    )


def _all_released_and_paid(deals) -> None:
    ids = [d.pk for d in deals]
    assert set(Deal.objects.filter(pk__in=ids).values_list("state", flat=True)) == {State.RELEASED}
    assert Payout.objects.filter(deal_id__in=ids).count() == len(ids)  # one payout per deal
    assert set(Payout.objects.filter(deal_id__in=ids).values_list("status", flat=True)) == {
        Payout.Status.PAID
    }
    releases = LedgerEntry.objects.filter(
        transaction__reference__in=[f"release:deal:{pk}" for pk in ids]
    )
    assert releases.values("transaction").distinct().count() == len(ids)  # booked once each


# ---------------------------------------------------------------- the scenarios


def test_postgres_restarted_during_the_settlement_job():
    now = timezone.now().replace(microsecond=0)
    deals = _accepted_deals(5, now)
    later = now + settings.PROTECTION_WINDOW + timedelta(seconds=1)
    raw = _raw_connection()
    _hold_standing_lock(raw, deals[2].seller_id)  # the job will wait there, mid-batch

    failure: list[BaseException] = []

    def job():
        try:
            tasks.release_after_protection(now=later.isoformat())
        except BaseException as exc:  # noqa: BLE001 - the restart is expected to break it
            failure.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=job, daemon=True)
    thread.start()
    try:
        _wait(_waiting_on_a_lock, 20, "the job to reach the locked row")
        restart_postgres()  # terminates the job's session and ours
    finally:
        try:
            raw.close()  # never leave the job (or the teardown) waiting on our lock
        except psycopg2.Error:
            pass
    thread.join(30)
    assert not thread.is_alive()
    assert failure, "the restart did not interrupt the job"

    released_before = Deal.objects.filter(state=State.RELEASED).count()
    assert released_before < len(deals)  # the job really was cut in the middle
    # Recovery: beat runs the job again; payouts stuck "in flight" are picked up
    # once their in-flight window has passed (looked up at the provider first).
    tasks.release_after_protection(now=(later + timedelta(minutes=1)).isoformat())
    tasks.execute_due_payouts(now=(later + timedelta(minutes=15)).isoformat())
    tasks.release_after_protection(now=(later + timedelta(minutes=20)).isoformat())

    _all_released_and_paid(deals)
    assert_books_sound(deals)


def test_redis_down_while_a_buyer_pays():
    now = timezone.now().replace(microsecond=0)
    seller, buyer = VerifiedUserFactory(), VerifiedUserFactory()
    connect_seller(seller)
    listing = ListingFactory(seller=seller, price=90_000)
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    services.acknowledge_transfer_policy(deal_id=deal.pk, buyer=buyer, note="policy", now=now)
    client = Client()
    client.force_login(buyer)
    card = {"step": "card", **GOOD_CARD}

    stop_redis()
    try:
        mail.outbox.clear()
        response = client.post(f"/deals/{deal.pk}/pay/", card)
        assert response.status_code == 302, response.status_code  # not a 500
        assert response["Location"] == f"/deals/{deal.pk}/"
        deal.refresh_from_db()
        assert deal.state == State.FUNDED
        # The step never touched the broker: its e-mails committed with it, in the
        # outbox, and wait for the worker.
        assert not mail.outbox
        paid = Notification.objects.filter(deal=deal, kind__startswith="paid_")
        assert set(paid.values_list("email_state", flat=True)) == {"pending"}
        # The buyer, unsure, pays again: nothing is charged twice.
        again = client.post(f"/deals/{deal.pk}/pay/", card)
        assert again.status_code == 302
        assert Payment.objects.filter(deal=deal, status=Payment.Status.SUCCEEDED).count() == 1
        assert_books_sound([deal])
    finally:
        start_redis()

    # The next sweep after recovery (beat's; run here directly) sends them, the
    # buyer's with the receipt.
    tasks.send_due_emails()
    sent = {m.to[0]: m.body for m in mail.outbox if "opened" not in m.body}
    assert set(sent) == {buyer.email, seller.email}
    assert "Receipt" in sent[buyer.email] and "Receipt" not in sent[seller.email]

    # After recovery the deal goes on to the end through the jobs, once.
    hand_over(deal, now)
    services.accept_deal(deal_id=deal.pk, buyer=buyer, now=now)
    later = now + settings.PROTECTION_WINDOW + timedelta(seconds=1)
    assert tasks.release_after_protection(now=later.isoformat()) == 1
    assert tasks.release_after_protection(now=later.isoformat()) == 0
    _all_released_and_paid([deal])
    assert_books_sound([deal])


def _start_worker(log: Path) -> subprocess.Popen:
    s = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}",
        "CELERY_VISIBILITY_TIMEOUT": "2",  # redeliver an unacknowledged task quickly
        "HANDOFF_READ_DOTENV": "0",
    }
    celery = Path(sys.executable).with_name("celery")
    return subprocess.Popen(
        [str(celery), "-A", "marketplace", "worker", "--pool=solo", "--loglevel=INFO"]
        + [
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "-n",
            f"fault{time.time_ns()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_worker_killed_mid_task_the_task_is_redelivered_and_runs_once(tmp_path):
    now = timezone.now().replace(microsecond=0)
    deals = _accepted_deals(4, now)
    later = now + settings.PROTECTION_WINDOW + timedelta(seconds=1)
    raw = _raw_connection()
    _hold_standing_lock(raw, deals[1].seller_id)
    log = tmp_path / "worker.log"

    worker = _start_worker(log)
    try:
        tasks.release_after_protection.delay(now=later.isoformat())
        _wait(_waiting_on_a_lock, 60, "the worker to reach the locked row")
        os.killpg(worker.pid, signal.SIGKILL)  # mid-task, no chance to ack or clean up
        worker.wait(10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        raw.rollback()
        raw.close()
    assert Deal.objects.filter(pk__in=[d.pk for d in deals], state=State.ACCEPTED).exists()

    time.sleep(2.5)  # past the visibility timeout: the broker hands the task out again
    worker = _start_worker(log)
    try:
        _wait(
            lambda: (
                not Deal.objects.filter(pk__in=[d.pk for d in deals])
                .exclude(state=State.RELEASED)
                .exists()
                and not Payout.objects.exclude(status=Payout.Status.PAID).exists()
            ),
            60,
            "the redelivered task to release every deal and pay every seller",
        )
        time.sleep(1)  # let any duplicate delivery run too: it must change nothing
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
    print(log.read_text()[-3000:])  # noqa: T201 - shown only when the test fails
    _all_released_and_paid(deals)
    assert_books_sound(deals)
