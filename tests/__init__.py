"""The test suite. APP_ENV is required everywhere (core/settings.py: no default, fail closed);
the tests run as `test` unless told otherwise, set here before any test module imports the app
(api/main.py builds one at import)."""

import os

os.environ.setdefault("APP_ENV", "test")
