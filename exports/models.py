from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exports import crypto, taskqueue
from exports.failures import NOT_ELIGIBLE, failure_message
from exports.lifecycle import (
    ACTIVE_STATES,
    EMAILED_STATES,
    EMAILS_OWED,
    ENDED_WITHOUT_ARCHIVE,
    FINISHED_STATES,
    EmailKind,
    ExportState,
    check_move,
)
from exports.scopes import DataFormat, describe_contents, describe_scope, portability_scopes

__all__ = [
    "ACTIVE_STATES",
    "EMAIL_ATTEMPTS",
    "FINISHED_STATES",
    "ApiToken",
    "EmailKind",
    "ExportEmail",
    "ExportEvent",
    "ExportOrigin",
    "ExportRequest",
    "ExportState",
    "RateLimitCounter",
    "TikTokAccessRemoval",
    "TikTokAuthorization",
    "WebhookReceipt",
]


class TikTokAuthorizationQuerySet(models.QuerySet["TikTokAuthorization"]):
    def for_user(self, user: models.Model) -> TikTokAuthorizationQuerySet:
        return self.filter(user=user)

    def withdrawal_due(self, now: dt.datetime) -> TikTokAuthorizationQuerySet:
        """Grants given up here whose revocation at TikTok is still owed: the sweep's work list."""
        return self.filter(
            Q(withdraw_claimed_until__isnull=True) | Q(withdraw_claimed_until__lt=now),
            withdrawn_at__isnull=False,
        )


class TikTokAuthorization(models.Model):
    """What a person allowed this site to do at TikTok: the scopes they granted and the tokens
    that carry them. Tokens are stored encrypted (exports.crypto), never in plaintext."""

    # Empty once the person disconnected TikTok or deleted their account: the row then only
    # waits for the worker to cancel their requests and revoke the grant at TikTok, and goes.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tiktok_authorization",
    )
    open_id = models.CharField(max_length=255, unique=True)
    granted_scopes = models.JSONField(default=list)
    # What the last sign-in asked for, so the dashboard can say what was not granted.
    requested_scopes = models.JSONField(default=list)
    access_token_ciphertext = models.TextField()
    access_token_expires_at = models.DateTimeField()
    refresh_token_ciphertext = models.TextField()
    refresh_token_expires_at = models.DateTimeField()
    # A claim on refreshing the tokens: TikTok rotates the refresh token on every use, so two
    # processes refreshing at once would leave one holding a dead token.
    refresh_claimed_until = models.DateTimeField(null=True, blank=True)
    # When TikTok issued the current grant: once-only scopes used before it are fresh again.
    granted_at = models.DateTimeField(default=timezone.now)
    # Withdrawal: when the person gave the grant up here, the TikTok requests still to cancel
    # with it, and the worker's claim and tries at revoking it (exports.services.disconnection).
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    requests_to_cancel = models.JSONField(default=list, blank=True)
    withdraw_claimed_until = models.DateTimeField(null=True, blank=True)
    withdraw_attempts = models.PositiveSmallIntegerField(default=0)
    # When TikTok refused an export because the person is outside the EEA and the UK: the site
    # then explains that and offers no export TikTok would refuse again.
    not_eligible_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TikTokAuthorizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("TikTok authorization")

    def __str__(self) -> str:
        return f"TikTok authorization of {self.open_id}"

    @property
    def access_token(self) -> str:
        return crypto.decrypt(self.access_token_ciphertext)

    @property
    def refresh_token(self) -> str:
        return crypto.decrypt(self.refresh_token_ciphertext)

    def set_tokens(self, access_token: str, refresh_token: str) -> None:
        self.access_token_ciphertext = crypto.encrypt(access_token)
        self.refresh_token_ciphertext = crypto.encrypt(refresh_token)

    @property
    def granted_portability_scopes(self) -> list[str]:
        return portability_scopes(self.granted_scopes)

    @property
    def declined_scopes(self) -> list[str]:
        """Scopes the last sign-in asked for that the person did not grant."""
        return sorted(set(self.requested_scopes) - set(self.granted_scopes))

    def describe_granted(self) -> list[str]:
        return [describe_scope(scope) for scope in self.granted_portability_scopes]

    def describe_declined(self) -> list[str]:
        return [describe_scope(scope) for scope in self.declined_scopes]

    @property
    def is_not_eligible(self) -> bool:
        return self.not_eligible_at is not None


