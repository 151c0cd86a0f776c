from __future__ import annotations

from django.urls import path

from exports import api, data_views, explorer_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/tiktok/", views.start_tiktok_sign_in, name="start_tiktok_sign_in"),
    path("sign-in/again/", views.sign_in_again, name="sign_in_again"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/exports/", views.dashboard_exports, name="dashboard_exports"),
    path("dashboard/not-available/", views.not_eligible, name="not_eligible"),
    path("exports/", views.request_export, name="request_export"),
    path("exports/new/", views.new_export, name="new_export"),
    path("exports/<uuid:export_id>/", views.export_detail, name="export_detail"),
    path("exports/<uuid:export_id>/status/", views.export_status, name="export_status"),
    path("exports/<uuid:export_id>/cancel/", views.cancel_export, name="cancel_export"),
    path("exports/<uuid:export_id>/download/", views.download_export, name="download_export"),
    path("exports/<uuid:export_id>/delete/", views.delete_export, name="delete_export"),
    path(
        "exports/<uuid:export_id>/summary.json",
        data_views.export_summary,
        name="export_summary",
    ),
    path(
        "exports/<uuid:export_id>/data/<slug:dataset>.<str:extension>",
        data_views.export_extract,
        name="export_extract",
    ),
    path("exports/<uuid:export_id>/tables.zip", data_views.export_tables, name="export_tables"),
    # The explorer (exports/explorer_views.py).
    path("exports/<uuid:export_id>/explore/", explorer_views.overview, name="explore_overview"),
    path("exports/<uuid:export_id>/explore/search/", explorer_views.search, name="explore_search"),
    path(
        "exports/<uuid:export_id>/explore/compare/",
        explorer_views.compare,
        name="explore_compare",
    ),
    path(
        "exports/<uuid:export_id>/explore/data/<slug:dataset>/",
        explorer_views.browse,
        name="explore_dataset",
    ),
    path("exports/<uuid:export_id>/shares/", explorer_views.new_share, name="explore_new_share"),
    path(
        "exports/<uuid:export_id>/shares/<uuid:share_id>/",
        explorer_views.share_detail,
        name="explore_share",
    ),
    path(
        "exports/<uuid:export_id>/shares/<uuid:share_id>/strike/",
        explorer_views.strike_share_row,
        name="explore_share_strike",
    ),
    path(
        "exports/<uuid:export_id>/shares/<uuid:share_id>/offer/",
        explorer_views.offer_share,
        name="explore_share_offer",
    ),
    path(
        "exports/<uuid:export_id>/shares/<uuid:share_id>/delete/",
        explorer_views.delete_share,
        name="explore_share_delete",
    ),
    path(
        "exports/<uuid:export_id>/shares/<uuid:share_id>/download/",
        explorer_views.download_share,
        name="explore_share_download",
    ),
    path(
        "exports/<uuid:export_id>/resend-email/",
        views.resend_export_email,
        name="resend_export_email",
    ),
    path("exports/link/<str:token>/", views.open_emailed_link, name="open_emailed_link"),
    path("account/disconnect-tiktok/", views.disconnect_tiktok, name="disconnect_tiktok"),
    path("account/delete/", views.delete_account, name="delete_account"),
    path("account/api-tokens/", views.api_tokens, name="api_tokens"),
    path(
        "account/api-tokens/<int:token_id>/revoke/",
        views.revoke_api_token,
        name="revoke_api_token",
    ),
    # The task API (exports/openapi.yaml), for services holding one of the person's tokens.
    path("v2/data_portability/task/create/", api.create, name="api_task_create"),
    path("v2/data_portability/task/status/", api.status, name="api_task_status"),
    path("v2/data_portability/download/<str:signed>/", api.download, name="api_task_download"),
    path("v2/data_portability/shares/list/", api.shares, name="api_shares_list"),
    path("v2/data_portability/openapi.yaml", api.openapi_document, name="api_openapi"),
    path("webhooks/tiktok/", views.tiktok_webhook, name="tiktok_webhook"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
]
