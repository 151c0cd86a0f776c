"""What the person is told, at the top of the next page, after exports were asked for: from the
dashboard, or by the choice they made before TikTok's consent page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from exports.services import StartedExports


def announce_started_exports(request: HttpRequest, outcome: StartedExports) -> None:
    for export in outcome.started:
        messages.success(
            request,
            _("We asked TikTok for your data: %(contents)s.")
            % {"contents": export.describe_categories()},
        )
    for export in outcome.already_active:
        messages.info(
            request,
            _("An export of %(contents)s is already under way; it is in your list.")
            % {"contents": export.describe_categories()},
        )
    if outcome.not_allowed:
        messages.warning(
            request,
            ngettext(
                "TikTok did not give this site permission to export %(kinds)s, so that was not "
                "asked for. You can allow it under “What you allowed”.",
                "TikTok did not give this site permission to export %(kinds)s, so those were "
                "not asked for. You can allow them under “What you allowed”.",
                len(outcome.not_allowed),
            )
            % {"kinds": outcome.describe_not_allowed()},
        )
