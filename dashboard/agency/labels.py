"""Names shown on the agency pages: buttons, notices, priorities and tabs (translated when shown).

The timeline's action names are the lifecycle's own (``reports.lifecycle.labels``).
"""

from __future__ import annotations

from ioc.i18n import N_
from reports.lifecycle.rules import Action
from reports.models import ReportState
from routing.sla import Priority

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
