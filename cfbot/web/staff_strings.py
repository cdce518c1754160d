"""Staff text that reaches ``st()`` through a variable (a status, an action, a label in a
template list, an error from a service), marked here so ``cfbot translations extract``
puts it in the ``staff`` catalog. Nothing imports the list at run time."""

from __future__ import annotations


def SN_(message: str) -> str:  # noqa: N802 - the extraction keyword
    """Mark ``message`` for the staff catalog; returns it unchanged."""
    return message


STAFF_STRINGS: tuple[str, ...] = (
    # filter labels and choices (dashboard/_listing.html, _results_filters.html, list.html)
    SN_("All"),
    SN_("All channels"),
    SN_("All languages"),
    SN_("All programs"),
    SN_("All surveys"),
    SN_("All, with dismissed"),
    SN_("Not dismissed"),
    SN_("Open"),
    SN_("Dismissed"),
    SN_("Marked sent"),
    SN_("Sent again"),
    SN_("Status"),
    SN_("Program"),
    SN_("Survey"),
    SN_("Language"),
    SN_("Channel"),
    SN_("Site"),
    # table headers and empty tables
    SN_("Alert"),
    SN_("Raised"),
    SN_("Severity"),
    SN_("Reason"),
    SN_("Email"),
    SN_("Kind"),
    SN_("Message"),
    SN_("Problem"),
    SN_("Action"),
    SN_("Text"),
    SN_("No alerts match."),
    SN_("No delivery problems."),
    # funnel rows and skip reasons (results.html, the report)
    SN_("Invited"),
    SN_("Delivered"),
    SN_("Started"),
    SN_("Completed"),
    SN_("Opted out"),
    SN_("Surveyed recently (frequency cap)"),
    SN_("Crisis hold"),
    SN_("Busy in another survey"),
    SN_("Number unreachable"),
    SN_("No phone number"),
    SN_("Survey not loaded"),
    SN_("Other"),
    # breakdown titles
    SN_("By site"),
    SN_("By program"),
    SN_("By language"),
    SN_("By channel"),
    SN_("Week"),
    # review labels
    SN_("Fine"),
    SN_("A complaint"),
    SN_("A crisis"),
    # statuses, kinds, severities
    SN_("open"),
    SN_("acknowledged"),
    SN_("resolved"),
    SN_("active"),
    SN_("paused"),
    SN_("completed"),
    SN_("expired"),
    SN_("stopped"),
    SN_("dissatisfaction"),
    SN_("crisis"),
    SN_("normal"),
    SN_("high"),
    SN_("urgent"),
    SN_("unknown"),
    SN_("failed"),
    SN_("undelivered"),
    SN_("cancelled"),
    SN_("sent"),
    SN_("queued"),
    # audit-trail actions (detail.html, the report)
    SN_("created"),
    SN_("email_sent"),
    SN_("escalated_email_sent"),
    SN_("email_failed"),
    SN_("escalated"),
    SN_("reason_added"),
    SN_("repeat"),
    SN_("phone_revealed"),
    SN_("client_replied"),
    SN_("client_message"),
    # translation review states of a flow (the report)
    SN_("unreviewed"),
    SN_("machine"),
    SN_("reviewed"),
    # messages and errors from routes and services
    SN_("Sign-in link not valid"),
    SN_("This sign-in link has expired or is not valid. Ask for a new one."),
    SN_("Link not valid"),
    SN_("This alert link has expired or is not valid. Sign in to see the alert."),
    SN_("Choose fine, complaint or crisis."),
    SN_("a resolution note is required"),
    SN_("no such alert"),
    SN_("Unknown action."),
    SN_("No such message."),
    SN_("This message is no longer a delivery problem."),
    SN_("Only a message whose outcome is unknown or that failed can be marked sent."),
    SN_("This error says the message cannot be delivered; it would fail again."),
    SN_(
        "Only a message whose outcome is unknown, or that failed for a passing reason, "
        "can be sent again."
    ),
    SN_("The client has opted out: nothing more may be sent to this number."),
    SN_("The number is marked unreachable."),
    SN_("There is no number to send to."),
    SN_("There is no client to send to."),
)
