"""総務課's glossary pages (plain.views): who may use them, adding, editing and removing words, the
standard words, and the command that adds them."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from departments.models import Role
from plain.models import GlossaryTerm
from plain.standard import STANDARD_TERMS
from tests.factories import DepartmentFactory, MembershipFactory, OfficeFactory
from tests.personas import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def ward():
    """An office with an approver (総務課), an editor and a viewer, its glossary of one word, and
    another office with an approver and a word of its own."""
    office = OfficeFactory(slug="shiken")
    soumu, kikaku = DepartmentFactory(office=office), DepartmentFactory(office=office)
    other = OfficeFactory(slug="other")
    return {
        "office": office,
        "approver": MembershipFactory(department=soumu, role=Role.APPROVER).user,
        "editor": MembershipFactory(department=kikaku, role=Role.EDITOR).user,
        "viewer": MembershipFactory(department=kikaku, role=Role.VIEWER).user,
        "outsider": MembershipFactory(department=DepartmentFactory(office=other), role=Role.APPROVER).user,
        "term": GlossaryTerm.objects.create(office=office, term="遵守", plain="守る"),
        "other_term": GlossaryTerm.objects.create(office=other, term="周知", plain="広く知らせる"),
    }


def url(name, office, **kwargs):
    return reverse(f"plain:{name}", kwargs={"office": office.slug, **kwargs})


def pages(ward):
    office, pk = ward["office"], ward["term"].pk
    return [
        ("get", url("glossary", office)),
        ("get", url("term_new", office)),
        ("post", url("term_new", office)),
        ("get", url("term_edit", office, pk=pk)),
        ("post", url("term_edit", office, pk=pk)),
        ("get", url("term_delete", office, pk=pk)),
        ("post", url("term_delete", office, pk=pk)),
        ("post", url("add_standard", office)),
    ]


def text(response):
    return response.content.decode()


@pytest.mark.parametrize("who, status", [("editor", 403), ("viewer", 403), ("outsider", 404)])
def test_only_the_offices_approvers_use_the_glossary_pages(ward, who, status):
    client = client_for(ward[who])
    for method, path in pages(ward):
        assert getattr(client, method)(path).status_code == status, (who, method, path)
    anonymous = Client()
    for method, path in pages(ward):
        response = getattr(anonymous, method)(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert GlossaryTerm.objects.count() == 2  # nothing changed


def test_another_offices_word_is_not_found(ward):
    client = client_for(ward["approver"])
    other = ward["other_term"].pk
    assert client.get(url("term_edit", ward["office"], pk=other)).status_code == 404
    assert client.post(url("term_delete", ward["office"], pk=other)).status_code == 404
    assert GlossaryTerm.objects.filter(pk=other).exists()


def test_the_list_shows_the_offices_words_only(ward, django_assert_max_num_queries):
    client = client_for(ward["approver"])
    client.get(url("glossary", ward["office"]))
    with django_assert_max_num_queries(8):
        body = text(client.get(url("glossary", ward["office"])))
    assert "遵守" in body and "守る" in body and "周知" not in body
    assert url("term_edit", ward["office"], pk=ward["term"].pk) in body


def test_approver_adds_edits_and_removes_a_word(ward):
    client = client_for(ward["approver"])
    office = ward["office"]
    response = client.post(url("term_new", office), {"term": "勘案", "plain": "考えに入れる", "note": "例文"})
    assert response.status_code == 302 and response["Location"] == url("glossary", office)
    assert "用語「勘案」を追加しました。" in text(client.get(url("glossary", office)))
    added = GlossaryTerm.objects.get(office=office, term="勘案")
    assert (added.plain, added.note, added.updated_by) == ("考えに入れる", "例文", ward["approver"])

    response = client.post(url("term_edit", office, pk=added.pk), {"term": "勘案", "plain": "考え合わせる", "note": ""})
    assert response.status_code == 302
    added.refresh_from_db()
    assert (added.plain, added.note) == ("考え合わせる", "")

    assert "削除します" in text(client.get(url("term_delete", office, pk=added.pk)))
    assert client.post(url("term_delete", office, pk=added.pk)).status_code == 302
    assert not GlossaryTerm.objects.filter(pk=added.pk).exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"term": "", "plain": "守る"}, "用語を入力してください。"),
        ({"term": "申請", "plain": ""}, "やさしい言い方を入力してください。"),
        ({"term": "遵守", "plain": "従う"}, "「遵守」は、すでに用語集にあります。"),
        ({"term": "申\n請", "plain": "申し込み"}, "改行"),
        ({"term": "申請\u202e", "plain": "申し込み"}, "文字の向きを変える制御文字"),
        ({"term": "申" * 41, "plain": "申し込み"}, "40"),
    ],
)
def test_bad_input_is_refused_in_japanese_keeps_the_typing_and_changes_nothing(ward, data, message):
    client = client_for(ward["approver"])
    before = list(GlossaryTerm.objects.values_list("pk", "term", "plain").order_by("pk"))
    response = client.post(url("term_new", ward["office"]), {"note": "", **data})
    body = text(response)
    assert response.status_code == 400
    assert message in body, body[:2000]
    assert 'id="error-summary"' in body and "<title>エラー: " in body
    if data["plain"]:
        assert f'value="{data["plain"]}"' in body
    assert list(GlossaryTerm.objects.values_list("pk", "term", "plain").order_by("pk")) == before


def test_renaming_a_word_onto_another_is_refused(ward):
    office = ward["office"]
    second = GlossaryTerm.objects.create(office=office, term="周知", plain="知らせる")
    response = client_for(ward["approver"]).post(url("term_edit", office, pk=second.pk), {"term": "遵守", "plain": "x"})
    assert response.status_code == 400 and "「遵守」は、すでに用語集にあります。" in text(response)
    second.refresh_from_db()
    assert (second.term, second.plain) == ("周知", "知らせる")


def test_standard_words_are_added_once_and_edited_words_are_kept(ward):
    client = client_for(ward["approver"])
    office = ward["office"]
    ward["term"].plain = "きちんと守る"  # edited by 総務課: adding the standard words keeps it
    ward["term"].save()
    client.post(url("add_standard", office))
    assert GlossaryTerm.objects.filter(office=office).count() == len(STANDARD_TERMS)
    assert GlossaryTerm.objects.get(office=office, term="遵守").plain == "きちんと守る"
    assert f"標準の用語を{len(STANDARD_TERMS) - 1}語追加しました。" in text(client.get(url("glossary", office)))
    client.post(url("add_standard", office))
    assert "追加したものはありません" in text(client.get(url("glossary", office)))
    assert GlossaryTerm.objects.filter(office=office).count() == len(STANDARD_TERMS)
    assert len(STANDARD_TERMS) >= 30


def test_the_command_adds_the_standard_words_idempotently(ward):
    out = io.StringIO()
    call_command("load_glossary", office="other", stdout=out)
    call_command("load_glossary", office="other", stdout=out)
    assert GlossaryTerm.objects.filter(office__slug="other").count() == len(STANDARD_TERMS)
    assert "0語追加しました" in out.getvalue()
    with pytest.raises(CommandError, match="区役所「nowhere」はありません"):
        call_command("load_glossary", office="nowhere", stdout=out)
