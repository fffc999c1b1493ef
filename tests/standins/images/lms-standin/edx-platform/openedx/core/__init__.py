"""STAND-IN package path of edx-platform (see views/password_reset.py)."""
