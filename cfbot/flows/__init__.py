"""Pure flow language and engine: definitions, conditions, engine, checks and test cases.

Nothing in this package touches Flask, the database, Twilio, the scheduler or the clock.
"""

from cfbot.flows.definition import (
    AlertRule,
    Branch,
    Choice,
    Flow,
    FlowError,
    FlowRegistry,
    FlowSet,
    Invitation,
    Problem,
    Question,
    Reminder,
    load_directory,
    load_flow,
    parse_duration,
    parse_flow,
)
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
    Sprint,
    WaitStarted,
)
from cfbot.flows.expr import Expr, ExprError, parse
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
    "FlowRegistry",
    "FlowSet",
    "Invitation",
    "MsgOut",
    "Problem",
    "Question",
    "Reminder",
    "SmsInfo",
    "Sprint",
    "WaitStarted",
    "evaluate_alerts",
    "load_directory",
    "load_flow",
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
