"""Governance errors. Each carries a stable ``code`` and a translatable message;
views and admin actions show the message, never a 500."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class GovernanceError(Exception):
    code = "governance_error"
    default_message = _("This action is not possible.")

    def __init__(self, message=None, **params):
        self.params = params
        text = message if message is not None else self.default_message
        self.message = text % params if params else text
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


class NotReportable(GovernanceError):
    code = "not_reportable"
    default_message = _("This cannot be reported.")


class SelfReport(GovernanceError):
    code = "self_report"
    default_message = _("You cannot report yourself or your own content.")


class DuplicateReport(GovernanceError):
    code = "duplicate_report"
    default_message = _(
        "You have already reported this for the same rule; moderators are looking at it."
    )


class RuleNotApplicable(GovernanceError):
    code = "rule_not_applicable"
    default_message = _("Choose a rule that applies to this kind of content.")


class ReportingNotAllowed(GovernanceError):
    code = "reporting_not_allowed"
    default_message = _("You cannot file reports at the moment.")


class StaleCase(GovernanceError):
    code = "stale_case"
    default_message = _("This case was already decided by %(who)s; nothing was changed.")


class ClaimedByOther(GovernanceError):
    code = "claimed_by_other"
    default_message = _("This case is claimed by %(who)s; nothing was changed.")


class NotAModerator(GovernanceError):
    code = "not_a_moderator"
    default_message = _("Only moderators may do this.")


class OwnCase(GovernanceError):
    code = "own_case"
    default_message = _("You cannot decide a case that concerns you.")


class NoAccusedUser(GovernanceError):
    code = "no_accused_user"
    default_message = _("Nobody answers for this subject, so no violation can be recorded.")


class NotFreezable(GovernanceError):
    code = "not_freezable"
    default_message = _("Only an open S4 case allows a precautionary freeze.")


class AlreadyFrozen(GovernanceError):
    code = "already_frozen"
    default_message = _("This user is already frozen for this case.")


class ReasonRequired(GovernanceError):
    code = "reason_required"
    default_message = _("Give a reason.")


class AppealWindowClosed(GovernanceError):
    code = "appeal_window_closed"
    default_message = _("The six months for appealing this decision have passed.")


class AlreadyAppealed(GovernanceError):
    code = "already_appealed"
    default_message = _(
        "This decision has already been appealed; each decision can be appealed once."
    )


class NotAppealable(GovernanceError):
    code = "not_appealable"
    default_message = _("This decision cannot be appealed.")


class SameModerator(GovernanceError):
    code = "same_moderator"
    default_message = _("You decided the original case; another moderator must decide the appeal.")


class AppealAlreadyDecided(GovernanceError):
    code = "appeal_already_decided"
    default_message = _("This appeal was already decided by %(who)s; nothing was changed.")


class UnknownRule(GovernanceError):
    code = "unknown_rule"
    default_message = _("There is no rule %(code)s in force.")