class TikTokAccessRemoval(models.Model):
    """TikTok told us the person removed this site's access (the `authorization.removed`
    webhook): their tokens are gone and their exports under way were cancelled. Kept so the
    dashboard can say so, until they sign in with TikTok again."""

    class Reason(models.IntegerChoices):
        UNKNOWN = 0, _("for a reason TikTok did not give")
        DISCONNECTED = 1, _("because you disconnected this site in TikTok")
        ACCOUNT_DELETED = 2, _("because your TikTok account was deleted")
        AGE_CHANGED = 3, _("because of a change to your age on TikTok")
        ACCOUNT_BANNED = 4, _("because your TikTok account was suspended")
        DEVELOPER_REVOKED = 5, _("because the access was withdrawn")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tiktok_access_removal"
    )
    reason = models.PositiveSmallIntegerField(choices=Reason.choices, default=Reason.UNKNOWN)
    removed_at = models.DateTimeField(default=timezone.now)
    cancelled_exports = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"TikTok access removed at {self.removed_at:%Y-%m-%d %H:%M:%S}"


# Tries at sending one email before giving up on it (the dashboard still shows the news).
EMAIL_ATTEMPTS = 8


class ExportRequestQuerySet(models.QuerySet["ExportRequest"]):
    def active(self) -> ExportRequestQuerySet:
        return self.filter(state__in=ACTIVE_STATES)

    def due(self, state: str, now: dt.datetime) -> ExportRequestQuerySet:
        """Exports in `state` whose next step is due: the sweeper's work list."""
        return self.filter(state=state, next_step_at__lte=now)

    def fetch_lease_lapsed(self, now: dt.datetime) -> ExportRequestQuerySet:
        return self.filter(state=ExportState.FETCHING, next_step_at__lte=now).filter(
            Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
        )

    def with_email_due(self, kind: str, now: dt.datetime) -> ExportRequestQuerySet:
        """Exports owed an email of `kind` that a sender may try now: the sweep's work list."""
        return self.filter(pk__in=ExportEmail.objects.due(kind, now).values("export_id"))

    def due_for_deletion(self, now: dt.datetime) -> ExportRequestQuerySet:
        """Archives past their retention, deletions whose storage object is still there, and
        exports that ended while their archive was being copied (a copy cut short by a dead
        worker can leave a partial or complete file)."""
        return self.filter(
            Q(state=ExportState.READY, retention_until__lte=now)
            | Q(state=ExportState.DELETED, archive_deleted_at__isnull=True)
            | Q(
                state__in=ENDED_WITHOUT_ARCHIVE,
                tiktok_ready_at__isnull=False,
                archive_deleted_at__isnull=True,
            )
        )

    def transition(
        self,
        export_id: uuid.UUID | str,
        from_states: Iterable[str],
        to_state: str | None = None,
        *,
        when: Q | None = None,
        event: str = "",
        detail: object = "",
        publish: str = "",
        delay: float = 0.0,
        **fields: Any,
    ) -> bool:
        """The one way an export's row changes state (exports/lifecycle.py has the map).

        Moves the export from any of `from_states` (and matching `when`) to `to_state`, or
        keeps its state when `to_state` is None, setting `fields` in the same conditional
        UPDATE. Only if the row matched: records `event` in its history, owes the emails that
        entering `to_state` owes (exports.lifecycle.EMAILS_OWED), and publishes `publish`
        (and the outcome email's task) once the transaction commits. Returns whether the row
        matched: False means another step, a cancel or a second delivery got there first.
        Raises IllegalTransitionError for a move the export's life does not have.
        """
        from_states = tuple(from_states)
        check_move(from_states, to_state)
        changes = dict(fields)
        if to_state is not None:
            changes["state"] = to_state
        rows = self.filter(pk=export_id, state__in=from_states)
        if when is not None:
            rows = rows.filter(when)
        with transaction.atomic():
            if not rows.update(**changes):
                return False
            if event:
                ExportEvent.objects.create(
                    export_id=export_id, kind=event, detail=str(detail or "")
                )
            for kind in EMAILS_OWED.get(to_state, ()):
                ExportEmail.owe(export_id, kind)
                if kind == EmailKind.OUTCOME:
                    taskqueue.enqueue(taskqueue.NOTIFY, export_id)
            if publish:
                taskqueue.enqueue(publish, export_id, delay=delay)
        return True


