"""Helpers of the staff pages' tests: their URLs, a login through the login page, a new person."""

from django.urls import reverse

from departments.models import Role


def url(name, ward, **kwargs):
    return reverse(f"departments:{name}", kwargs={"office": ward["office"].slug, **kwargs})


def body(response):
    return response.content.decode()


def log_in(client, username, password):
    """Through the login page (django-axes wants the request), as a person would."""
    client.post(reverse("login"), {"username": username, "password": password})
    return "_auth_user_id" in client.session


def new_person(ward, **overrides):
    data = {
        "username": "shinnin",
        "last_name": "新任",
        "first_name": "一郎",
        "email": "shinnin@example.jp",
        "employee_number": "２００１",
        "password": "issue",
        "assignments-TOTAL_FORMS": "2",
        "assignments-INITIAL_FORMS": "0",
        "assignments-0-department": str(ward["kumin"].pk),
        "assignments-0-role": Role.EDITOR,
        "assignments-1-department": "",
        "assignments-1-role": "",
    }
    return {**data, **overrides}
