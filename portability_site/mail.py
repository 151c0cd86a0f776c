"""The embedded setup's email backend: each message on the console and in a file under
var/mail/, written for a person to read (headers and plain text, links unbroken) rather than
in transfer encoding."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend as FileBackend

SEPARATOR = "-" * 79
SHOWN_HEADERS = ("From", "To", "Cc", "Subject", "Date", "Message-ID")


class ConsoleAndFileEmailBackend(FileBackend):
    """Writes each batch of messages to a new file in `file_path` and echoes it to stdout."""

    def write_message(self, message: EmailMessage) -> None:
        self.stream.write(readable(message).encode() + b"\n")

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = super().send_messages(email_messages)
        for message in email_messages:
            sys.stdout.write(readable(message) + "\n")
        sys.stdout.flush()
        return sent


def readable(message: EmailMessage) -> str:
    """Headers, then the plain-text body decoded, then the separator line."""
    mime = message.message()
    headers = "\n".join(f"{name}: {mime[name]}" for name in SHOWN_HEADERS if mime[name])
    body_part = mime.get_body(preferencelist=("plain",))
    body = body_part.get_content() if body_part is not None else ""
    return f"{headers}\n\n{body.rstrip()}\n{SEPARATOR}"