def exports_for(user: AbstractBaseUser) -> ExportRequestQuerySet:
    """Every export `user` may reach, and no other: the only way views and the API fetch one."""
    if not user.is_authenticated:
        return ExportRequest.objects.none()
    return ExportRequest.objects.filter(user=user)


class ExportOrigin(models.TextChoices):
    """Where an export was asked for, as its owner sees it in their list."""

    SITE = "site", _("Asked on this site")
    API = "api", _("Asked through an API token")


class ExportRequest(models.Model):
    """One export of a person's TikTok data, from the request at TikTok to the stored archive.

    The row is the source of truth for the pipeline: `state` says where the export is and
    `next_step_at` when the worker should look at it again, so a lost task message costs at most
    one sweep (exports.services.sweep). Its state changes only through
    `ExportRequest.objects.transition`; the states and their moves are in exports/lifecycle.py.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_requests"
    )
    categories = models.JSONField()
    data_format = models.CharField(max_length=8, choices=DataFormat.choices)
    scope = models.CharField(max_length=64, help_text="The portability scope the request uses.")
    state = models.CharField(
        max_length=16, choices=ExportState.choices, default=ExportState.REQUESTED
    )
    # The language and time zone the person used when asking: the worker writes the export's
    # history, failure reason and emails in them (exports.services.locale).
    language = models.CharField(max_length=8, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    # Why it failed: the code decides what its owner reads (exports.failures), in the
    # language of the page or email; the reason is TikTok's own words, for the operator.
    failure_code = models.CharField(max_length=64, blank=True)
    failure_reason = models.TextField(blank=True)
    origin = models.CharField(max_length=8, choices=ExportOrigin.choices, default=ExportOrigin.SITE)
    # The name of the API token that asked, as it was then (the token may be revoked since).
    api_token_name = models.CharField(max_length=64, blank=True)

    # TikTok's side. request_id is an int64: BigInteger, never through a float.
    tiktok_request_id = models.BigIntegerField(null=True, blank=True, unique=True)
    tiktok_apply_time = models.DateTimeField(null=True, blank=True)
    tiktok_collect_time = models.DateTimeField(null=True, blank=True)
    tiktok_ready_at = models.DateTimeField(null=True, blank=True)

    # The worker's bookkeeping.
    next_step_at = models.DateTimeField(null=True, blank=True)
    # When the sweep last published this export's due step: a step waiting in a busy queue is
    # not published again every sweep.
    last_published_at = models.DateTimeField(null=True, blank=True)
    # TikTok may have accepted the request without our hearing the answer; on a once-only
    # scope it must not be asked again (its webhook tells the request id).
    add_unconfirmed_at = models.DateTimeField(null=True, blank=True)
    submit_attempts = models.PositiveIntegerField(default=0)
    check_count = models.PositiveIntegerField(default=0)
    fetch_attempts = models.PositiveIntegerField(default=0)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    bytes_received = models.BigIntegerField(default=0)
    bytes_total = models.BigIntegerField(null=True, blank=True)
    # When the current copy attempt started: with bytes_received, the copy's speed so far.
    fetch_started_at = models.DateTimeField(null=True, blank=True)

    # The stored archive.
    archive_key = models.CharField(max_length=255, blank=True)
    archive_size = models.BigIntegerField(null=True, blank=True)
    archive_sha256 = models.CharField(max_length=64, blank=True)
    archive_entries = models.PositiveIntegerField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    retention_until = models.DateTimeField(null=True, blank=True)
    archive_deleted_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExportRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "next_step_at"], name="export_due_idx")]
        constraints = [
            # Double clicks, two tabs and redelivered tasks make one TikTok request.
            models.UniqueConstraint(
                fields=["user", "scope"],
                condition=Q(state__in=ACTIVE_STATES),
                name="one_active_export_per_user_and_scope",
            ),
            models.CheckConstraint(
                condition=Q(tiktok_request_id__isnull=True) | Q(tiktok_request_id__gt=0),
                name="tiktok_request_id_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def can_be_cancelled(self) -> bool:
        return self.is_active

    @property
    def can_be_downloaded(self) -> bool:
        return self.state == ExportState.READY and bool(self.archive_key)

    @property
    def is_read(self) -> bool:
        """Whether its stored archive is read: its data can be explored."""
        if not self.can_be_downloaded:
            return False
        try:
            return self.reading.is_done
        except ObjectDoesNotExist:
            return False

    @property
    def can_be_deleted(self) -> bool:
        return self.state == ExportState.READY

    def deletion_is_near(self, now: dt.datetime | None = None) -> bool:
        """Whether the owner should be warned that the archive goes soon."""
        if self.state != ExportState.READY or self.retention_until is None:
            return False
        ahead = dt.timedelta(hours=settings.EXPORT_REMINDER_HOURS)
        return self.retention_until <= (now or timezone.now()) + ahead

    @property
    def progress_percent(self) -> int | None:
        if self.state != ExportState.FETCHING or not self.bytes_total:
            return None
        return min(100, int(100 * self.bytes_received / self.bytes_total))

    def copy_seconds_left(self, now: dt.datetime | None = None) -> int | None:
        """Seconds the copy will still take at the speed it has had so far, or None while
        that cannot be known honestly (not copying, size unknown, too early to tell)."""
        if self.state != ExportState.FETCHING or not self.bytes_total:
            return None
        if self.fetch_started_at is None or self.bytes_received <= 0:
            return None
        elapsed = ((now or timezone.now()) - self.fetch_started_at).total_seconds()
        if elapsed < 2:
            return None
        rate = self.bytes_received / elapsed
        return max(0, round((self.bytes_total - self.bytes_received) / rate))

    @property
    def next_check_is_due(self) -> bool:
        """Whether the next look at TikTok is due within the minute (timeuntil would say
        "0 minutes")."""
        if self.next_step_at is None:
            return False
        return self.next_step_at <= timezone.now() + dt.timedelta(seconds=60)

    @property
    def copy_finishes_at(self) -> dt.datetime | None:
        """When the copy should end at its speed so far (see copy_seconds_left)."""
        now = timezone.now()
        left = self.copy_seconds_left(now)
        return None if left is None else now + dt.timedelta(seconds=left)

    def record(self, kind: str, detail: object = "") -> ExportEvent:
        """Adds a line to the history its owner reads."""
        return ExportEvent.objects.create(export=self, kind=kind, detail=str(detail or ""))

    def describe_categories(self) -> str:
        """What the export contains, in the words the person chose it by."""
        return describe_contents(self.categories)

    def describe_origin(self) -> str:
        if self.origin == ExportOrigin.API:
            return _("Asked by the API token “%(name)s”") % {"name": self.api_token_name}
        return str(ExportOrigin(self.origin).label)

    @property
    def failure_message(self) -> str:
        """Why it failed, in the active language."""
        return failure_message(self.failure_code)

    @property
    def failed_for_eligibility(self) -> bool:
        return self.failure_code == NOT_ELIGIBLE

    def archive_filename(self) -> str:
        stamp = (self.ready_at or self.created_at).strftime("%Y-%m-%d")
        return f"tiktok-export-{stamp}-{str(self.pk)[:8]}.zip"


class ExportEvent(models.Model):
    """One line of an export's history, as its owner reads it on the export page."""

    class Kind(models.TextChoices):
        REQUESTED = "requested", _("You asked for this export.")
        ACCEPTED = "accepted", _("TikTok accepted the request and is preparing your data.")
        RETRYING = "retrying", _("TikTok could not be reached; trying again shortly.")
        UNCONFIRMED = (
            "unconfirmed",
            _("TikTok did not answer whether it accepted the request; waiting for TikTok to say."),
        )
        READY_AT_TIKTOK = "ready_at_tiktok", _("TikTok has your data ready; copying it.")
        FETCH_FAILED = "fetch_failed", _("The copy from TikTok was interrupted; trying again.")
        STORED = "stored", _("Your archive is stored, checked and ready to download.")
        FAILED = "failed", _("The export failed.")
        EXPIRED = "expired", _("TikTok's copy expired before it could be fetched.")
        CANCELLED = "cancelled", _("The export was cancelled.")
        ACCESS_REMOVED = (
            "access_removed",
            _("TikTok told us you removed this site's access, so the export was cancelled."),
        )
        DISCONNECTED = "disconnected", _("You disconnected TikTok, so the export was cancelled.")
        EMAIL_RESENT = "email_resent", _("You asked for the email again.")
        EMAILED = "emailed", _("We emailed you about it.")
        REMINDED = "reminded", _("We emailed you that the archive will be deleted soon.")
        DELETED = "deleted", _("The stored archive was deleted.")

    export = models.ForeignKey(ExportRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M:%S}"

    @property
    def message(self) -> str:
        return str(self.Kind(self.kind).label)


