"""STAND-IN of ol-social-auth (see backends.py)."""
