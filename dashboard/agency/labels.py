"""Names shown on the agency pages: actions, priorities, tabs and notices (translated when shown).

``ACTION_LABELS`` uses the same message ids as the lifecycle's own labels, so that one catalog
entry serves both; the page reads the action names of the transition table through it.
"""

from __future__ import annotations

from ioc.i18n import N_
from reports.lifecycle.rules import Action
from reports.models import ReportState
from routing.sla import Priority

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

# The actions of the agency's own forms, in the order the page shows them.
AGENCY_ACTIONS: tuple[str, ...] = (
    Action.accept.value,
    Action.resolve.value,
    Action.request_extension.value,
    Action.return_.value,
)

# The buttons of those forms.
BUTTONS: dict[str, str] = {
    Action.accept.value: N_("Accept the report"),
    Action.return_.value: N_("Return to the operations centre"),
    Action.request_extension.value: N_("Ask for an extension"),
    Action.resolve.value: N_("Send the result"),
}

# What the page says after an action succeeded (``?done=…``).
DONE: dict[str, str] = {
    Action.accept.value: N_("You accepted the report: it is now being handled."),
    Action.return_.value: N_("The report went back to the operations centre."),
    Action.request_extension.value: N_(
        "Your extension request was sent to the operations centre for approval."
    ),
    Action.resolve.value: N_(
        "Your result was sent: the operations centre reviews it before it is published."
    ),
}

PRIORITY_LABELS: dict[Priority, str] = {
    Priority.urgent: N_("Urgent"),
    Priority.normal: N_("Normal"),
    Priority.complex: N_("Complex"),
}

# The inbox's tabs: a key, and the states it shows (None: every state).
TABS: tuple[tuple[str, ReportState | None], ...] = (
    ("all", None),
    ("assigned", ReportState.assigned),
    ("in_progress", ReportState.in_progress),
    ("returned", ReportState.returned),
    ("resolved", ReportState.resolved),
    ("published", ReportState.published),
)
