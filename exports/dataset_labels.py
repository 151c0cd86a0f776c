"""The data sets' names as people read them (exports.reader names them for programs)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

DATASET_LABELS: dict[str, Promise] = {
    "watch_history": _("Watch history"),
    "likes": _("Liked videos"),
    "favorite_videos": _("Favourite videos"),
    "favorite_sounds": _("Favourite sounds"),
    "favorite_effects": _("Favourite effects"),
    "favorite_hashtags": _("Favourite hashtags"),
    "favorite_collections": _("Favourite collections"),
    "followers": _("Followers"),
    "following": _("Following"),
    "blocked": _("Blocked accounts"),
    "searches": _("Searches"),
    "shares": _("Shares"),
    "reposts": _("Reposts"),
    "logins": _("Logins"),
    "device_status": _("Devices"),
    "comments": _("Comments"),
    "direct_messages": _("Direct messages"),
    "posts": _("Your posts"),
    "live_watched": _("LIVEs watched"),
    "profile": _("Profile"),
    "settings": _("Settings"),
    "activity_summary": _("Activity summary"),
    "off_tiktok_activity": _("Activity off TikTok"),
    "ad_interests": _("Ad interests"),
}


def label_of(dataset: str) -> str:
    return str(DATASET_LABELS.get(dataset, dataset.replace("_", " ").capitalize()))


# The fields of the data sets (exports.reader.catalog) as column headings.
FIELD_LABELS: dict[str, Promise] = {
    "link": _("Link"),
    "title": _("Title"),
    "name": _("Name"),
    "username": _("User name"),
    "term": _("Search term"),
    "content": _("Content"),
    "method": _("Shared through"),
    "ip": _("IP address"),
    "device_model": _("Device"),
    "device_system": _("System"),
    "network_type": _("Network"),
    "carrier": _("Carrier"),
    "resolution": _("Screen"),
    "app_version": _("App version"),
    "text": _("Text"),
    "sender": _("From"),
    "conversation": _("Conversation"),
    "likes": _("Likes"),
    "who_can_view": _("Who can view"),
    "sound": _("Sound"),
    "location": _("Location"),
    "live_id": _("LIVE"),
    "source": _("Source"),
    "event": _("Event"),
    "categories": _("Categories"),
}


def field_label(field: str) -> str:
    return str(FIELD_LABELS.get(field, field.replace("_", " ").capitalize()))
