"""Logging in: django-axes locks an account after repeated failures."""
from django.conf import settings
from django.urls import reverse


def _login(client, password):
    return client.post(reverse("login"), {"username": "owner", "password": password})


def test_correct_password_logs_in(world, client):
    response = _login(client, "pw-123456")
    assert response.status_code == 302 and response["Location"] == reverse("start")  # then by role


def test_account_is_locked_after_repeated_failures_even_with_the_right_password(world, client):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "wrong").status_code == 200  # the form again, with an error
    assert _login(client, "wrong").status_code == 429  # the failure that reaches the limit locks
    locked = _login(client, "pw-123456")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_below_the_limit_do_not_lock(world, client):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "wrong")
    assert _login(client, "pw-123456").status_code == 302


def test_lockout_is_per_account_not_per_office(world, client):
    """Officers share one government NAT: locking `owner` must not lock `colleague`."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong")
    response = client.post(reverse("login"), {"username": "colleague", "password": "pw-123456"})
    assert response.status_code == 302


def test_lockout_page_explains_in_chinese(world, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = _login(client, "wrong")
    assert response.status_code == 429
    assert "账户已锁定" in response.content.decode()