class ExportEmailQuerySet(models.QuerySet["ExportEmail"]):
    def due(self, kind: str, now: dt.datetime) -> ExportEmailQuerySet:
        """Emails of `kind` not sent yet, not given up on, that no sender holds or waits on,
        about exports still in a state that is emailed about."""
        rows = self.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            kind=kind,
            sent_at__isnull=True,
            attempts__lt=EMAIL_ATTEMPTS,
        )
        if kind == EmailKind.REMINDER:
            ahead = dt.timedelta(hours=settings.EXPORT_REMINDER_HOURS)
            return rows.filter(
                export__state=ExportState.READY,
                export__retention_until__gt=now,
                export__retention_until__lte=now + ahead,
            )
        return rows.filter(export__state__in=EMAILED_STATES)


class ExportEmail(models.Model):
    """An email owed to an export's owner, sent exactly once (exports.services.notifications):
    a sender claims it for a few minutes, marks it sent, or after a failed try leaves it
    claimed until the next try is due; after EMAIL_ATTEMPTS tries it is given up on."""

    export = models.ForeignKey(ExportRequest, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=16, choices=EmailKind.choices)
    sent_at = models.DateTimeField(null=True, blank=True)
    # No sender may try before this: one is sending it, or the last try failed.
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ExportEmailQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["export", "kind"], name="one_email_per_export_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} email about export {self.export_id}"

    @classmethod
    def owe(cls, export_id: uuid.UUID | str, kind: str) -> None:
        """Records that the owner is owed an email of `kind` (again, for a resend)."""
        cls.objects.update_or_create(
            export_id=export_id,
            kind=kind,
            defaults={"sent_at": None, "claimed_until": None, "attempts": 0},
        )


