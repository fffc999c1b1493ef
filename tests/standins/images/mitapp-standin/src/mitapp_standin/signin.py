"""A person's sign-in, on the real apps' routes.

- xPro: `/signin/` (mitodl/mitxpro@92a8dcb mitxpro/urls.py:82, LOGIN_URL "/signin",
  mitxpro/settings.py:250). The real page is the React app, which posts the email to
  /api/login/email/ then the password to /api/login/password/ (authentication/urls.py:19-20,
  social-auth's email backend). The stand-in serves one HTML form with both fields, checks the
  password of the user with that email, and logs the session in, then goes to `next` or "/".
- MITx Online: `/login/` is GatewayLoginView (authentication/api_gateway/urls.py:26,
  views.py:115): it only redirects to `next` (or /dashboard). Learners sign in through APISIX
  and Keycloak; without APISIX the real app has no learner sign-in, and neither has the stand-in.
"""

from django.contrib.auth import get_user_model, login
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_protect


def _next_url(request, default):
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return default


@csrf_protect
def signin(request):
    error = ""
    if request.method == "POST":
        email = request.POST.get("email", "").strip()
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is not None and user.is_active and user.check_password(request.POST.get("password", "")):
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return HttpResponseRedirect(_next_url(request, "/"))
        error = "The email or password is not correct."
    context = {"error": error, "next": _next_url(request, "/")}
    return render(request, "mitapp_standin/signin.html", context, status=401 if error else 200)


def gateway_login(request):
    """MITx Online's GatewayLoginView.get: to `next`, else /dashboard (views.py:94-112)."""
    return HttpResponseRedirect(_next_url(request, "/dashboard"))
