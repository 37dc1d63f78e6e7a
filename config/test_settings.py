"""Settings for the test suite: the same as production's, with test mode switched on first."""

import os

os.environ.setdefault("CONTROLTRACE_TESTING", "true")

from config.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / "artifacts" / "test-media"  # noqa: F405
