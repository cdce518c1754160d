"""Pure flow language and engine: definitions, conditions, engine, checks and test cases.

Nothing in this package touches Flask, the database, Twilio, the scheduler or the clock.
Reading flow files (``load_flow``, ``load_directory``, ``FlowRegistry``) lives in
:mod:`cfbot.flow_store`.
"""

from cfbot.flows.builder import parse_flow
from cfbot.flows.engine import (
    evaluate_alerts,
    resume,
    start,
    state_status,
    stop,
    switch_language,
)
from cfbot.flows.events import (
    AnswerRecorded,
    AnswerRejected,
    Completed,
    Event,
    MsgOut,
    Sentiment,
    Sprint,
    WaitStarted,
)
from cfbot.flows.expr import Expr, ExprError, parse
from cfbot.flows.model import (
    AlertRule,
    Branch,
    Choice,
    Flow,
    FlowError,
    FlowSet,
    Invitation,
    Problem,
    Question,
    Reminder,
    parse_duration,
)
from cfbot.flows.segments import SmsInfo, sms_info

__all__ = [
    "AlertRule",
    "AnswerRecorded",
    "AnswerRejected",
    "Branch",
    "Choice",
    "Completed",
    "Event",
    "Expr",
    "ExprError",
    "Flow",
    "FlowError",
    "FlowSet",
    "Invitation",
    "MsgOut",
    "Problem",
    "Question",
    "Reminder",
    "Sentiment",
    "SmsInfo",
    "Sprint",
    "WaitStarted",
    "evaluate_alerts",
    "parse",
    "parse_duration",
    "parse_flow",
    "resume",
    "sms_info",
    "start",
    "state_status",
    "stop",
    "switch_language",
]
