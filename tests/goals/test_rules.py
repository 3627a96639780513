"""The rule book (goals.rules) against what people see: every persona × every sheet state × every step.

For each state a sheet can be in (both phases' statuses, 目標設定 / 実績報告 open or closed) and each
persona, the sheet page, the home page and the dashboard are read through the real views, and
every workflow step is tried through its real service in a transaction that is rolled back:

- a button or link the pages offer is a step the service accepts;
- a step the sheet page does not offer is refused: by the person's access before any rule (its
  page answers 403 or 404), or by the service — and then the page that starts the step (the
  confirm page, the edit page's message, the workbook's upload page) says exactly what the
  service raises.
"""

import html
import re
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.db import transaction
from django.test import Client
from django.urls import reverse

from departments.models import Role
from goals import rules
from goals.models import EventChannel, Phase, SheetStatus
from goals.services import (
    GoalInput,
    GoalsError,
    ResultInput,
    fiscal_year_set_phase,
    sheet_approve,
    sheet_reopen,
    sheet_return,
    sheet_save_plan,
    sheet_save_results,
    sheet_submit,
)
from reports.imports.workbook import entry_phase
from tests.factories import (
    DepartmentFactory,
    FiscalYearFactory,
    GoalSheetFactory,
    MembershipFactory,
    OfficeFactory,
    UserFactory,
)

# What the pages offer against what the services accept is the same on either engine (the
# services' locking and transactions are checked on both in tests/reports/test_faults.py and
# test_workflow_services.py): run once, on SQLite.
pytestmark = pytest.mark.anydb

NOT_STARTED, DRAFT, SUBMITTED, RETURNED, APPROVED = SheetStatus

# Which phases take entries: (目標設定, 実績報告). Both open at once is refused by the years service.
PHASES = {"plan-open": (True, False), "closed": (False, False), "results-open": (False, True)}


@dataclass(frozen=True)
class State:
    plan: str
    result: str = NOT_STARTED
    phases: str = "plan-open"
    complete: bool = True  # False: no goals (a plan draft) or a result left blank (a results draft)

    def __str__(self):
        return f"plan={self.plan}-result={self.result}-{self.phases}" + ("" if self.complete else "-incomplete")

    @property
    def correction(self):
        """訂正: a phase sent back and then closed by the ward stays open for this sheet alone."""
        plan_open, result_open = PHASES[self.phases]
        if self.plan == RETURNED and not plan_open:
            return Phase.PLAN
        if self.result == RETURNED and not result_open:
            return Phase.RESULT
        return ""


STATES = [
    *(State(plan, NOT_STARTED, phases) for plan in SheetStatus for phases in PHASES),
    *(State(APPROVED, result, phases) for result in (DRAFT, SUBMITTED, RETURNED, APPROVED) for phases in PHASES),
    State(DRAFT, NOT_STARTED, "plan-open", complete=False),
    State(APPROVED, DRAFT, "results-open", complete=False),
]


REVIEW = ("approve", "return", "reopen")


@dataclass(frozen=True)
class Step:
    action: str  # edit, submit, approve, return, reopen, workbook
    phase: str | None
    route: str  # the page that starts the step, as the sheet page links to it

    def __str__(self):
        return f"{self.action}-{self.phase or 'entry'}"

    def url(self, sheet, route=None):
        phase = {"phase": self.phase} if self.action in ("submit", *REVIEW) else {}
        return sheet_url(route or self.route, sheet, **phase)


def year_url(route, fiscal_year, **kwargs):
    return reverse(route, kwargs={"office": fiscal_year.office.slug, "year": fiscal_year.year, **kwargs})


def sheet_url(route, sheet, **kwargs):
    return year_url(route, sheet.fiscal_year, code=sheet.department.code, **kwargs)


STEPS = [
    Step("edit", Phase.PLAN, "goals:plan_edit"),
    Step("edit", Phase.RESULT, "goals:results_edit"),
    *(Step(action, phase, f"goals:{action}") for action in ("submit", *REVIEW) for phase in Phase),
    Step("workbook", None, "publishing:entry_workbook"),
]

GOALS = [
    GoalInput(number=1, objective="来庁者に分かりやすい案内を行います。"),
    GoalInput(number=2, objective="電話は3回以内に出ます。", actions="朝礼で確認します。"),
]


# --- The sheet and the personas ----------------------------------------------------------------


@pytest.fixture
def cast(db):
    """A sheet of a small office and the personas: the department's editor, another department's
    editor, an approver (総務課), an approver who is also an editor of the department and submits
    its sheet, an approver who saves the department's content through the Excel workbook (its
    author), and a viewer."""
    office = OfficeFactory()
    year = FiscalYearFactory(office=office, year=2021, plan_open=True)
    department, other, soumu = (DepartmentFactory(office=office) for _ in range(3))

    def person(*roles):
        user = UserFactory()
        for where, role in roles:
            MembershipFactory(user=user, department=where, role=role)
        return user

    people = {
        "editor": person((department, Role.EDITOR)),
        "other_editor": person((other, Role.EDITOR)),
        "approver": person((soumu, Role.APPROVER)),
        "submitter": person((department, Role.EDITOR), (soumu, Role.APPROVER)),
        "writer": person((soumu, Role.APPROVER)),
        "viewer": person((department, Role.VIEWER)),
    }
    return SimpleNamespace(sheet=GoalSheetFactory(fiscal_year=year, department=department), people=people)


