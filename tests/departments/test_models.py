import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from departments.models import Department, Membership, Office, Role
from tests.factories import DepartmentFactory, MembershipFactory, OfficeFactory

pytestmark = pytest.mark.django_db

# What the issue saw break pages, file names and mail headers, and a few more of the same kind.
BAD_CODES = ["9/1", "..\\..\\..\\..\\pwn", "", "D0001", "１２３", "12345678901", "1 2", "001\n"]
BAD_NAMES = ["区民\n課", "区民\r\n課", "9/1", "..\\..\\..\\..\\pwn", "区民\u202e課gnp.exe", "区民\t課"]


def raw_update(instance, **values):
    """An UPDATE in SQL, past the model layer: what the database itself accepts."""
    model = type(instance)
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(model._meta.get_field(name).column)} = %s" for name in values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} SET {columns} WHERE id = %s",
            [*values.values(), instance.pk],
        )


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


@pytest.mark.parametrize("code", ["14133", "14133a", "１４１３３０"])
def test_municipality_code_is_six_digits(code):
    office = OfficeFactory.build(municipality_code=code)
    with pytest.raises(ValidationError, match="6桁"):
        office.full_clean()
    with pytest.raises(ValidationError, match="6桁"), transaction.atomic():
        OfficeFactory(municipality_code=code)
    saved = OfficeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        raw_update(saved, municipality_code=code)


@pytest.mark.parametrize("code", BAD_CODES)
def test_department_code_is_digits_on_every_path(code):
    department = DepartmentFactory.build(code=code, office=OfficeFactory())
    with pytest.raises(ValidationError) as caught:
        department.full_clean()
    assert "code" in caught.value.error_dict
    # A refused write ends its transaction: nothing of it is kept. (An empty value is the
    # database's to refuse: Django's validators leave empty values to `blank`.)
    refusal = (ValidationError, DatabaseError)
    with pytest.raises(refusal), transaction.atomic():
        department.save()
    with pytest.raises(refusal), transaction.atomic():
        Department.objects.bulk_create([department])
    saved = DepartmentFactory()
    with pytest.raises(refusal), transaction.atomic():
        Department.objects.filter(pk=saved.pk).update(code=code)
    with pytest.raises(DatabaseError), transaction.atomic():  # PostgreSQL: too long, or the check
        raw_update(saved, code=code)
    assert Department.objects.get(pk=saved.pk).code == saved.code


@pytest.mark.parametrize("name", BAD_NAMES)
def test_department_name_is_one_line_without_path_separators(name):
    department = DepartmentFactory.build(name=name, office=OfficeFactory())
    with pytest.raises(ValidationError) as caught:
        department.full_clean()
    assert "name" in caught.value.error_dict
    with pytest.raises(ValidationError), transaction.atomic():
        Department.objects.bulk_create([department])
    saved = DepartmentFactory()
    with pytest.raises(ValidationError), transaction.atomic():
        Department.objects.filter(pk=saved.pk).update(name=name)
    if any(c in name for c in "\n\r/\\"):  # what the database itself can check
        with pytest.raises(IntegrityError), transaction.atomic():
            raw_update(saved, name=name)


def test_codes_and_names_of_the_demo_shape_are_accepted():
    office = OfficeFactory(slug="nakahara-2", municipality_code="141330")
    department = Department(office=office, code="001", name="まちづくり推進部 総務課 (葛\U000E0100飾)")
    department.full_clean()
    department.save()
    assert Office.objects.get(pk=office.pk).municipality_code == "141330"


@pytest.mark.parametrize("slug", ["9/1", "naka hara", "中原", "..", "a\u202eb"])
def test_office_slug_is_a_slug_on_every_path(slug):
    office = OfficeFactory()
    with pytest.raises(ValidationError), transaction.atomic():
        Office.objects.filter(pk=office.pk).update(slug=slug)
    with pytest.raises(ValidationError), transaction.atomic():
        OfficeFactory(slug=slug)
