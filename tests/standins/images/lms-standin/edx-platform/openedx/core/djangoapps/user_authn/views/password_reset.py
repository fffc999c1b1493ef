"""STAND-IN of edx-platform's password reset (openedx/core/djangoapps/user_authn/views/password_reset.py,
release/verawood.1), at upstream's module path so the bootstrap calls it by the same name. Mimicked:

- send_password_reset_email_for_user(user, request): the reset link
  `{http|https}://{SITE_NAME}/password_reset_confirm/{int_to_base36(user.id)}-{token}/?track=pwreset`
  (default_token_generator: stateless, nothing stored), sent as ACE's PasswordReset message to the
  user's email. ACE's Django email channel (edx-ace edx_ace/channel/django_email.py) sends an
  EmailMultiAlternatives (text + HTML) from settings.DEFAULT_FROM_EMAIL through Django's
  EMAIL_BACKEND, which Tutor points at SMTP_HOST:SMTP_PORT (lms.env.yml EMAIL_HOST/EMAIL_PORT).
- password_reset (POST /password_reset/, csrf_exempt): PasswordResetFormNoActive (users matched by
  email, case-insensitively; inactive ones too) then the mail above; always JSON {"success": true}.
- PasswordResetConfirmWrapper (/password_reset_confirm/<uidb36>-<token>/): Django's SetPasswordForm
  (new_password1/new_password2) when the token checks, then a redirect to /password_reset_complete/.
- login_user (POST /api/user/v1/account/login_session/, user_authn/views/login.py): email + password,
  the session logged in, JSON {"success": true, "redirect_url": "/dashboard"}; 400 otherwise.
Not mimicked: the rate limits (PASSWORD_RESET_EMAIL_RATE, PASSWORD_RESET_IP_RATE), the tracking
event, destroy_oauth_tokens, account recovery (secondary email), ACE's templates and policies,
edx-platform's password validators, the authn MFE.
"""

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, login
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.utils.html import format_html
from django.utils.http import base36_to_int, int_to_base36
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


def _reset_link(user, request):
    token = default_token_generator.make_token(user)
    return "{}://{}/password_reset_confirm/{}-{}/?track=pwreset".format(
        "https" if request.is_secure() else "http", settings.SITE_NAME, int_to_base36(user.id), token
    )


def send_password_reset_email_for_user(user, request, preferred_email=None):
    link = _reset_link(user, request)
    platform = getattr(settings, "PLATFORM_NAME", "Open edX")
    text = (
        f"You're receiving this e-mail because you requested a password reset for your user account at {platform}.\n\n"
        f"Please go to the following page and choose a new password:\n\n{link}\n"
    )
    html = format_html(
        "<p>You're receiving this e-mail because you requested a password reset for your user account at {}.</p>"
        '<p><a id="reset-link" href="{}">Change my password</a></p>',
        platform,
        link,
    )
    message = EmailMultiAlternatives(
        f"Password reset on {platform}", text, settings.DEFAULT_FROM_EMAIL, [preferred_email or user.email]
    )
    message.attach_alternative(html, "text/html")
    message.send()


@csrf_exempt
@require_POST
def password_reset(request):
    email = request.user.email if request.user.is_authenticated else request.POST.get("email", "")
    users = get_user_model().objects.filter(email__iexact=email) if email else []
    for user in users:
        if user.has_usable_password():
            send_password_reset_email_for_user(user, request)
    return JsonResponse({"success": True, "value": "Check your email for a password reset link."})


def password_reset_confirm(request, uidb36, token):
    try:
        user = get_user_model().objects.get(pk=base36_to_int(uidb36))
    except (ValueError, get_user_model().DoesNotExist):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        return HttpResponse("<h1>Invalid Password Reset Link</h1>", status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        return HttpResponseRedirect("/password_reset_complete/")
    return HttpResponse(
        format_html(
            "<!doctype html><html><head><title>Reset your password (Open edX LMS STAND-IN)</title></head><body>"
            '<h1>Reset your password</h1><form id="reset-form" method="post">'
            # Django's PasswordResetConfirmView is CSRF-protected; its template carries {% csrf_token %}.
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">{}'
            '<button type="submit" id="reset-submit">Reset my password</button></form></body></html>',
            get_token(request),
            form.as_p(),
        )
    )


def password_reset_complete(request):
    return HttpResponse(
        '<!doctype html><html><body><h1 id="reset-complete">Password reset complete</h1>'
        '<p><a href="/login">Sign in</a></p></body></html>'
    )


@csrf_exempt
@require_POST
def login_user(request):
    email, password = request.POST.get("email", ""), request.POST.get("password", "")
    user = get_user_model().objects.filter(email__iexact=email).first()
    user = authenticate(request, username=user.username, password=password) if user else None
    if user is None:
        return JsonResponse({"success": False, "value": "Email or password is incorrect."}, status=400)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return JsonResponse({"success": True, "redirect_url": "/dashboard"})
