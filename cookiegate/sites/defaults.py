"""The default consent categories, their Google Consent Mode v2 signals, and starter texts."""

from __future__ import annotations

from typing import Any

# Consent Mode v2: which storage signals each category grants. security_storage is always
# granted because it covers what the site needs to stay secure.
CONSENT_MODE = {
    "necessary": ["security_storage"],
    "preferences": ["functionality_storage", "personalization_storage"],
    "analytics": ["analytics_storage"],
    "marketing": ["ad_storage", "ad_user_data", "ad_personalization"],
}
ALWAYS_GRANTED = ("security_storage",)

DEFAULT_CATEGORIES: list[dict[str, Any]] = [
    {
        "key": "necessary", "necessary": True, "sale_or_sharing": False,
        "names": {"en": "Strictly necessary"},
        "descriptions": {"en": "Needed for the site to work: security, load balancing, "
                               "remembering your privacy choices. Always on."},
    },
    {
        "key": "preferences", "necessary": False, "sale_or_sharing": False,
        "names": {"en": "Preferences"},
        "descriptions": {"en": "Remember choices you make, such as language or region, and "
                               "embedded content such as videos."},
    },
    {
        "key": "analytics", "necessary": False, "sale_or_sharing": False,
        "names": {"en": "Analytics"},
        "descriptions": {"en": "Count visits and see how the site is used, so we can improve it."},
    },
    {
        "key": "marketing", "necessary": False, "sale_or_sharing": True,
        "names": {"en": "Marketing"},
        "descriptions": {"en": "Let advertising partners build a profile of your interests and "
                               "show you relevant ads on other sites."},
    },
]

DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your privacy choices",
        "description": "We use cookies and similar technologies to run this site and, with your "
                       "permission, to measure visits and show relevant advertising. You can "
                       "accept all, reject all, or choose by category, and change your mind at "
                       "any time.",
    },
}
