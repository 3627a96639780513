import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from departments.models import Membership, Role
from tests.factories import DepartmentFactory, MembershipFactory, OfficeFactory

pytestmark = pytest.mark.django_db


def test_one_membership_per_user_and_department():
    membership = MembershipFactory(role=Role.EDITOR)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=membership.user, department=membership.department, role=Role.VIEWER)


def test_a_user_may_belong_to_several_departments():
    membership = MembershipFactory()
    MembershipFactory(user=membership.user, department=DepartmentFactory(office=membership.department.office))
    assert membership.user.memberships.count() == 2


def test_unknown_role_is_refused_by_the_database():
    membership = MembershipFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=membership.pk).update(role="owner")


def test_municipality_code_is_six_digits():
    office = OfficeFactory.build(municipality_code="14133")
    with pytest.raises(ValidationError, match="6桁"):
        office.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        OfficeFactory(municipality_code="14133")
