"""What the sandbox remembers: authorization codes, grants and their tokens, data portability
requests, webhook deliveries and injected faults.

Codes and tokens are secrets handed to the client; only their SHA-256 hex digests are stored and
every lookup goes by digest, so a copy of the database gives nobody a working credential.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from tiktok_sandbox.layouts import ArchiveLanguage, ArchiveLayout, ArchiveStyle


class AuthorizationCode(models.Model):
    """A code handed out on the consent page, exchangeable once for tokens."""

    code_digest = models.CharField(max_length=64, unique=True)
    client_key = models.CharField(max_length=255)
    open_id = models.CharField(max_length=100)
    scopes = models.JSONField(default=list, help_text="The scopes the person granted, in order.")
    redirect_uri = models.CharField(max_length=512)
    code_challenge = models.CharField(max_length=128, blank=True)
    code_challenge_method = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"code for {self.open_id} ({self.created_at:%Y-%m-%d %H:%M:%S})"

    def is_expired(self, now: datetime) -> bool:
        """Whether the code can no longer be exchanged because its lifetime is over."""
        return now >= self.expires_at


class GrantQuerySet(models.QuerySet["Grant"]):
    def revoke(self, now: datetime) -> int:
        """Revoke every grant of the queryset not revoked yet; return how many were."""
        return self.filter(revoked_at__isnull=True).update(revoked_at=now)


class Grant(models.Model):
    """One person's authorization of the client app, from the code exchange until revoked.

    All tokens issued for it, the first pair and every rotation, die with it.
    """

    client_key = models.CharField(max_length=255)
    open_id = models.CharField(max_length=100)
    scopes = models.JSONField(default=list)
    code = models.OneToOneField(
        AuthorizationCode, on_delete=models.SET_NULL, null=True, blank=True, related_name="grant"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = GrantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"grant for {self.open_id} ({self.created_at:%Y-%m-%d %H:%M:%S})"

    def has_scope(self, scope: str) -> bool:
        """Whether the person granted ``scope``."""
        return scope in self.scopes


class TokenPairQuerySet(models.QuerySet["TokenPair"]):
    def live_access(self, now: datetime) -> TokenPairQuerySet:
        """Pairs whose access token still works at ``now``."""
        return self.filter(access_expires_at__gt=now, grant__revoked_at__isnull=True)

    def refreshable(self, now: datetime) -> TokenPairQuerySet:
        """Pairs whose refresh token can still be exchanged at ``now``."""
        return self.filter(
            refresh_expires_at__gt=now, rotated_at__isnull=True, grant__revoked_at__isnull=True
        )


class TokenPair(models.Model):
    """An access token and the refresh token issued with it.

    A refresh marks the pair rotated: its refresh token stops working at once, while its access
    token keeps working until it expires, as OAuth servers usually let it.
    """

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="token_pairs")
    access_digest = models.CharField(max_length=64, unique=True)
    refresh_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    access_expires_at = models.DateTimeField()
    refresh_expires_at = models.DateTimeField()
    rotated_at = models.DateTimeField(null=True, blank=True)

    objects = TokenPairQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"tokens of {self.grant} ({self.created_at:%Y-%m-%d %H:%M:%S})"


class FaultEndpoint(models.TextChoices):
    """The places a fault can be injected; each takes at most one fault per request."""

    AUTHORIZE = "authorize", "Authorize (consent decision)"
    TOKEN = "token", "Token"
    REVOKE = "revoke", "Revoke"
    USER_INFO = "user_info", "User info"
    DATA_ADD = "add", "Data Portability: add"
    DATA_CHECK = "check", "Data Portability: check"
    DATA_CANCEL = "cancel", "Data Portability: cancel"
    DATA_DOWNLOAD = "download", "Data Portability: download"


class FaultKind(models.TextChoices):
    """How a fault shows on the wire (tiktok_sandbox.faults has the details of each)."""

    ERROR = "error", "Answer an error instead of doing the work"
    LOST_ANSWER = "lost_answer", "Do the work, then reset the connection before answering"
    CUT = "cut", "Download: close the connection short of the promised Content-Length"
    UNTERMINATED = "unterminated", "Download: chunked body, connection closed before its end"
    RESET = "reset", "Download: reset the connection (RST) partway through the body"
    STALL = "stall", "Download: send nothing for a while partway through the body"
    FLIP = "flip", "Download: flip the bits of one byte of the body"


class SandboxFault(models.Model):
    """A fault the next ``remaining`` requests to ``endpoint`` meet instead of a normal answer.

    Created through ``tiktok_sandbox.faults.inject_fault`` (or the admin); consumed one per
    request by ``take_fault``. Spent faults stay, with ``remaining`` at 0, as a record.
    """

    endpoint = models.CharField(max_length=40, choices=FaultEndpoint.choices)
    kind = models.CharField(max_length=20, choices=FaultKind.choices, default=FaultKind.ERROR)
    error = models.CharField(
        max_length=100,
        blank=True,
        help_text="OAuth `error` or v2 `error.code`, e.g. server_error (error faults only).",
    )
    http_status = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The error's HTTP status (error faults only)."
    )
    description = models.TextField(
        blank=True, help_text="OAuth `error_description` or v2 `error.message`."
    )
    retry_after = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seconds for a Retry-After header; none if empty."
    )
    at_fraction = models.FloatField(
        null=True,
        blank=True,
        help_text="Download faults: where in the body the fault strikes, 0 (start) to 1 (end).",
    )
    stall_seconds = models.FloatField(
        null=True, blank=True, help_text="Stall faults: how long no byte is sent."
    )
    remaining = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    last_taken_at = models.DateTimeField(
        null=True, blank=True, help_text="When a request last met this fault."
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(http_status__isnull=True)
                | Q(http_status__gte=400, http_status__lte=599),
                name="tiktok_sandbox_fault_status_is_an_error",
            ),
            models.CheckConstraint(
                condition=~Q(kind="error") | Q(http_status__isnull=False),
                name="tiktok_sandbox_error_fault_has_a_status",
            ),
            models.CheckConstraint(
                condition=Q(at_fraction__isnull=True)
                | Q(at_fraction__gte=0.0, at_fraction__lte=1.0),
                name="tiktok_sandbox_fault_strikes_within_the_body",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == FaultKind.ERROR:
            return f"{self.endpoint}: {self.error} ({self.http_status}) x{self.remaining}"
        return f"{self.endpoint}: {self.kind} x{self.remaining}"


class DataFormat(models.TextChoices):
    """The format of the files inside an export archive."""

    JSON = "json", "JSON"
    TEXT = "text", "Text"


class RequestStatus(models.TextChoices):
    """Exactly TikTok's four statuses; ``downloading`` means ready to download."""

    PENDING = "pending"
    DOWNLOADING = "downloading"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class PortabilityRequest(models.Model):
    """One Add Data Request: what was asked for, under which scope, and its timeline.

    The times are fixed when the request is made, so the status follows from them and the clock
    alone (``status``) and later changes of the settings leave existing requests alone.
    """

    request_id = models.BigIntegerField(unique=True)
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="data_requests")
    # The request belongs to the person and the app, not to one grant: a later grant of the
    # same person (after signing in again) sees it too.
    client_key = models.CharField(max_length=255)
    open_id = models.CharField(max_length=100)
    scope = models.CharField(max_length=64, help_text="The portability scope the request used.")
    data_format = models.CharField(max_length=10, choices=DataFormat.choices)
    category_selection_list = models.JSONField(help_text="Exactly as submitted.")
    applied_at = models.DateTimeField()
    ready_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    archive_size = models.BigIntegerField(
        default=0, help_text="Approximate size of the zip in bytes; 0 for its natural size."
    )
    # The archive's style, fixed like its size when the request is made (tiktok_sandbox.layouts).
    archive_layout = models.CharField(
        max_length=20,
        choices=ArchiveLayout.choices,
        default=ArchiveLayout.GEN_C,
        help_text="The JSON generation; a text archive uses the English tree of its era.",
    )
    archive_language = models.CharField(
        max_length=5,
        choices=ArchiveLanguage.choices,
        default=ArchiveLanguage.ENGLISH,
        help_text="The language of a text archive's folders, file names and keys.",
    )
    archive_unknown_section = models.BooleanField(
        default=False, help_text="Whether the activity data holds a section no reader knows."
    )

    class Meta:
        ordering = ["-applied_at", "-pk"]
        indexes = [
            models.Index(fields=["client_key", "open_id"], name="tiktok_sandbox_request_person")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ready_at__gte=F("applied_at")) & Q(expires_at__gte=F("ready_at")),
                name="tiktok_sandbox_request_times_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"data request {self.request_id} of {self.open_id}"

    def status(self, now: datetime) -> str:
        """The request's status at ``now``."""
        if self.cancelled_at is not None:
            return RequestStatus.CANCELLED
        if now < self.ready_at:
            return RequestStatus.PENDING
        if now < self.expires_at:
            return RequestStatus.DOWNLOADING
        return RequestStatus.EXPIRED

    @property
    def archive_style(self) -> ArchiveStyle:
        """The style the archive of this request comes in."""
        return ArchiveStyle(
            ArchiveLayout(self.archive_layout),
            ArchiveLanguage(self.archive_language),
            self.archive_unknown_section,
        )

    @property
    def collect_time(self) -> datetime:
        """When collection started: a second after the request, or when it was ready if sooner."""
        return min(self.applied_at + timedelta(seconds=1), self.ready_at)


class WebhookEvent(models.TextChoices):
    """The webhook events the sandbox sends (tiktok-api.md §2.11)."""

    DOWNLOAD_READY = "portability.download.ready"
    AUTHORIZATION_REMOVED = "authorization.removed"


class DeliveryState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed: every attempt was refused"
    SKIPPED = "skipped", "Skipped: no longer true when due"


class WebhookDelivery(models.Model):
    """One webhook event and its delivery to the app's callback URL.

    ``body`` is the exact JSON sent on every attempt; each attempt is signed afresh with its own
    timestamp. Created and advanced by ``tiktok_sandbox.webhooks``.
    """

    event = models.CharField(max_length=64, choices=WebhookEvent.choices)
    client_key = models.CharField(max_length=255)
    open_id = models.CharField(max_length=100)
    data_request = models.ForeignKey(
        PortabilityRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_deliveries",
    )
    url = models.URLField(max_length=2000)
    body = models.TextField()
    due_at = models.DateTimeField()
    state = models.CharField(
        max_length=16, choices=DeliveryState.choices, default=DeliveryState.SCHEDULED
    )
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} for {self.open_id} ({self.state})"
