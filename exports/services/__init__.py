"""The site's workflows. Views, tasks, commands, receivers and the API call these; none of
them holds business logic of its own."""

from __future__ import annotations

from exports.services.accounts import (
    dashboard_for,
    record_tiktok_sign_in,
    rotate_token_encryption,
    scopes_to_request,
)
from exports.services.api_tokens import create_api_token, revoke_api_token
from exports.services.disconnection import (
    RemovalUndecidedError,
    delete_account,
    disconnect_tiktok,
    remove_access,
    withdraw_grant,
)
from exports.services.export_requests import (
    ExportAlreadyActiveError,
    ExportNotAllowedError,
    ExportNotCancellableError,
    StartedExports,
    cancel_export,
    is_not_eligible,
    kinds_needing_consent,
    permissions_of,
    request_export,
    requestable_kinds,
    start_exports,
    start_exports_chosen_at_sign_in,
)
from exports.services.notifications import (
    notify_export_outcome,
    resend_export_email,
    resolve_export_link,
)
from exports.services.pipeline import (
    cancel_at_tiktok,
    check_export,
    fetch_archive,
    submit_export,
)
from exports.services.reading import (
    forget_records,
    read_dataset_rows,
    read_export,
    reading_of,
    schedule_reading,
)
from exports.services.retention import (
    ArchiveNotDeletableError,
    abort_abandoned_uploads,
    delete_expired_archive,
    delete_export_archive,
    remind_before_deletion,
)
from exports.services.sweep import sweep, sweep_exports
from exports.services.webhooks import (
    InvalidWebhookError,
    UnreadableWebhookError,
    handle_tiktok_webhook,
)

__all__ = [
    "ArchiveNotDeletableError",
    "ExportAlreadyActiveError",
    "ExportNotAllowedError",
    "ExportNotCancellableError",
    "InvalidWebhookError",
    "RemovalUndecidedError",
    "StartedExports",
    "UnreadableWebhookError",
    "abort_abandoned_uploads",
    "cancel_at_tiktok",
    "cancel_export",
    "check_export",
    "create_api_token",
    "dashboard_for",
    "delete_account",
    "delete_expired_archive",
    "delete_export_archive",
    "disconnect_tiktok",
    "fetch_archive",
    "forget_records",
    "handle_tiktok_webhook",
    "is_not_eligible",
    "kinds_needing_consent",
    "notify_export_outcome",
    "permissions_of",
    "read_dataset_rows",
    "read_export",
    "reading_of",
    "record_tiktok_sign_in",
    "remind_before_deletion",
    "remove_access",
    "request_export",
    "requestable_kinds",
    "resend_export_email",
    "resolve_export_link",
    "revoke_api_token",
    "rotate_token_encryption",
    "schedule_reading",
    "scopes_to_request",
    "start_exports",
    "start_exports_chosen_at_sign_in",
    "submit_export",
    "sweep",
    "sweep_exports",
    "withdraw_grant",
]
