"""総務課's staff pages (departments.views.people): the list, registering, editing departments and
roles, leaving, temporary passwords, and who may use them."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from departments.models import Membership, Role, StaffChange, StaffChangeKind, StaffProfile
from departments.staff.services import staff_change_record, staff_leave
from tests.departments.staff_helpers import body, log_in, new_person, url
from tests.factories import MembershipFactory, UserFactory
from tests.personas import client_for

pytestmark = pytest.mark.django_db
PASSWORD = "test-pass-2020"  # tests.factories.UserFactory


# --- who may use the pages ------------------------------------------------------------------------

PAGES = [
    ("people", {}, "get"),
    ("person_new", {}, "get"),
    ("person", {"pk": "editor"}, "get"),
    ("person_leave", {"pk": "editor"}, "get"),
    ("person_password", {"pk": "editor"}, "post"),
    ("staff_changes", {}, "get"),
    ("transfers", {}, "get"),
    ("transfers_confirm", {}, "post"),
]


@pytest.mark.parametrize("name, kwargs, method", PAGES, ids=[p[0] for p in PAGES])
def test_only_approvers_and_superusers_use_the_staff_pages(ward, name, kwargs, method):
    target = url(name, ward, **{k: ward[v].pk for k, v in kwargs.items()})
    expected = {"editor": 403, "viewer": 403, "outsider": 404}
    for who, status in expected.items():
        assert getattr(client_for(ward[who]), method)(target).status_code == status, who
    anonymous = getattr(Client(), method)(target)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    allowed = {302, 200}
    assert getattr(client_for(ward["approver"]), method)(target).status_code in allowed
    superuser = UserFactory(username="it", is_superuser=True, is_staff=True)
    assert getattr(client_for(superuser), method)(target).status_code in allowed


def test_the_staff_menu_shows_staff_to_approvers_only(ward):
    link = f'href="{url("people", ward)}"'
    assert link in body(client_for(ward["approver"]).get(reverse("goals:home")))
    assert link not in body(client_for(ward["editor"]).get(reverse("goals:home")))
    assert link not in body(client_for(ward["viewer"]).get(reverse("goals:home")))


def test_a_person_of_another_office_is_not_found(ward):
    response = client_for(ward["approver"]).get(url("person", ward, pk=ward["outsider"].pk))
    assert response.status_code == 404


# --- the list -------------------------------------------------------------------------------------


def listed_accounts(response):
    return re.findall(r"<td>([a-z][a-z0-9_]*)</td>", body(response))


def test_the_list_shows_each_person_with_departments_roles_and_state(ward):
    staff_leave(
        office=ward["office"], user=ward["kumin_editor"], kind=StaffChangeKind.RETIRE,
        effective_on=timezone.localdate(), by=ward["approver"],
    )
    client = client_for(ward["approver"])
    page = body(client.get(url("people", ward)))
    assert "企画 進" in page and "1002" in page and "総務部 企画課" in page and "部署担当者" in page
    assert "区民 窓子" not in page  # in service only, by default
    assert listed_accounts(client.get(url("people", ward), {"status": "all"})) == [
        "shonin", "kikaku", "kumin", "etsuran"
    ]
    inactive = body(client.get(url("people", ward), {"status": "inactive"}))
    assert "区民 窓子" in inactive and "停止中" in inactive
    assert listed_accounts(client.get(url("people", ward), {"q": "企画"})) == ["kikaku"]
    assert listed_accounts(client.get(url("people", ward), {"q": "１００４"})) == []  # not width-folded: a search
    assert listed_accounts(client.get(url("people", ward), {"role": Role.VIEWER})) == ["etsuran"]
    by_department = client.get(url("people", ward), {"department": ward["kikaku"].pk})
    assert listed_accounts(by_department) == ["kikaku", "etsuran"]
    refused = client.get(url("people", ward), {"department": "x", "q": "企画"})
    assert refused.status_code == 200 and "その部署はありません" in body(refused)


def test_the_list_runs_the_same_number_of_queries_for_more_staff(ward):
    staff_leave(
        office=ward["office"], user=ward["viewer"], kind=StaffChangeKind.RETIRE,
        effective_on=timezone.localdate() + timedelta(days=3), by=ward["approver"],
    )
    client = client_for(ward["approver"])
    client.get(url("people", ward))  # the session and the like, once

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("people", ward)).status_code == 200
        return len(captured)

    few = queries()
    for n in range(30):
        user = UserFactory(username=f"more{n}")
        MembershipFactory(user=user, department=ward["kumin"], role=Role.EDITOR)
        MembershipFactory(user=user, department=ward["kikaku"], role=Role.VIEWER)
        StaffProfile.objects.create(user=user, office=ward["office"], employee_number=f"2{n:03d}")
    staff_leave(
        office=ward["office"], user=user, kind=StaffChangeKind.RETIRE,
        effective_on=timezone.localdate() + timedelta(days=3), by=ward["approver"],
    )
    assert queries() == few


def test_the_changes_page_runs_the_same_number_of_queries_for_more_changes(ward):
    client = client_for(ward["approver"])

    def record(n):
        for i in range(n):
            user = UserFactory(username=f"c{n}-{i}")
            staff_change_record(
                office=ward["office"], user=user, kind=StaffChangeKind.ASSIGN,
                effective_on=timezone.localdate() + timedelta(days=i % 2 * 5),  # half now, half later
                assignments=[(ward["kumin"], Role.EDITOR), (ward["kikaku"], Role.VIEWER)],
                source="試験", by=ward["approver"],
            )

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("staff_changes", ward)).status_code == 200
        return len(captured)

    record(2)
    client.get(url("staff_changes", ward))
    few = queries()
    record(8)
    assert queries() == few


# --- registering ----------------------------------------------------------------------------------


def test_registering_a_person_shows_a_temporary_password_once(ward):
    response = client_for(ward["approver"]).post(url("person_new", ward), new_person(ward))
    assert response.status_code == 200
    password = re.search(r'<p class="issued-password fs-4"><code>([^<]+)</code>', body(response)).group(1)
    assert "no-store" in response["Cache-Control"]
    user = get_user_model().objects.get(username="shinnin")
    assert (user.last_name, user.first_name, user.staff_profile.employee_number) == ("新任", "一郎", "2001")
    assert list(user.memberships.values_list("department__name", "role")) == [("区民部 区民課", Role.EDITOR)]
    assert user.check_password(password) and len(password) == 19
    assert log_in(Client(), "shinnin", password)
    change = StaffChange.objects.get(user=user)
    assert change.applied_at is not None and change.created_by == ward["approver"]
    record = Membership.history.get(user_id=user.pk)
    assert record.history_user == ward["approver"] and "人事異動" in record.history_change_reason


def test_registering_without_a_password_is_for_directory_accounts(ward):
    response = client_for(ward["approver"]).post(url("person_new", ward), new_person(ward, password="none"))
    user = get_user_model().objects.get(username="shinnin")
    assert response.status_code == 302 and not user.has_usable_password()


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"employee_number": "1002"}, "職員番号 1002 は既に 企画 進 さん (アカウント kikaku) の番号です。"),
        ({"employee_number": "12/34"}, "職員番号は半角の英数字とハイフン"),
        ({"username": "KIKAKU"}, "アカウント名「KIKAKU」は既に使われています。"),
        ({"last_name": "新任\u202e"}, "文字の向きを変える制御文字"),
        ({"email": "shinnin@"}, "メールアドレスの形式が正しくありません"),
        ({"assignments-0-department": ""}, "部署を選んでください。"),
        ({"assignments-0-role": ""}, "区民部 区民課での役割を選んでください。"),
        (
            {"assignments-1-department": "", "assignments-0-department": "", "assignments-0-role": ""},
            "所属する部署を1つ以上選んでください。",
        ),
        ({"assignments-0-department": "999999"}, "その部署は選べません"),
    ],
)
def test_registering_refuses_bad_input_keeps_it_and_saves_nothing(ward, overrides, message):
    before = get_user_model().objects.count()
    response = client_for(ward["approver"]).post(url("person_new", ward), new_person(ward, **overrides))
    page = body(response)
    assert response.status_code == 200 and message in page
    assert '<div class="alert alert-danger error-summary"' in page and "<title>エラー: " in page
    assert 'value="shinnin"' in page or overrides.get("username")  # what was typed stays
    assert get_user_model().objects.count() == before


def test_two_rows_for_one_department_are_refused(ward):
    data = new_person(ward, **{
        "assignments-1-department": str(ward["kumin"].pk), "assignments-1-role": Role.VIEWER,
    })
    response = client_for(ward["approver"]).post(url("person_new", ward), data)
    assert "区民部 区民課が2回選ばれています" in body(response)


# --- editing departments and roles ----------------------------------------------------------------


def edit(ward, user, rows, **details):
    profile = StaffProfile.objects.filter(user=user).first()
    data = {
        "last_name": user.last_name,
        "first_name": user.first_name,
        "email": user.email,
        "employee_number": profile.employee_number if profile else "",
        "assignments-TOTAL_FORMS": str(len(rows)),
        "assignments-INITIAL_FORMS": "0",
        **details,
    }
    for index, (department, role) in enumerate(rows):
        data[f"assignments-{index}-department"] = str(department.pk) if department else ""
        data[f"assignments-{index}-role"] = role
    return data


def test_editing_moves_a_person_at_once_and_keeps_the_history(ward):
    editor = ward["editor"]
    client = client_for(ward["approver"])
    response = client.post(
        url("person", ward, pk=editor.pk), edit(ward, editor, [(ward["kumin"], Role.EDITOR), (None, "")])
    )
    assert response.status_code == 302
    assert list(editor.memberships.values_list("department__code", flat=True)) == ["003"]
    page = body(client.get(url("person", ward, pk=editor.pk)))
    assert "所属の履歴" in page and "所属を外れる" in page and "総務部 企画課" in page and "区民部 区民課" in page


def test_an_approver_cannot_remove_their_own_role_as_the_last_approver(ward):
    approver = ward["approver"]
    client = client_for(approver)
    target = url("person", ward, pk=approver.pk)
    response = client.post(target, edit(ward, approver, [(ward["soumu"], Role.EDITOR)]))
    page = body(response)
    assert response.status_code == 200
    assert "あなたの承認者の役割を外すと、試験区役所に承認者が1人もいなくなります。" in page
    assert approver.memberships.get().role == Role.APPROVER

    second = UserFactory(username="shonin2")
    MembershipFactory(user=second, department=ward["soumu"], role=Role.APPROVER)
    assert client.post(target, edit(ward, approver, [(ward["soumu"], Role.EDITOR)])).status_code == 302
    assert approver.memberships.get().role == Role.EDITOR


def test_an_approver_leaving_later_does_not_count_as_the_one_who_stays(ward):
    approver = ward["approver"]
    second = UserFactory(username="shonin2")
    MembershipFactory(user=second, department=ward["soumu"], role=Role.APPROVER)
    staff_leave(
        office=ward["office"], user=second, kind=StaffChangeKind.TRANSFER_OUT,
        effective_on=timezone.localdate() + timedelta(days=20), by=approver,
    )
    response = client_for(approver).post(
        url("person", ward, pk=approver.pk), edit(ward, approver, [(ward["soumu"], Role.EDITOR)])
    )
    assert "承認者が1人もいなくなります" in body(response)
    assert approver.memberships.get().role == Role.APPROVER


def test_a_name_change_keeps_the_memberships_untouched(ward):
    editor = ward["editor"]
    client_for(ward["approver"]).post(
        url("person", ward, pk=editor.pk), edit(ward, editor, [(ward["kikaku"], Role.EDITOR)], last_name="新姓")
    )
    editor.refresh_from_db()
    assert editor.last_name == "新姓" and not StaffChange.objects.filter(user=editor).exists()


# --- leaving ----------------------------------------------------------------------------------------


def sessions_of(user):
    return [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)]


def test_leaving_ends_the_sessions_refuses_login_and_keeps_the_account(ward):
    kumin = ward["kumin_editor"]
    browser = Client()
    assert log_in(browser, "kumin", PASSWORD)
    assert browser.get(reverse("goals:home")).status_code == 200
    assert len(sessions_of(kumin)) == 1

    response = client_for(ward["approver"]).post(
        url("person_leave", ward, pk=kumin.pk),
        {"kind": StaffChangeKind.RETIRE, "effective_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302
    kumin.refresh_from_db()
    assert not kumin.is_active and not kumin.memberships.exists()
    assert kumin.staff_profile.left_on == timezone.localdate()
    assert sessions_of(kumin) == []
    assert browser.get(reverse("goals:home"))["Location"].startswith("/accounts/login/")
    assert not log_in(Client(), "kumin", PASSWORD)
    assert get_user_model().objects.filter(pk=kumin.pk).exists()


def test_leaving_on_a_later_date_waits_for_it(ward):
    kumin = ward["kumin_editor"]
    later = timezone.localdate() + timedelta(days=10)
    client = client_for(ward["approver"])
    client.post(url("person_leave", ward, pk=kumin.pk), {"kind": StaffChangeKind.TRANSFER_OUT, "effective_on": later.isoformat()})
    kumin.refresh_from_db()
    assert kumin.is_active and kumin.memberships.exists()
    page = body(client.get(url("staff_changes", ward)))
    assert f"{later.year}年{later.month}月{later.day}日" in page and "転出" in page


def test_nobody_records_their_own_leaving(ward):
    approver = ward["approver"]
    response = client_for(approver).post(
        url("person_leave", ward, pk=approver.pk),
        {"kind": StaffChangeKind.RETIRE, "effective_on": timezone.localdate().isoformat()},
    )
    assert "自分の退職・転出は登録できません" in body(response)
    approver.refresh_from_db()
    assert approver.is_active


def test_a_leaving_date_far_away_is_refused_with_the_input_kept(ward):
    response = client_for(ward["approver"]).post(
        url("person_leave", ward, pk=ward["editor"].pk), {"kind": StaffChangeKind.RETIRE, "effective_on": "2099-04-01"}
    )
    page = body(response)
    assert "今日から1年以上離れています" in page and 'value="2099-04-01"' in page
    assert not StaffChange.objects.exists()


# --- passwords and cancelling ---------------------------------------------------------------------


def test_a_new_temporary_password_ends_the_old_one_and_the_sessions(ward):
    editor = ward["editor"]
    browser = Client()
    assert log_in(browser, "kikaku", PASSWORD)
    response = client_for(ward["approver"]).post(url("person_password", ward, pk=editor.pk))
    password = re.search(r"<code>([^<]+)</code>", body(response)).group(1)
    assert browser.get(reverse("goals:home")).status_code == 302
    assert not log_in(Client(), "kikaku", PASSWORD)
    assert log_in(Client(), "kikaku", password)


def test_a_waiting_change_can_be_cancelled_once(ward):
    change = staff_leave(
        office=ward["office"], user=ward["editor"], kind=StaffChangeKind.RETIRE,
        effective_on=timezone.localdate() + timedelta(days=5), by=ward["approver"],
    )
    client = client_for(ward["approver"])
    target = url("staff_change_cancel", ward, pk=change.pk)
    assert client.post(target).status_code == 302
    change.refresh_from_db()
    assert change.cancelled_by == ward["approver"] and change.applied_at is None
    again = client.post(target, follow=True)
    assert "既に取り消されています" in body(again)


# --- any input ------------------------------------------------------------------------------------

FIELDS = [
    "username", "last_name", "first_name", "email", "employee_number", "password",
    "assignments-TOTAL_FORMS", "assignments-INITIAL_FORMS", "assignments-0-department", "assignments-0-role",
]
VALUES = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=1200),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.sampled_from(["", "\x00", "editor", "approver", "issue", "1", "1000", "-1", "１２３"]),
)


@hypothesis_settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6))
def test_registering_answers_any_input_without_a_500_or_a_half_saved_person(ward, changes):
    before = get_user_model().objects.count()
    client = ward.setdefault("client", client_for(ward["approver"]))  # one login for every example
    response = client.post(url("person_new", ward), {**new_person(ward), **changes})
    assert response.status_code == 200
    if "仮パスワード" not in body(response) and "issued-password" not in body(response):
        assert get_user_model().objects.count() == before
    for user in get_user_model().objects.filter(staff_profile__office=ward["office"]):
        user.staff_profile.full_clean()  # what was stored holds the text policy and the shape
        assert user.memberships.exists()
