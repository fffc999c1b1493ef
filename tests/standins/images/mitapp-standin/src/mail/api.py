"""STAND-IN of both apps' mail/api.py (mitxpro and mitxonline, same functions): templates of
mail/templates/<name>/ (subject.txt, body.html) rendered with get_base_context() + the caller's
context, one AnymailMessage per recipient on a connection of settings.NOTIFICATION_EMAIL_BACKEND
(build_messages), from settings.MAILGUN_FROM_EMAIL with a text fallback and the HTML alternative
(build_message); send_messages sends each and logs (does not raise) a failed one.
Not mimicked: anymail (a plain EmailMultiAlternatives: the stack's backend is Django's SMTP one),
the email-safe HTML inlining (render_email_templates' premailer/html2text), metadata/esp_extra.
"""

import logging
import re

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.html import strip_tags

log = logging.getLogger(__name__)


def get_base_context():
    return {"base_url": settings.SITE_BASE_URL, "site_name": settings.SITE_NAME}


def render_email_templates(template_name, context):
    subject = " ".join(render_to_string(f"{template_name}/subject.txt", context).split())
    html_text = render_to_string(f"{template_name}/body.html", context)
    fallback = re.sub(r"\n\s*\n+", "\n\n", strip_tags(html_text)).strip()
    return subject, fallback, html_text


def build_message(connection, template_name, recipient, context, metadata=None):
    subject, text_body, html_body = render_email_templates(template_name, context or {})
    msg = EmailMultiAlternatives(
        subject=subject, body=text_body, to=[recipient], from_email=settings.MAILGUN_FROM_EMAIL, connection=connection
    )
    msg.attach_alternative(html_body, "text/html")
    return msg


def build_messages(template_name, recipients, extra_context, metadata=None):
    context = {**get_base_context(), **(extra_context or {})}
    with mail.get_connection(settings.NOTIFICATION_EMAIL_BACKEND) as connection:
        for recipient in recipients:
            yield build_message(
                connection=connection, template_name=template_name, recipient=recipient, context=context, metadata=metadata
            )


def send_messages(messages, raise_errors=False):
    errored = []
    for msg in messages:
        try:
            msg.send()
        except Exception:
            errored.append(msg)
    for msg in errored:
        log.error("Error sending email '%s' to %s", msg.subject, msg.to)
    if errored and raise_errors:
        raise RuntimeError("email send failed")


def send_message(message):
    send_messages([message])
