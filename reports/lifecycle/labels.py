"""Names of the lifecycle's actions in the reader's language (translated when shown)."""

from __future__ import annotations

from ioc.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "submit": N_("Sent by the resident"),
    "verify_forward": N_("Verified and forwarded to the agency"),
    "reject": N_("Rejected"),
    "mark_duplicate": N_("Merged into another report"),
    "recategorise": N_("Category corrected"),
    "relocate": N_("Place corrected"),
    "set_priority": N_("Priority changed"),
    "accept": N_("Accepted by the agency"),
    "return": N_("Returned by the agency"),
    "request_extension": N_("Extension requested"),
    "approve_extension": N_("Extension approved"),
    "deny_extension": N_("Extension denied"),
    "resolve": N_("Result reported, under review"),
    "approve_result": N_("Result published"),
    "send_back": N_("Result sent back to the agency"),
    "reopen": N_("Reopened by the resident"),
    "overdue": N_("Deadline passed"),
}
