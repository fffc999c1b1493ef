#!/usr/bin/env python3
"""STAND-IN SMTP relay: accepts mail on 0.0.0.0:8025 and prints it (relays nothing)."""
import asyncore
import smtpd
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)


class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        print(f"smtp stand-in: mail from {mailfrom} to {rcpttos} ({len(data)} bytes), not relayed", flush=True)


print("smtp stand-in (NOT exim) on 0.0.0.0:8025", flush=True)
Sink(("0.0.0.0", 8025), None)
asyncore.loop()
