"""odl-stack: generate Docker Compose stacks wiring Open edX to MIT's web apps."""

__version__ = "0.1.0"
