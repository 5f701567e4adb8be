"""What each message says: subject and lines per (audience, action), in the recipient's language.

Texts are English gettext message ids, translated with the recipient's locale (the resident's
language; Vietnamese for agencies and the IOC), not the request's. A line is left out when a value
it names is missing. The resident's texts name only what the resident may know: the reason of a
rejection and the published answer, never an event's free-text note (staff write those for
staff), never the reporter's contact; the agency's name the reporter only where the resident chose
to share it (``Facts.reporter``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ioc.i18n import N_, translations
from reports.notify.models import Audience
from routing.sla import VN_TZ

Line = str
PRIORITY_NAMES = {"urgent": N_("urgent"), "normal": N_("normal"), "complex": N_("complex")}
STAGE_NAMES = {
    "verify": N_("verification"),
    "accept": N_("acceptance"),
    "resolve": N_("the result"),
}
FOLLOW = N_("Follow it: %(link)s")
SEE = N_("Report: %(link)s")

FOLLOWED = "follow"  # not an event: a resident starts following a report (service.queue_follow)
LINK_AGAIN = "link_again"  # not an event: the resident asks for their private link again

# (audience, action) -> (subject, lines). Actions missing here send nothing to that audience.
TEXTS: dict[tuple[Audience, str], tuple[str, tuple[Line, ...]]] = {
    (Audience.resident, "submit"): (
        N_("Report %(code)s received"),
        (
            N_(
                "Your report %(code)s (%(category)s) has been received and waits for "
                "verification by the operations centre."
            ),
            N_("Follow it with your private link (keep it to yourself): %(private_link)s"),
        ),
    ),
    (Audience.resident, FOLLOWED): (
        N_("You follow report %(code)s"),
        (
            N_(
                "You follow report %(code)s (%(category)s): you will hear when it moves on, "
                "and you can rate its result once it is published."
            ),
            N_("Your private link (keep it to yourself): %(private_link)s"),
        ),
    ),
    (Audience.resident, LINK_AGAIN): (
        N_("Your private link to report %(code)s"),
        (
            N_("You asked for the private link to your report %(code)s (%(category)s) again."),
            N_("Your private link (keep it to yourself): %(private_link)s"),
        ),
    ),
    (Audience.resident, "verify_forward"): (
        N_("Report %(code)s forwarded to %(agency)s"),
        (
            N_("Report %(code)s (%(category)s) has been verified and forwarded to %(agency)s."),
            FOLLOW,
        ),
    ),
    (Audience.resident, "accept"): (
        N_("Report %(code)s is being handled"),
        (N_("%(agency)s has accepted report %(code)s and is handling it."), FOLLOW),
    ),
    (Audience.resident, "approve_result"): (
        N_("Result of report %(code)s published"),
        (
            N_("The result of report %(code)s has been published."),
            N_("Answer from %(agency)s: %(answer)s"),
            N_(
                "Rate the result, or reopen the report if it is not fixed, within 7 days "
                "from your private link."
            ),
            FOLLOW,
        ),
    ),
    (Audience.resident, "reject"): (
        N_("Report %(code)s was not accepted"),
        (N_("Report %(code)s was not accepted. Reason: %(reason)s"),),
    ),
    (Audience.resident, "mark_duplicate"): (
        N_("Report %(code)s joins report %(original)s"),
        (
            N_(
                "The problem of report %(code)s was reported before as %(original)s; "
                "it is handled there."
            ),
            N_("Follow it: %(original_link)s"),
        ),
    ),
    (Audience.resident, "reopen"): (
        N_("Report %(code)s reopened"),
        (
            N_("Report %(code)s has been reopened. The operations centre will forward it again."),
            FOLLOW,
        ),
    ),
    (Audience.agency, "verify_forward"): (
        N_("New report %(code)s for %(agency)s"),
        (
            N_(
                "Report %(code)s (%(category)s, priority: %(priority)s) has been assigned "
                "to %(agency)s."
            ),
            N_("Place: %(place)s"),
            N_("Description: %(description)s"),
            N_("Accept by %(accept_by)s; result due %(resolve_by)s."),
            N_("Reporter: %(reporter)s"),
            N_("Note from the operations centre: %(note)s"),
            SEE,
        ),
    ),
    (Audience.agency, "overdue"): (
        N_("Report %(code)s is overdue"),
        (N_("Report %(code)s is past its deadline for %(stage)s (%(due)s)."), SEE),
    ),
    (Audience.agency, "approve_extension"): (
        N_("Extension approved for report %(code)s"),
        (
            N_("The extension of report %(code)s was approved: the result is now due %(until)s."),
            SEE,
        ),
    ),
    (Audience.agency, "deny_extension"): (
        N_("Extension denied for report %(code)s"),
        (
            N_("The extension of report %(code)s was denied."),
            N_("Reason: %(reason)s"),
            SEE,
        ),
    ),
    (Audience.agency, "send_back"): (
        N_("Result of report %(code)s sent back"),
        (
            N_(
                "The operations centre sent the result of report %(code)s back for more work. "
                "Reason: %(reason)s"
            ),
            SEE,
        ),
    ),
    (Audience.ioc, "return"): (
        N_("Report %(code)s returned by %(agency)s"),
        (N_("%(agency)s returned report %(code)s. Reason: %(reason)s"), SEE),
    ),
    (Audience.ioc, "request_extension"): (
        N_("Extension asked for report %(code)s"),
        (
            N_("%(agency)s asks to extend report %(code)s until %(until)s. Reason: %(reason)s"),
            SEE,
        ),
    ),
    (Audience.ioc, "overdue"): (
        N_("Report %(code)s is overdue"),
        (
            N_("Report %(code)s is past its deadline for %(stage)s (%(due)s)."),
            N_("Agency: %(agency)s"),
            SEE,
        ),
    ),
    (Audience.ioc, "reopen"): (
        N_("Report %(code)s reopened by the resident"),
        (
            N_("The resident reopened report %(code)s after its result was published."),
            N_("Their note: %(note)s"),
            SEE,
        ),
    ),
}


@dataclass(frozen=True)
class Facts:
    """What the texts of one event may name (None: unknown, its lines are left out)."""

    code: str
    category: dict[str, str]  # locale -> name
    values: dict[str, Any] = field(default_factory=dict)


def audiences_of(action: str) -> set[Audience]:
    """The audiences an action writes to."""
    return {audience for audience, name in TEXTS if name == action}


def when(at: datetime | None) -> str | None:
    """A time as a Vietnamese reader expects it (Vietnam's time zone), or None."""
    return at.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y") if at else None


def _params(facts: Facts, locale: str) -> dict[str, str]:
    """The values in the locale, translated where they are names of ours."""
    catalog = translations(locale)
    values: dict[str, Any] = {**facts.values, "code": facts.code}
    values["category"] = facts.category.get(locale) or facts.category.get("vi")
    for key, names in (("priority", PRIORITY_NAMES), ("stage", STAGE_NAMES)):
        if values.get(key) in names:
            values[key] = catalog.gettext(names[values[key]])
    return {key: str(value) for key, value in values.items() if value not in (None, "")}


def render(audience: Audience, action: str, facts: Facts, locale: str) -> tuple[str, str]:
    """The subject and body of a message, in ``locale``."""
    subject, lines = TEXTS[(audience, action)]
    catalog = translations(locale)
    params = _params(facts, locale)
    shown = [_fill(catalog.gettext(line), params) for line in lines]
    title = catalog.gettext(subject) % _Blank(params)
    return title, "\n".join(text for text in shown if text)


def _fill(translated: str, params: dict[str, str]) -> str:
    """A line with its values, or "" if a value it names is missing."""
    try:
        return translated % params
    except KeyError:
        return ""


class _Blank(dict[str, str]):
    """Fills any placeholder with a dash (a subject is never left out)."""

    def __missing__(self, key: str) -> str:
        return "—"
