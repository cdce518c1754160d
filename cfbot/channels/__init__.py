"""Channel adapters behind one interface, and the registry that builds them from settings.

Adding a channel means adding an adapter and a line in :data:`FACTORIES`; no route changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cfbot.channels.base import Channel, InboundMsg, SendResult
from cfbot.channels.console import ConsoleChannel
from cfbot.channels.webchat import WebChatChannel
from cfbot.config import Settings

__all__ = ["Channel", "InboundMsg", "SendResult", "build_channels", "FACTORIES"]


def _sms(settings: Settings) -> Any:
    if settings.sms_channel == "twilio":
        from cfbot.channels.twilio_sms import TwilioSmsChannel

        return TwilioSmsChannel.from_settings(settings)
    return ConsoleChannel("sms")


def _whatsapp(settings: Settings) -> Any:
    if settings.sms_channel == "twilio" and settings.twilio_whatsapp_from:
        from cfbot.channels.twilio_whatsapp import TwilioWhatsAppChannel

        return TwilioWhatsAppChannel.from_settings(settings)
    return ConsoleChannel("whatsapp")


FACTORIES: dict[str, Callable[[Settings], Any]] = {
    "sms": _sms,
    "whatsapp": _whatsapp,
    "webchat": lambda settings: WebChatChannel(),
}


def build_channels(settings: Settings) -> dict[str, Channel]:
    """One adapter per channel name, configured from ``settings``."""
    return {name: factory(settings) for name, factory in FACTORIES.items()}
