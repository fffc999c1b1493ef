"""STAND-IN for edx-platform's third_party_auth app (tests and engine-tier images only)."""
