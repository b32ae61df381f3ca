"""What fan-out messages say to each recipient: the signed links of a policy notice,
the unsubscribe link of a marketing email. Links act without signing in
(`security.links`): bound to one user and one purpose, and they expire."""
from __future__ import annotations

from urllib.parse import urlencode

from chalicelib.core import settings
from chalicelib.repos.fanout import Fanout
from chalicelib.security import links

DECISION_LINK_DAYS = 400  # past the notice period and a year of the version being in effect


def decision_url(version: str, decision: str, user_id: str) -> str:
    token = links.sign(f"policy:{version}:{decision}", user_id, DECISION_LINK_DAYS)
    return f"{settings.public_api_url()}/policy-decisions/link?{urlencode({'version': version, 'decision': decision, 'token': token})}"


def unsubscribe_url(user_id: str) -> str:
    return f"{settings.public_api_url()}/unsubscribe?token={links.sign('unsubscribe:marketing', user_id, links.UNSUBSCRIBE_DAYS)}"


def footer(fanout: Fanout, user_id: str) -> str:
    if fanout.purpose == "policy" and fanout.decision:
        return (f"Accept version {fanout.topic}: {decision_url(fanout.topic or '', 'accept', user_id)}\n"
                f"Reject it: {decision_url(fanout.topic or '', 'reject', user_id)}\n"
                "You can also decide in the app, and change your mind until it takes effect.")
    if fanout.purpose == "policy":
        return f"Every version is at {settings.public_api_url()}/policies. Using the platform once it is in effect means you accept it."
    return "This is a service message: every account receives it, whatever its marketing settings."


def campaign_text(fanout: Fanout, link: str) -> str:
    return f"{fanout.body}\n\n--\nYou receive this because marketing email is on in your settings. Unsubscribe: {link}"


def sms_text(fanout: Fanout) -> str:
    return f"{fanout.subject[:100]}. Details in your email and in the app."
