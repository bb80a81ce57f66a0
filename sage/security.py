"""What pages may load and use: the Content-Security-Policy (django-csp) and the Permissions-Policy.

Scripts come only from our own origin (static ES modules) or carry the request's nonce; nothing
inline runs, no `eval`, no `on…=` attributes. Styles allow 'unsafe-inline' for attributes only
(`style-src-attr`): the Django admin writes a few `style="…"` attributes; style sheets and <style>
elements still come from our origin. The outside origins are the ones the pages really use: the
YouTube player (its iframe and its script API), YouTube's thumbnails, and the S3 bucket that
presigned upload parts and video/poster URLs point at; with payments configured, Stripe.js (the
card form) from STRIPE_JS_URL and the Stripe API it calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from asgiref.sync import iscoroutinefunction
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.utils.decorators import sync_and_async_middleware

if TYPE_CHECKING:  # settings import this module: it stays free of Django's request machinery
    from django.http import HttpRequest, HttpResponseBase

# The YouTube player's iframe (videos.presenters.YOUTUBE_EMBED_BASE) and its thumbnails.
YOUTUBE_EMBED_ORIGIN = "https://www.youtube-nocookie.com"
YOUTUBE_THUMBNAIL_ORIGIN = "https://i.ytimg.com"

# Powerful features no SAGE page uses are off for the page and anything it frames; the players may
# go full screen, play on their own and pop out (the YouTube iframe asks for these in its `allow`).
_PLAYER_FEATURES = ("autoplay", "encrypted-media", "fullscreen", "picture-in-picture")
_FEATURES_OFF = (
    "accelerometer",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)


def origin_of(url: str | None) -> str | None:
    """`scheme://host[:port]` of a URL, or None for an empty or relative one."""
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def storage_origins(*, bucket: str | None, endpoint_url: str | None, region: str | None) -> list[str]:
    """Where presigned S3 URLs point (uploads PUT there; players and posters load from there)."""
    if not bucket:
        return []
    if endpoint := origin_of(endpoint_url):
        # A custom endpoint (MinIO, moto, R2…): path-style or a bucket subdomain of it.
        parts = urlsplit(endpoint_url or "")
        return [endpoint, f"{parts.scheme}://{bucket}.{parts.netloc}"]
    origins = [f"https://{bucket}.s3.amazonaws.com"]
    if region:
        origins.append(f"https://{bucket}.s3.{region}.amazonaws.com")
    return origins


# Stripe.js from Stripe itself needs these beside its own origin (Stripe's CSP guide): its frames
# live on subdomains of js.stripe.com, and 3-D Secure pages come from hooks.stripe.com.
STRIPE_JS_ORIGIN = "https://js.stripe.com"
STRIPE_API_ORIGIN = "https://api.stripe.com"


@dataclass(frozen=True)
class StripeOrigins:
    """Where the card form's Stripe.js is loaded from, frames and calls (only with payments on)."""

    scripts: list[str]
    frames: list[str]
    connect: list[str]


def stripe_origins(*, js_url: str, api_base: str | None) -> StripeOrigins:
    """Origins for STRIPE_JS_URL and STRIPE_API_BASE. A fake Stripe.js (localstripe's) calls the
    origin it was loaded from; the real one calls api.stripe.com."""
    js_origin = origin_of(js_url) or STRIPE_JS_ORIGIN
    api_origin = origin_of(api_base) or STRIPE_API_ORIGIN
    scripts, frames = [js_origin], [js_origin]
    if js_origin == STRIPE_JS_ORIGIN:
        scripts.append("https://*.js.stripe.com")
        frames += ["https://*.js.stripe.com", "https://hooks.stripe.com"]
    return StripeOrigins(scripts=scripts, frames=frames, connect=list(dict.fromkeys([api_origin, js_origin])))


def content_security_policy(
    *, youtube_base_url: str, storage: list[str], stripe: StripeOrigins | None = None
) -> dict[str, Any]:
    """django-csp's CONTENT_SECURITY_POLICY setting. `stripe`: payments are configured."""
    youtube_scripts = origin_of(youtube_base_url)  # the iframe API script, and the player it loads
    stripe = stripe or StripeOrigins(scripts=[], frames=[], connect=[])
    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF, NONCE, *filter(None, [youtube_scripts]), *stripe.scripts],
            "style-src": [SELF, NONCE],
            "style-src-attr": [UNSAFE_INLINE],
            "img-src": [SELF, "data:", "blob:", YOUTUBE_THUMBNAIL_ORIGIN, *storage],
            "media-src": [SELF, "blob:", *storage],
            # 'self' covers the site's own ws:/wss: sockets (CSP level 3).
            "connect-src": [SELF, *storage, *stripe.connect],
            "frame-src": [YOUTUBE_EMBED_ORIGIN, *stripe.frames],
            "font-src": [SELF, "data:"],
            "object-src": [NONE],
            "base-uri": [SELF],
            # Chromium checks a form's redirects too: signing in with Google posts here, then goes there.
            "form-action": [SELF, "https://accounts.google.com"],
            "frame-ancestors": [NONE],
        }
    }


def permissions_policy() -> str:
    player = f'(self "{YOUTUBE_EMBED_ORIGIN}")'
    allowed = [f"{feature}={player}" for feature in _PLAYER_FEATURES]
    return ", ".join([*allowed, *(f"{feature}=()" for feature in _FEATURES_OFF)])


@sync_and_async_middleware
def permissions_policy_middleware(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    """Adds the Permissions-Policy header to every response (pages, API, files, errors)."""
    header = permissions_policy()
    if iscoroutinefunction(get_response):

        async def add_header_async(request: HttpRequest) -> HttpResponseBase:
            response: HttpResponseBase = await get_response(request)
            response.headers.setdefault("Permissions-Policy", header)
            return response

        return add_header_async

    def add_header(request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase = get_response(request)
        response.headers.setdefault("Permissions-Policy", header)
        return response

    return add_header
