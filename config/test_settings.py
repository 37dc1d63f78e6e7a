"""Settings for the test suite: the same as production's, with test mode switched on first."""

import os

os.environ.setdefault("CONTROLTRACE_TESTING", "true")

from config.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / "artifacts" / "test-media"  # noqa: F405

# The suite makes thousands of requests from one address: production rates would throttle it. Tests of the
# throttles themselves set the production rates back (tests/security/test_rate_limits.py).
PRODUCTION_THROTTLE_RATES = REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]  # noqa: F405
REST_FRAMEWORK = {  # noqa: F405
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {scope: "100000/minute" for scope in PRODUCTION_THROTTLE_RATES},
}
# Parallel test workers share the Redis database: each counts under its own prefix.
CACHES["default"]["KEY_PREFIX"] = "test-" + os.environ.get("PYTEST_XDIST_WORKER", "main")  # noqa: F405
