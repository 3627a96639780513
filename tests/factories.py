"""factory_boy factories for the domain. Names are fictional."""

import factory
from django.contrib.auth import get_user_model

from departments.models import Department, Membership, Office, Role
from goals.models import Category, FiscalYear, Goal, GoalSheet, Result


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = "試験"
    first_name = factory.Sequence(lambda n: f"利用者{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.jp")
    password = factory.django.Password("test-pass-2020")


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"第{n}区役所")
    slug = factory.Sequence(lambda n: f"ward{n}")
    municipality_name = factory.LazyAttribute(lambda o: f"架空市{o.name.removesuffix('役所')}")
    municipality_code = factory.Sequence(lambda n: f"{990000 + n:06d}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    office = factory.SubFactory(OfficeFactory)
    code = factory.Sequence(lambda n: f"9{n:04d}")
    name = factory.Sequence(lambda n: f"試験部 第{n}課")
    sort_order = factory.Sequence(lambda n: n * 10)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    department = factory.SubFactory(DepartmentFactory)
    role = Role.EDITOR


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    office = factory.SubFactory(OfficeFactory)
    name = factory.Sequence(lambda n: f"区分{n}")


class FiscalYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FiscalYear

    office = factory.SubFactory(OfficeFactory)
    year = 2021
    plan_open = True


class GoalSheetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GoalSheet

    fiscal_year = factory.SubFactory(FiscalYearFactory)
    department = factory.SubFactory(DepartmentFactory, office=factory.SelfAttribute("..fiscal_year.office"))


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    sheet = factory.SubFactory(GoalSheetFactory)
    number = factory.Sequence(lambda n: n + 1)
    objective = "来庁者に分かりやすい案内を行います。"


class ResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Result

    goal = factory.SubFactory(GoalFactory)
    done = "案内表示を見直しました。"