def set_phases(fiscal_year, plan_open, result_open):
    # Close before opening: the two phases never take entries at the same time.
    for phase, is_open in sorted(((Phase.PLAN, plan_open), (Phase.RESULT, result_open)), key=lambda p: p[1]):
        fiscal_year_set_phase(fiscal_year=fiscal_year, phase=phase, is_open=is_open)


def review(sheet, phase, status, people):
    """Take the phase from 下書き to `status` the way people do; 提出 by the submitting approver."""
    if status == DRAFT:
        return
    sheet_submit(sheet=sheet, phase=phase, by=people["submitter"])
    if status == RETURNED:
        sheet_return(sheet=sheet, phase=phase, by=people["approver"], comment="具体的に書いてください。")
    elif status == APPROVED:
        sheet_approve(sheet=sheet, phase=phase, by=people["approver"])


def written_by(writer, sheet, *, goals=None, results=None):
    """The same content saved again by `writer` through the Excel workbook: now its author too."""
    if results is None:
        return sheet_save_plan(
            sheet=sheet, goals=goals, expected_version=sheet.version, by=writer, channel=EventChannel.WORKBOOK
        )
    return sheet_save_results(
        sheet=sheet, results=results, expected_version=sheet.version, by=writer, channel=EventChannel.WORKBOOK
    )


def build(cast, state):
    """The cast's sheet driven through the real services into `state`."""
    sheet, people = cast.sheet, cast.people
    if state.plan != NOT_STARTED:
        goals = GOALS if state.complete or state.result != NOT_STARTED else []
        sheet = sheet_save_plan(sheet=sheet, goals=goals, expected_version=sheet.version, by=people["editor"])
        sheet = written_by(people["writer"], sheet, goals=goals)
        review(sheet, Phase.PLAN, state.plan, people)
    if state.result != NOT_STARTED:
        set_phases(sheet.fiscal_year, False, True)
        goals = GOALS if state.complete else GOALS[:1]
        results = [ResultInput(number=goal.number, done="実施しました。") for goal in goals]
        sheet.refresh_from_db()
        sheet = sheet_save_results(sheet=sheet, results=results, expected_version=sheet.version, by=people["editor"])
        sheet = written_by(people["writer"], sheet, results=results)
        review(sheet, Phase.RESULT, state.result, people)
    set_phases(sheet.fiscal_year, *PHASES[state.phases])
    sheet = type(sheet).objects.select_related("fiscal_year__office", "department").get(pk=sheet.pk)
    assert (sheet.plan_status, sheet.result_status) == (state.plan, state.result)
    assert sheet.correction == state.correction
    return sheet


# --- Steps through the services ----------------------------------------------------------------


def run(step, sheet, by):
    """The step through the service its page calls, with input that is valid for the sheet."""
    phase = entry_phase(sheet) if step.action == "workbook" else step.phase
    if step.action in ("edit", "workbook") and phase == Phase.PLAN:
        goals = [GoalInput(number=g.number, objective=g.objective, actions=g.actions) for g in sheet.goals.all()]
        sheet_save_plan(sheet=sheet, goals=goals or GOALS, expected_version=sheet.version, by=by)
    elif step.action in ("edit", "workbook"):
        results = [ResultInput(number=number, done="実施しました。") for number in sheet.goals.values_list("number", flat=True)]
        sheet_save_results(sheet=sheet, results=results, expected_version=sheet.version, by=by)
    elif step.action == "submit":
        sheet_submit(sheet=sheet, phase=phase, by=by, expected_version=sheet.version)
    elif step.action == "approve":
        sheet_approve(sheet=sheet, phase=phase, by=by)
    elif step.action == "return":
        sheet_return(sheet=sheet, phase=phase, by=by, comment="目標を数値で示してください。")
    else:
        sheet_reopen(sheet=sheet, phase=phase, by=by, reason="誤りがあったため取り消します。")


class _Undo(Exception):
    pass


def attempt(step, sheet, by) -> str | None:
    """None when the service takes the step, else its refusal; either way nothing is kept."""
    try:
        with transaction.atomic():
            run(step, sheet, by)
            raise _Undo
    except _Undo:
        return None
    except GoalsError as error:
        return str(error)


# --- What the pages show -----------------------------------------------------------------------


def body(response):
    return html.unescape(response.content.decode())


def linked(response, sheet, steps=STEPS):
    """The steps a page links to, for this sheet."""
    if response.status_code != 200:
        return set()
    page = body(response)
    return {step for step in steps if f'href="{step.url(sheet)}"' in page}


