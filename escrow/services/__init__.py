"""Escrow's use cases, one module per capability (docs/escrow.md).

The public use cases are re-exported here so callers write
``from escrow.services import open_deal``; modules inside the package import
each other by their own paths, never through this file."""

from escrow.exceptions import EscrowError  # noqa: F401
from escrow.services.cases.chargebacks import (  # noqa: F401
    record_chargeback,
)
from escrow.services.cases.common import (  # noqa: F401
    Upload,
    is_dispute_moderator,
    lock_case,
    open_case,
    party_role,
)
from escrow.services.cases.disputes import (  # noqa: F401
    DISPUTE_STATES,
    MAX_EVIDENCE_FILES,
    MAX_STATEMENT_CHARS,
    answer_dispute,
    decide_dispute,
    dispute_window_open,
    flag_overdue_answer,
    open_dispute,
)
from escrow.services.cases.watch import (  # noqa: F401
    REFUNDABLE_ON_WATCH,
    WATCH_STATES,
    end_deal_watch,
    protect_deals,
    refund_watched_deal,
    watch_deal,
)
from escrow.services.chat import (  # noqa: F401
    MAX_MESSAGE_CHARS,
    post_message,
    remove_message,
    restore_message,
)
from escrow.services.checkout import (  # noqa: F401
    acknowledge_transfer_policy,
    open_deal,
    prepare_payment,
)
from escrow.services.handover import (  # noqa: F401
    CREDENTIAL_STATES,
    accept_after_inspection,
    accept_deal,
    extend_inspection,
    hand_over,
    reveal_credentials,
)
from escrow.services.jobs import (  # noqa: F401
    REMINDER_LEAD,
    REMINDER_TARGET,
    due_deals,
    due_overdue_answers,
    due_payouts,
    due_refunds,
    due_reminders,
    send_reminder,
)
from escrow.services.outgoing import (  # noqa: F401
    IN_FLIGHT_TIMEOUT,
    MAX_ATTEMPTS,
    PAYOUT_CHUNK,
    backoff,
    enqueue_payouts,
    enqueue_payouts_of,
    enqueue_refunds,
    execute_payout,
    execute_refund,
    payout_hold,
    payout_paid,
    recheck_payout,
    recheck_refunds,
    record_manual_payout,
    request_refund,
)
from escrow.services.payment import (  # noqa: F401
    cancel_deal,
    cancel_deals_of_removed_listing,
    close_unpaid,
    complete_authentication,
    expire_deal,
    pay_deal,
    payment_attempt_in_flight,
    record_payment_result,
    sync_payment,
)
from escrow.services.payout_accounts import (  # noqa: F401
    connect_payout_account,
    refresh_payout_account,
    save_manual_payout_details,
    set_payouts_enabled,
)
from escrow.services.reviews import (  # noqa: F401
    leave_review,
    record_text_findings,
    remove_review_text,
    reply_to_review,
    restore_review_text,
)
from escrow.services.settlement import (  # noqa: F401
    after_refund_decision,
    refund_undelivered,
    release_deal,
    release_due_deals,
)
from escrow.services.standings import (  # noqa: F401
    median_release_seconds,
    record_standing,
    report_transaction_event,
)
from escrow.services.text import clean_text  # noqa: F401
from escrow.services.transitions import (  # noqa: F401
    can_transition,
    lock_deal,
    lock_listing_then_deal,
    note,
    transition_deal,
)
