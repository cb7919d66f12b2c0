"""The end-to-end harness, shared with the property suites that drive a running bot."""

from tests.e2e.conftest import harness  # noqa: F401