BLOCKED = re.compile(r'id="blocked-reason">\s*<p class="mb-0"><strong>[^<]*できません:</strong> (.*?)</p>', re.S)
UPLOAD_REFUSAL = re.compile(r'<div class="alert alert-warning" role="alert">(.*?)</div>', re.S)
NOTES = re.compile(r'class="[^"]*own-submission[^"]*">(.*?)</')


def stated_refusal(step, client, sheet):
    """The refusal the step's own page states to this person, "" when it states none, or the
    status code when the person's access stops them first (403 / 404)."""
    route = "publishing:entry_upload" if step.action == "workbook" else step.route
    response = client.get(step.url(sheet, route))
    if response.status_code in (403, 404):
        return response.status_code
    if response.status_code == 302:  # the edit and submit pages send a refused person back, saying why
        return list(get_messages(response.wsgi_request))[-1].message
    assert response.status_code == 200, (step, response.status_code)
    found = (UPLOAD_REFUSAL if step.action == "workbook" else BLOCKED).search(body(response))
    return found.group(1).strip() if found else ""


# --- The walk ----------------------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES, ids=str)
def test_every_offered_step_is_accepted_and_every_other_is_refused_in_the_services_words(cast, state):
    sheet = build(cast, state)
    for persona, user in cast.people.items():
        client = Client()
        client.force_login(user)
        page = client.get(sheet_url("goals:sheet", sheet))
        offered = linked(page, sheet)
        elsewhere = linked(client.get(reverse("goals:home")), sheet)
        dashboard = client.get(year_url("goals:dashboard", sheet.fiscal_year))
        from_dashboard = linked(dashboard, sheet, [step for step in STEPS if step.action in REVIEW])
        where = f"{state}, {persona}"

        # The dashboard offers the same review steps as the sheet page.
        assert from_dashboard == {step for step in offered if step.action in REVIEW}, where
        refusals = {}
        for step in STEPS:
            refusal = refusals[step] = attempt(step, sheet, user)
            if step in offered | elsewhere:
                assert refusal is None, f"{where}: {step} is offered, but the service says {refusal!r}"
            stated = stated_refusal(step, client, sheet)
            if stated in (403, 404):
                assert step not in offered | elsewhere, f"{where}: {step} is offered, but its page answers {stated}"
            elif step in offered:
                assert stated == "", f"{where}: {step} is offered, but its page says {stated!r}"
            else:
                assert refusal is not None, f"{where}: {step} is not offered, but the service takes it"
                assert stated == refusal, f"{where}: {step}: the page says {stated!r}, the service {refusal!r}"

        # A note beside the buttons (why 承認 is not offered) is the service's refusal too.
        approve_refusals = {refusals[step] for step in STEPS if step.action == "approve"}
        for response in (page, dashboard):
            if response.status_code == 200:
                assert set(NOTES.findall(body(response))) <= approve_refusals, where


def offered_to(cast, sheet, persona):
    client = Client()
    client.force_login(cast.people[persona])
    page = client.get(sheet_url("goals:sheet", sheet))
    return {str(step) for step in linked(page, sheet)}, NOTES.findall(body(page))


def test_the_walk_sees_the_buttons_people_know(cast):
    """Two familiar states, spelled out, so that the walk above cannot pass by seeing nothing."""
    sheet = build(cast, State(DRAFT, NOT_STARTED, "plan-open"))
    assert offered_to(cast, sheet, "editor") == ({"edit-plan", "submit-plan", "workbook-entry"}, [])
    # 総務課 writes and submits for the department (代理入力); a viewer does nothing.
    assert offered_to(cast, sheet, "approver") == ({"edit-plan", "submit-plan", "workbook-entry"}, [])
    assert offered_to(cast, sheet, "viewer") == (set(), [])

    sheet_submit(sheet=sheet, phase=Phase.PLAN, by=cast.people["submitter"])
    sheet.refresh_from_db()
    assert offered_to(cast, sheet, "approver") == ({"approve-plan", "return-plan"}, [])
    assert offered_to(cast, sheet, "submitter") == ({"return-plan"}, [rules.OWN_SUBMISSION])
    assert offered_to(cast, sheet, "writer") == ({"return-plan"}, [rules.OWN_CONTENT])
    assert offered_to(cast, sheet, "editor") == (set(), [])

    # Sent back, then the ward closes 目標設定: this sheet alone stays open for its correction.
    sheet_return(sheet=sheet, phase=Phase.PLAN, by=cast.people["approver"], comment="誤字を直してください。")
    set_phases(sheet.fiscal_year, False, False)
    sheet.refresh_from_db()
    assert offered_to(cast, sheet, "editor") == ({"edit-plan", "submit-plan", "workbook-entry"}, [])
    assert offered_to(cast, sheet, "approver") == ({"edit-plan", "submit-plan", "workbook-entry"}, [])
