"""Staff alerts: create, route, notify, escalate, digest.

How an alert travels:

1. After the flow step of the inbound pipeline and after each timer run,
   :func:`~cfbot.services.alerts.raising.evaluate_alerts` is called directly; it evaluates the flow's ``alerts:`` rules (or, when a flow has none, the default
   rules: a rating in the lowest two points, an NPS of 0-6, free text below the sentiment
   threshold). A crisis message goes through :func:`raise_crisis` instead.
2. One dissatisfaction alert covers one client for the re-arm window
   (``CFBOT_ALERT_REARM_HOURS``, 24 h): later rules of the same survey, and further
   surveys of the same client within the window, add reasons to the open alert instead
   of sending more email. Crisis alerts dedupe only within ``CFBOT_CRISIS_DEDUPE_MINUTES``.
3. Creating an alert queues one :class:`~cfbot.models.MailOut` row; nothing is sent on the
   request path. A dissatisfaction email waits until the survey ends (at most
   ``CFBOT_ALERT_HOLD_MINUTES``) so it carries the client's own words; urgent ones go
   at once. :func:`send_pending_mail` (a clock job) sends through
   :mod:`cfbot.services.mail_queue` with retry and backoff; a failed send keeps the row,
   and the dashboard shows "email delayed since ...".
4. :func:`escalate_due` emails the escalation contact about alerts still open after
   their deadline (urgent: 15 minutes; others: one business day); :func:`send_digests`
   sends each site a daily digest once per day.

Modules: ``rules`` (which rules hold), ``raising`` (creating alerts, re-arm window,
crisis hold), ``links`` (dashboard links), ``content`` and ``render`` (email composition,
templates in ``cfbot/templates/mail/``), ``sending``, ``escalation``, ``digest``,
``actions`` (staff actions), ``views`` (read-only dashboard queries), ``casework`` (assign, notes, reopen), ``followup`` (the reply to the client),
``retention``. This package re-exports what the rest of cfbot imports from it.
"""

from __future__ import annotations

from cfbot.services.alerts.actions import (
    AlertActionError,
    acknowledge_alert,
    resolve_alert,
    reveal_phone,
)
from cfbot.services.alerts.common import CRISIS, DISSATISFACTION, STATUSES, log_event
from cfbot.services.alerts.digest import send_digests
from cfbot.services.alerts.escalation import escalate_due, escalation_deadline
from cfbot.services.alerts.links import alert_link
from cfbot.services.alerts.raising import (
    crisis_alert_for,
    crisis_hold_until,
    evaluate_alerts,
    raise_crisis,
    raise_dissatisfaction,
)
from cfbot.services.alerts.retention import anonymise_before
from cfbot.services.alerts.sending import send_pending_mail
from cfbot.services.alerts.views import alert_detail, alert_list, delayed_alert_ids, list_alerts
from cfbot.services.mail_queue import queue_mail, retry_failed_mail

# the name crisis_response registers as the conversation service's after-sprint hook

__all__ = [
    "CRISIS",
    "DISSATISFACTION",
    "STATUSES",
    "AlertActionError",
    "acknowledge_alert",
    "alert_detail",
    "alert_link",
    "alert_list",
    "anonymise_before",
    "crisis_alert_for",
    "crisis_hold_until",
    "delayed_alert_ids",
    "escalate_due",
    "escalation_deadline",
    "evaluate_alerts",
    "list_alerts",
    "log_event",
    "queue_mail",
    "raise_crisis",
    "raise_dissatisfaction",
    "resolve_alert",
    "retry_failed_mail",
    "reveal_phone",
    "send_digests",
    "send_pending_mail",
]
