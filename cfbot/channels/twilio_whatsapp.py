"""WhatsApp through Twilio: the SMS adapter with ``whatsapp:`` addresses.

Inbound WhatsApp messages reach the same webhook as SMS (``From: whatsapp:+1...``) and
are answered with TwiML like SMS. Messages we send on our own go out from
``TWILIO_WHATSAPP_FROM``. WhatsApp allows free text only within 24 hours of the
client's last message; invitations need an approved template (a Twilio Content SID per
flow and language, the flow's ``whatsapp_templates``), sent with :meth:`send_template`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cfbot.channels.base import SendResult
from cfbot.channels.twilio_sms import WHATSAPP_PREFIX, TwilioSmsChannel
from cfbot.config import Settings


@dataclass
class TwilioWhatsAppChannel(TwilioSmsChannel):
    """Sends WhatsApp messages through Twilio's REST API."""

    name: str = "whatsapp"
    prefix: str = WHATSAPP_PREFIX

    @classmethod
    def from_settings(cls, settings: Settings) -> TwilioWhatsAppChannel:
        """The SMS adapter's settings, sending from ``TWILIO_WHATSAPP_FROM``."""
        sms = TwilioSmsChannel.from_settings(settings)
        return cls(
            account_sid=sms.account_sid,
            auth_token=sms.auth_token,
            from_number=settings.twilio_whatsapp_from,
            status_callback_url=sms.status_callback_url,
            api_base_url=sms.api_base_url,
            timeout=sms.timeout,
        )

    def send_template(
        self,
        address: str,
        content_sid: str,
        variables: dict[str, str],
        *,
        message_id: int | None = None,
    ) -> SendResult:
        """Send an approved template (outside the 24-hour window); errors as for :meth:`send`."""
        kwargs: dict[str, Any] = {
            "to": self.prefix + address,
            "from_": self.prefix + self.from_number,
            "content_sid": content_sid,
            "content_variables": json.dumps(variables),
        }
        if self.status_callback_url:
            kwargs["status_callback"] = self.status_callback_url
        return self._create(kwargs, address, message_id)