class WebhookReceipt(models.Model):
    """A TikTok webhook already handled: TikTok delivers at least once, we act once."""

    digest = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.event} at {self.received_at:%Y-%m-%d %H:%M:%S}"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self, now: dt.datetime | None = None) -> ApiTokenQuerySet:
        """Tokens that still open the task API: not expired (revoked ones are deleted)."""
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now or timezone.now()))


def api_tokens_for(user: AbstractBaseUser) -> ApiTokenQuerySet:
    """Every API token `user` may see or revoke, and no other."""
    if not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user)


class ApiToken(models.Model):
    """A personal token with which a service or script the person chose uses the task API
    (exports/api.py) on their behalf. Only its SHA-256 is kept: the token is shown once, when
    it is made. Revoking deletes the row, which also ends the download links made with it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=64)
    # The token's first characters, so the person can tell their tokens apart.
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"API token {self.prefix}… of user {self.user_id}"

    @property
    def has_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class RateLimitCounter(models.Model):
    """How many times one caller has done one limited thing in the current fixed window
    (exports.ratelimit). A row per limit and caller, counted up by one atomic upsert, so a burst
    of concurrent requests is counted exactly on any database."""

    key = models.CharField(max_length=255, unique=True)
    window = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count} in window {self.window}"


# The data read out of archives: their own module, registered with the app from here.
from exports.datasets import ExportReading, ExportRecord, ExportSection  # noqa: E402, F401
