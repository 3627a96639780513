"""The staff pages' small office (departments.views.people, departments.staff)."""

import pytest

from departments.models import Role, StaffProfile
from tests.factories import DepartmentFactory, MembershipFactory, OfficeFactory, UserFactory


@pytest.fixture
def ward():
    """A small office: 総務課 with an approver, 企画課 and 区民課 with an editor each, a viewer, and
    an outsider of another office."""
    office = OfficeFactory(name="試験区役所", slug="shiken")
    soumu = DepartmentFactory(office=office, code="001", name="総務部 総務課", sort_order=1)
    kikaku = DepartmentFactory(office=office, code="002", name="総務部 企画課", sort_order=2)
    kumin = DepartmentFactory(office=office, code="003", name="区民部 区民課", sort_order=3)

    def person(username, last, first, department, role, number):
        user = UserFactory(username=username, last_name=last, first_name=first)
        MembershipFactory(user=user, department=department, role=role)
        StaffProfile.objects.create(user=user, office=office, employee_number=number)
        return user

    other = DepartmentFactory(office=OfficeFactory(slug="other"), code="001")
    return {
        "office": office,
        "soumu": soumu,
        "kikaku": kikaku,
        "kumin": kumin,
        "approver": person("shonin", "承認", "花子", soumu, Role.APPROVER, "1001"),
        "editor": person("kikaku", "企画", "進", kikaku, Role.EDITOR, "1002"),
        "kumin_editor": person("kumin", "区民", "窓子", kumin, Role.EDITOR, "1003"),
        "viewer": person("etsuran", "閲覧", "見子", kikaku, Role.VIEWER, "1004"),
        "outsider": MembershipFactory(department=other, role=Role.APPROVER).user,
    }
