import re
import pytest
from django.test import override_settings
from django.urls import reverse
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.socialaccount.models import SocialAccount
from tests.factories import UserFactory, ApiTokenFactory

ANON = ["home", "account_login", "account_signup", "account_reset_password", "account_reset_password_done",
        "account_email_verification_sent", "account_inactive", "socialaccount_login_error", "socialaccount_login_cancelled"]
AUTH = ["home", "accounts:settings", "account_email", "account_change_password", "socialaccount_connections", "account_logout", "account_set_password", "account_reset_password"]

def check(resp, name):
    html = resp.content.decode()
    assert resp.status_code in (200, 400, 401, 404), (name, resp.status_code)
    assert "site.css" in html, name
    assert "Skip to content" in html, name
    for bad in ["Menu:", "<p>None</p>"]:
        assert bad not in html, (name, bad)
    return html

@pytest.mark.django_db
def test_anon(client):
    for name in ANON:
        r = client.get(reverse(name))
        html = check(r, name)
        open(f"/tmp/render_{name}.html", "w").write(html)
    r = client.get("/nope/")
    assert r.status_code == 404 and "Page not found" in r.content.decode()
    r = client.post(reverse("account_login"), {"login": "x@example.com", "password": "bad"})
    html = r.content.decode(); open("/tmp/render_login_err.html","w").write(html)
    assert "form-errors" in html
    r = client.post(reverse("account_signup"), {"email": "bad", "password1": "a", "password2": "b"})
    html = r.content.decode(); open("/tmp/render_signup_err.html","w").write(html)
    assert "errorlist" in html
    # password reset from key (bad key)
    r = client.get("/accounts/password/reset/key/1-bad/")
    check(r, "from_key"); open("/tmp/render_fromkey.html","w").write(r.content.decode())
    r = client.get(reverse("account_reset_password_from_key_done"))
    check(r, "from_key_done")
    r = client.get("/accounts/confirm-email/bad/")
    check(r, "confirm bad"); open("/tmp/render_confirm_bad.html","w").write(r.content.decode())


@pytest.mark.django_db
def test_auth(client):
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    SocialAccount.objects.create(user=user, provider="google", uid="123", extra_data={"email": "g@example.com"})
    ApiTokenFactory(user=user, name="Active one", scopes=["read"])
    from django.utils import timezone
    ApiTokenFactory(user=user, name="Revoked", revoked_at=timezone.now(), last_used_at=timezone.now())
    client.force_login(user)
    for name in AUTH:
        r = client.get(reverse(name))
        if r.status_code == 302:
            print("redirect", name, r["Location"]); continue
        html = check(r, name)
        open(f"/tmp/render_auth_{name.replace(':','_')}.html", "w").write(html)
    r = client.get(reverse("accounts:settings"))
    html = r.content.decode()
    assert html.count(">Revoke<") == 1 or html.count("Revoke<span") == 1
    assert "g@example.com" in html
    r = client.post(reverse("accounts:token_create"), {"name": "  ", "scopes": []})
    assert r.status_code == 400
    html = r.content.decode(); open("/tmp/render_token_err.html","w").write(html)
    assert "A name is required" in html or "required" in html
    r = client.post(reverse("accounts:token_create"), {"name": "T", "scopes": ["read"], "expires_in_days": "30"}, follow=True)
    html = r.content.decode(); open("/tmp/render_token_new.html","w").write(html)
    assert 'id="new-token-secret"' in html
    m = re.search(r'id="new-token-secret">([^<]*)<', html); print("secret", m.group(1))
    r = client.post(reverse("accounts:profile"), {"display_name": "x" * 100}, follow=False)
    assert r.status_code == 400
    open("/tmp/render_profile_err.html","w").write(r.content.decode())
    # email confirm with valid key
    ea = EmailAddress.objects.get(user=user)
    key = EmailConfirmationHMAC(ea).key
    r = client.get(reverse("account_confirm_email", args=[key]))
    check(r, "confirm good"); open("/tmp/render_confirm_good.html","w").write(r.content.decode())


@pytest.mark.django_db
@override_settings(GOOGLE_CLIENT_ID="cid", GOOGLE_CLIENT_SECRET="sec", SOCIALACCOUNT_PROVIDERS={"google": {"APPS": [{"client_id": "cid", "secret": "sec", "key": ""}], "SCOPE": ["email"]}})
def test_google(client):
    for name in ["account_login", "account_signup"]:
        html = client.get(reverse(name)).content.decode()
        assert "Continue with Google" in html, name
        open(f"/tmp/render_google_{name}.html","w").write(html)
    user = UserFactory(); client.force_login(user)
    html = client.get(reverse("accounts:settings")).content.decode()
    assert "Connect Google" in html and "process=connect" in html
    html = client.get(reverse("socialaccount_connections")).content.decode()
    open("/tmp/render_google_connections.html","w").write(html)
    assert "Connect Google" in html
    client.logout()
    html = client.get("/accounts/google/login/").content.decode()
    open("/tmp/render_google_sociallogin.html","w").write(html)


@pytest.mark.django_db
def test_no_google(client):
    for name in ["account_login", "account_signup"]:
        html = client.get(reverse(name)).content.decode()
        assert "Google" not in html
