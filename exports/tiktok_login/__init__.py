"""allauth's TikTok provider, with every TikTok URL derived from the site's settings.

Installed through SOCIALACCOUNT_PROVIDERS["tiktok"]["provider_class"]; allauth then serves its
login and callback views from this package (views.py, urls.py).
"""
