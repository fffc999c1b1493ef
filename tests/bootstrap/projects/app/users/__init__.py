"""STAND-IN for the MIT apps' `users` app: a custom user with REQUIRED_FIELDS = ["email", "name"]."""
