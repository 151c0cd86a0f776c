"""The emails the site sends about exports (allauth sends the address-verification ones)."""

from __future__ import annotations

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from exports.models import ExportRequest, ExportState


def send_export_outcome(export: ExportRequest, address: str, link: str) -> None:
    subjects = {
        ExportState.READY: _("Your TikTok export is ready"),
        ExportState.FAILED: _("Your TikTok export could not be completed"),
        ExportState.EXPIRED: _("Your TikTok export expired at TikTok"),
    }
    context = {"export": export, "link": link}
    send_mail(
        subject=str(subjects[ExportState(export.state)]),
        message=render_to_string("exports/email/export_outcome.txt", context),
        from_email=None,
        recipient_list=[address],
    )


def send_deletion_reminder(export: ExportRequest, address: str, link: str) -> None:
    send_mail(
        subject=str(_("Your TikTok export will be deleted soon")),
        message=render_to_string(
            "exports/email/deletion_reminder.txt", {"export": export, "link": link}
        ),
        from_email=None,
        recipient_list=[address],
    )
