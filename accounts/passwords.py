"""Passwords: argon2id hashes and the ASVS L2 rules (8+ characters, no composition rules, no common ones)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import gettext as _

MIN_LENGTH = 8
MAX_LENGTH = 128
_DEFAULT = PasswordHasher()  # argon2id with the library's current recommended parameters
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # tests only (ARGON2_FAST)


def _hasher():
    return _FAST if has_app_context() and current_app.config.get("ARGON2_FAST") else _DEFAULT


def hash_password(password):
    """Return the argon2id hash of PASSWORD."""
    return _hasher().hash(password)


def verify_password(password_hash, password):
    """Say whether PASSWORD matches PASSWORD_HASH (False for no hash or a malformed one)."""
    if not password_hash:
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    """Say whether the hash was made with older parameters."""
    return _hasher().check_needs_rehash(password_hash)


def password_problems(password, user_inputs=()):
    """Return why PASSWORD is refused (empty list when it is fine).

    Length 8 to 128, no composition rules; common, breached-looking and guessable passwords (zxcvbn: in its
    lists of common passwords, or score below 2, or built from the user's own email/mobile/name) are refused.
    """
    if len(password) < MIN_LENGTH:
        return [_("Use at least %(n)s characters.", n=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [_("Use at most %(n)s characters.", n=MAX_LENGTH)]
    # imported here, not at the top: zxcvbn's word lists take ~11 MiB in every process that imports it, and
    # only the few requests that set a password need them (a web worker serving searches never pays)
    from zxcvbn import zxcvbn

    verdict = zxcvbn(password[:100], user_inputs=_expand(user_inputs))
    sequence = verdict["sequence"]
    common = len(sequence) == 1 and sequence[0].get("dictionary_name") in ("passwords", "user_inputs")
    if common or verdict["score"] < 2:
        return [_("This password is too common or easy to guess. A few unrelated words make a strong one.")]
    return []


def _expand(user_inputs):
    """The user's own words: each input, and an email's local part."""
    words = []
    for value in filter(None, user_inputs):
        words.append(value.lower())
        if "@" in value:
            words.append(value.split("@", 1)[0].lower())
    return words
