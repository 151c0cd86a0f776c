"""TikTok sandbox: a local emulator of TikTok's Login Kit v2 (OAuth 2.0), v2 user info, the Data
Portability API with its webhooks, and the export archives.

Mounted at /tiktok-sandbox/ only when settings.TIKTOK_SANDBOX is true; the product never imports
it. Layout:

- ``registration``: the one registered client app and the lifetimes, read from the settings.
- ``scopes``, ``personas``, ``avatars``: the fixed world the sandbox describes.
- ``authorization``: validation of the authorize request and the consent form.
- ``grants``: the OAuth state machine (codes, grants, rotating token pairs), digests only.
- ``errors``, ``api``: TikTok's two error families, response shapes, bearer authentication.
- ``faults``: injected faults (``inject_fault``), consumed per request: errors, lost answers
  and broken download streams, the latter carried out by ``wire``.
- ``portability``: Data Portability requests: categories, scope rules, the state machine.
- ``webhooks``: signed webhook events, delivered by daemon threads with retries (``deliver``,
  ``remove_authorization``).
- ``archives/``: the export zips, streamed in constant memory at any size (``build_archive``).
- ``views/``: one module per group of endpoints, kept thin.
"""
