"""STAND-IN of both apps' `mail` app (see api.py)."""
