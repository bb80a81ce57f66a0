"""A share link's token: made, digested for lookup, sealed for the owner to copy again.

Kept retrievable rather than shown once: an editor copies a client's link again from the list
days later (Frame.io and Vimeo review links work so), and a link is a capability to one object
that its owner may revoke at any moment, not a credential to an account. What makes that safe:
the lookup key is a SHA-256 digest (a stolen table opens nothing) and the copy the owner reads
back is Fernet-encrypted under a key derived from SECRET_KEY, so the database alone never holds
a usable token. Rotating SECRET_KEY (with the old one in SECRET_KEY_FALLBACKS) keeps both working:
lookups do not depend on the key, and unsealing tries every key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from accounts.services import hash_token_secret

# 32 random bytes: 256 bits, twice the 128 the links need; 43 URL-safe characters.
TOKEN_BYTES = 32
_KEY_PURPOSE = b"sage.reviews.share-link-token"


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What a link is stored and looked up by (the same fast hash as API tokens: a 256-bit random
    secret has nothing to brute-force)."""
    return hash_token_secret(token)


def digests_match(stored: str, offered: str) -> bool:
    return hmac.compare_digest(stored.encode(), offered.encode())


def _fernet(secret_key: str | bytes) -> Fernet:
    raw = secret_key.encode() if isinstance(secret_key, str) else secret_key
    key = hashlib.sha256(_KEY_PURPOSE + b"\0" + raw).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _keys() -> MultiFernet:
    return MultiFernet([_fernet(key) for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]])


def seal(token: str) -> str:
    return _keys().encrypt(token.encode()).decode()


def unseal(sealed: str) -> str | None:
    """The token, or None when no key in use can open it (SECRET_KEY changed with no fallback):
    the link still works for whoever holds it; the owner just cannot copy it again."""
    try:
        return _keys().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None
