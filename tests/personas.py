"""The personas of STYLE.md as members of the seed's departments (fixtures in tests/conftest.py).

An editor of 総務課, an editor of 区民課, an approver, a viewer, an outsider; anonymous is a client
without a login. `member` makes anyone else a test needs, in any seed department.
"""

from types import SimpleNamespace

from django.test import Client

from departments.models import Department, Role
from tests.factories import MembershipFactory, UserFactory

SOUMU = "まちづくり推進部 総務課"
KUMIN = "区民サービス部 区民課"
KIKAKU = "まちづくり推進部 企画課"
CHIIKI = "まちづくり推進部 地域振興課"


def seed_department(name):
    """A department of the seed's 中原区役所, by name."""
    return Department.objects.get(office__slug="nakahara", name=name)


def member(name, role=Role.EDITOR, **user):
    """A new user with `role` in the seed department `name`; `user` goes to UserFactory."""
    person = UserFactory(**user)
    MembershipFactory(user=person, department=seed_department(name), role=role)
    return person


def client_for(user):
    """A client logged in as `user`."""
    client = Client()
    client.force_login(user)
    return client


def personas():
    """Two approvers (総務課), a viewer (企画課), editors of 総務課 and 区民課, an outsider."""
    return SimpleNamespace(
        approver=member(SOUMU, Role.APPROVER, username="shonin"),
        approver2=member(SOUMU, Role.APPROVER, username="shonin2"),
        viewer=member(KIKAKU, Role.VIEWER, username="etsuran"),
        soumu_editor=member(SOUMU, username="soumu"),
        kumin_editor=member(KUMIN, username="kumin"),
        outsider=UserFactory(username="outsider"),
    )
