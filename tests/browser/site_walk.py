"""A walk through every page of the site, staff and public, as the people who use them, in the
states of tests/browser/site_world.py. Shared by the accessibility test
(tests/browser/test_site_walk.py) and the results the accessibility statement publishes
(tests/browser/test_accessibility_report.py).

A Walker is one person's browser context, logged in once. Each page it visits is checked where it
stands: axe-core's WCAG 2.2 A/AA rules and best practices at 1280 px, then no sideways scrolling of
the page at 390×844 and at 320×640. On the whole walk, every page sends the Content-Security-Policy
(tests/browser/csp.py) and nothing breaks it, and no page script throws. The forms get more: their Tab stops in view at 400% zoom
(320×225), their controls' borders at 3:1, focus on the error summary after a failed submission,
and the progress page's announcements.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve, reverse
from playwright.sync_api import expect

from reports.models import ImportJob
from tests.browser.conftest import AXE_TAGS_WCAG22, TIMEOUT_MS
from tests.browser.csp import LISTEN_FOR_VIOLATIONS, VIOLATION, policy_problem
from tests.browser.site_world import OFFICE

PASSWORD = "test-pass-2020"  # tests.factories.UserFactory
WIDE = {"width": 1280, "height": 800}
# WCAG 1.4.10: no sideways scrolling of the page at a phone's width and at 320 CSS px (400% zoom).
NARROW = [{"width": 390, "height": 844}, {"width": 320, "height": 640}]
# WCAG 2.4.11: 1280×900 at 400% zoom.
ZOOMED = {"width": 320, "height": 225}
NEW_PASSWORD = re.compile(r"^\s*新しいパスワード\*?\s*$")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Routes that are not pages a person reads: data, downloads, and steps that only redirect (their
# pages are the ones before and after). Every other route must be visited by the walk.
NOT_PAGES = {
    "healthz",
    "favicon",
    "logout",
    "session_extend",  # the login timer's POST (JSON)
    "goals:preview",  # the goals form's preview rows, fetched by its script
    "goals:hints",  # the goals form's やさしい日本語 hints, fetched by its script
    "plain:add_standard",
    "goals:mail_retry",
    "publishing:retry",
    "publishing:status",
    "publishing:import_job_status",
    "publishing:import_table_confirm",
    "publishing:import_published_confirm",
    "publishing:entry_confirm",
    "publishing:entry_workbook",
    "publishing:entry_zip",
    "reports:table_pdf",
    "reports:table_xlsx",
    "reports:table_csv",
    "reports:version_pdf",
    "reports:version_xlsx",
    "reports:version_csv",
    "reports:opendata_all_csv",
    "publishing:preview_pdf",  # the PDF of a year's table before 公表
    "departments:setup_file",  # a template file to download
    "departments:setup_import_confirm",
    "departments:transfers_confirm",
    "departments:staff_change_cancel",
}


# --- Checks in the page ----------------------------------------------------------------------------

PAGE_WIDTH = "() => document.documentElement.scrollWidth"

# The focused element, and whether what is at the centre of its visible part is the element or
# inside it (WCAG 2.4.11: not hidden by the sticky save bar, or by anything else).
FOCUS_IN_VIEW = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const r = el.getBoundingClientRect();
  const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.name ? "[name=" + el.name + "]" : "")
    + " " + (el.innerText || el.value || "").trim().slice(0, 30);
  const left = Math.max(r.left, 0), right = Math.min(r.right, innerWidth);
  const top = Math.max(r.top, 0), bottom = Math.min(r.bottom, innerHeight);
  if (right <= left || bottom <= top) return {name, visible: false, at: "outside the window"};
  const hit = document.elementFromPoint((left + right) / 2, (top + bottom) / 2);
  const visible = !!hit && (hit === el || el.contains(hit));
  return {name, visible, at: hit ? hit.tagName.toLowerCase() + "." + hit.className : "nothing"};
}"""

# The contrast of each rendered form control's border with what is behind it (WCAG 1.4.11).
BORDER_CONTRAST = """() => {
  const rgb = (c) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const behind = (el) => {
    for (let e = el.parentElement; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const out = [];
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    if (el.disabled || el.getClientRects().length === 0) continue;
    const s = getComputedStyle(el);
    let worst = Infinity;
    for (const side of ["Top", "Right", "Bottom", "Left"]) {
      const color = rgb(s["border" + side + "Color"]);
      const width = parseFloat(s["border" + side + "Width"]);
      worst = Math.min(worst, width > 0 && color && color.a === 1 ? ratio(color, behind(el)) : 0);
    }
    out.push({name: (el.id || el.name) + " (" + el.type + ")", ratio: Math.round(worst * 100) / 100});
  }
  return out;
}"""


# Status answers of a version being made, and what a screen reader hears of them: the start, a
# quarter passed (not 45 %, the same quarter), the stall, the end; never every figure.
PROGRESS_ANSWERS = [
    {"status": "pending", "status_label": "公表待ち", "progress": 0, "finished": False, "stalled": False},
    {"status": "rendering", "status_label": "作成中", "progress": 10, "finished": False, "stalled": False},
    {"status": "rendering", "status_label": "作成中", "progress": 30, "finished": False, "stalled": False},
    {"status": "rendering", "status_label": "作成中", "progress": 45, "finished": False, "stalled": False},
    {"status": "rendering", "status_label": "作成中", "progress": 80, "finished": False, "stalled": True},
    {"status": "published", "status_label": "公表済", "progress": 100, "finished": True, "stalled": False},
]
PROGRESS_HEARD = ["進捗: 作成中", "進捗: 30%", "作成が止まっています。再試行できます。", "公表済。結果を表示します。"]
# Every text the page's polite live region takes, in order.
HEARD = """() => {
  window.heard = [];
  const region = document.querySelector("[data-progress-announce]");
  new MutationObserver(() => window.heard.push(region.textContent)).observe(region, {childList: true, characterData: true, subtree: true});
}"""


@dataclass
class Checked:
    url: str
    route: str
    violations: list | None  # None: not run
    too_wide: list = field(default_factory=list)


def route_of(url):
    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return ""


class Walker:
    """One person's browser context: visits pages and checks each one (see the module's docstring)."""

    def __init__(self, browser, base_url, axe, *, keep_documents=False):
        self.context = browser.new_context(
            locale="ja-JP", viewport=WIDE, base_url=base_url, reduced_motion="reduce"
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.route(
            lambda url: not url.startswith(base_url) and not url.startswith(("data:", "about:")),
            lambda route: route.abort(),
        )
        self.context.add_init_script(LISTEN_FOR_VIOLATIONS)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"{self.page.url}: page error: {error}"))
        # Leaving a form with unsaved typing asks first (beforeunload): the walk means to leave.
        self.page.on("dialog", lambda dialog: dialog.accept())
        self.axe = axe
        self.checked = {}  # page name → Checked
        self.problems = []  # what the form checks, the policy and the page scripts found
        self.documents = {} if keep_documents else None  # page name → the HTML as served
        self._document = None
        self.page.on("response", self._response)

    def _response(self, response):
        request = response.request
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self._document = response
            if response.status < 300 and (problem := policy_problem(response)):
                self.problems.append(problem)

    def _console(self, message):
        if message.text.startswith(VIOLATION):
            self.problems.append(f"{self.page.url}: {message.text}")

    def close(self):
        self.context.close()

    def log_in(self, user):
        self.page.goto("/accounts/login/")
        self.page.get_by_label("ユーザー名").fill(user.username)
        self.page.get_by_label("パスワード").fill(PASSWORD)
        self.page.get_by_role("button", name="ログイン").click()
        expect(self.page.get_by_role("heading", name="職員ホーム", level=1)).to_be_visible()

    def visit(self, name, path, *, axe=True):
        response = self.page.goto(path)
        assert response is not None and response.status == 200, f"{name} ({path}): {response and response.status}"
        return self.check(name, axe=axe)

    def submit(self, name, button):
        """Click a submit button and check the page that comes back."""
        with self.page.expect_navigation():
            button.click()
        return self.check(name)

    def check(self, name, *, axe=True):
        """axe-core at 1280 px (unless told otherwise), then the page's width at each narrow window."""
        page = self.page
        assert name not in self.checked, f"{name} visited twice"
        if self.documents is not None and self._document is not None:
            self.documents[name] = self._document.body()
        violations = self.axe(page, tags=AXE_TAGS_WCAG22) if axe or self.documents is not None else None
        checked = Checked(page.url, route_of(page.url), violations)
        for size in NARROW:
            page.set_viewport_size(size)
            width = page.evaluate(PAGE_WIDTH)
            if width > size["width"]:
                checked.too_wide.append(f"{width} px wide at {size['width']}×{size['height']}")
        page.set_viewport_size(WIDE)
        self.checked[name] = checked
        return page

    # --- the forms ---

    def check_tab_stops(self, name):
        """At 320×225, Tab from the top of the page to its end: each stop in view when reached."""
        page = self.page
        page.set_viewport_size(ZOOMED)
        page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
        stops = 0
        for _ in range(500):
            page.keyboard.press("Tab")
            stop = page.evaluate(FOCUS_IN_VIEW)
            if stop is None:  # past the last stop, focus has left the page
                break
            stops += 1
            if not stop["visible"]:
                self.problems.append(f"{name}: Tab stop {stop['name']!r} hidden at 320×225 ({stop['at']})")
        page.set_viewport_size(WIDE)
        if stops < 10:
            self.problems.append(f"{name}: only {stops} Tab stops found")
        return stops

    def check_borders(self, name, minimum=3.0):
        controls = self.page.evaluate(BORDER_CONTRAST)
        if not controls:
            self.problems.append(f"{name}: no form controls found")
        for control in controls:
            if control["ratio"] < minimum:
                self.problems.append(f"{name}: border of {control['name']} at {control['ratio']}:1")
        return len(controls)

    def check_progress_milestones(self, name, path):
        """A progress page that is polling hears milestones only (static/js/publish-progress.js):
        its status answers are scripted and its clock is driven, on a page of its own."""
        page = self.context.new_page()
        answers = iter(PROGRESS_ANSWERS)
        served = []

        def answer(route):
            served.append(next(answers))
            route.fulfill(json=served[-1])

        try:
            page.clock.install()
            page.route(re.compile(r"/status\.json$"), answer)
            page.goto(path)
            page.evaluate(HEARD)
            for _ in range(3 * len(PROGRESS_ANSWERS)):
                if len(served) == len(PROGRESS_ANSWERS):
                    break
                page.clock.run_for(1000)
                page.wait_for_timeout(50)  # the answer's promise settles
            page.wait_for_timeout(50)
            heard = page.evaluate("() => window.heard")
        finally:
            page.close()
        if heard != PROGRESS_HEARD:
            self.problems.append(f"{name}: heard {heard}, not {PROGRESS_HEARD}")

    def check_count_speaks_near_the_limit(self, name, textarea, *, limit):
        """A character count is read out once typing pauses, and only from 90% of the limit on
        (static/js/sheet-form.js); below, the count is the field's description, there when asked."""
        live = self.page.locator(f"#{textarea.get_attribute('id')}_count + [aria-live]")
        textarea.fill("窓" * (limit // 2))
        self.page.wait_for_timeout(1300)  # past the pause after which a count would be read out
        try:
            expect(live).to_have_text("")
            textarea.fill("窓" * (limit - 30))
            expect(live).to_have_text("残り 30 文字です。")
        except AssertionError as error:
            self.problems.append(f"{name}: {error}")

    def submit_refused(self, name, button):
        """Click a submit button that the page will refuse: check the page that comes back, and
        that it brings the person to its error summary (check_error_focus)."""
        self.submit(name, button)
        self.check_error_focus(name)

    def check_error_focus(self, name):
        """After a failed submission: the title starts 「エラー: 」 and the summary has focus."""
        page = self.page
        try:
            expect(page).to_have_title(re.compile(r"^エラー: "))
            expect(page.locator("[data-error-summary]").first).to_be_focused()
        except AssertionError as error:
            self.problems.append(f"{name}: {error}")


# --- The walks -------------------------------------------------------------------------------------


def goal_group(page, number):
    return page.get_by_role("group", name=re.compile(rf"^目標 {number}(?: \(新規\))?$"))


def walk_public(site, world):
    """The public pages: their width; axe-core where the public tests do not already run it
    (tests/browser/test_public_pages.py, test_search_pages.py) on the same page, or where the page
    changed with the staff side (the login page, wide tables in their own box)."""
    urls = world.urls
    for name, path, axe in [
        ("トップページ", "/", False),
        ("年度の表 (令和2年度 中原区役所)", urls["year_page"], False),
        ("年度の表の第1版", urls["version_page"], False),
        ("統計 (令和2年度 中原区役所)", urls["stats"], False),
        ("目標の検索", reverse("reports:search"), True),
        ("目標の検索 (検索結果)", reverse("reports:search") + "?q=窓口", False),
        ("オープンデータ", reverse("reports:data_dictionary"), True),
        ("ウェブアクセシビリティ方針", reverse("reports:accessibility"), True),
        ("職員ログイン", reverse("login"), True),
    ]:
        page = site.visit(name, path, axe=axe)
        if path == reverse("reports:search"):
            site.check_borders(name)
        if path == urls["year_page"]:
            # The stored page's own stylesheets apply under the policy (style-src 'self').
            font = page.evaluate("() => getComputedStyle(document.body).fontFamily")
            if "IPAexGothic" not in font:
                site.problems.append(f"{name}: the stored page's stylesheet did not apply ({font})")
    page = site.page
    page.get_by_label("ユーザー名").fill("nobody")
    page.get_by_label("パスワード").fill("wrong-password")
    site.submit_refused("職員ログイン (誤り)", page.get_by_role("button", name="ログイン"))


def walk_editor(site, world):
    urls = world.urls
    site.log_in(world.people.editor)
    site.check("職員ホーム (部署担当者)")
    site.visit("シート (下書き)", urls["sheet_draft"])
    site.visit("シート (差戻し)", urls["sheet_returned"])
    site.visit("シート (目標承認済・実績の入力中)", urls["sheet_results"])
    site.visit("目標の入力 (未着手)", urls["plan_empty"])
    site.visit("目標の入力 (差戻し)", urls["plan_returned"])

    page = site.visit("目標の入力 (下書き)", urls["plan_draft"])
    site.check_borders("目標の入力")
    site.check_tab_stops("目標の入力")
    objective = goal_group(page, 1).get_by_role("textbox", name=re.compile(r"^目標"))
    site.check_count_speaks_near_the_limit("目標の入力", objective, limit=400)
    objective.fill("")
    site.submit_refused("目標の入力 (エラー)", page.get_by_role("button", name="保存 (下書き)"))

    page = site.visit("実績の入力 (入力中)", urls["results_draft"])
    site.check_tab_stops("実績の入力")
    page.get_by_role("group", name="目標 2", exact=True).get_by_label("総括を省略する").check()
    site.submit_refused("実績の入力 (エラー)", page.get_by_role("button", name="保存 (下書き)"))

    site.visit("提出の確認", urls["submit"])
    site.visit("差戻しからの変更 (部署)", urls["changes_returned"])

    page = site.visit("Excelファイルで入力", urls["entry_upload"])
    upload = page.get_by_label("記入用ファイル")
    upload.set_input_files({"name": "memo.xlsx", "mimeType": XLSX, "buffer": b"not a workbook"})
    site.submit_refused("Excelファイルで入力 (エラー)", page.get_by_role("button", name="アップロードして変更内容を確認"))
    upload.set_input_files({"name": "kikaku.xlsx", "mimeType": XLSX, "buffer": world.entry_workbook})
    site.submit("取り込む内容の確認", page.get_by_role("button", name="アップロードして変更内容を確認"))

    site.visit("目標の検索 (職員用)", reverse("reports_staff_search"))
    site.visit("目標の検索 (職員用・検索結果)", reverse("reports_staff_search") + "?q=窓口")

    page = site.visit("パスワードの変更", reverse("password_change"))
    page.get_by_label("元のパスワード").fill("not-my-password")
    page.get_by_label(NEW_PASSWORD).fill("kugiri-2026-nagai")
    page.get_by_label("新しいパスワード(確認用)").fill("kugiri-2026-nagai")
    site.submit_refused("パスワードの変更 (エラー)", page.get_by_role("button", name="パスワードを変更する"))
    page.get_by_label("元のパスワード").fill(PASSWORD)
    page.get_by_label(NEW_PASSWORD).fill("kugiri-2026-nagai")
    page.get_by_label("新しいパスワード(確認用)").fill("kugiri-2026-nagai")
    site.submit("パスワードを変更しました", page.get_by_role("button", name="パスワードを変更する"))


def walk_approver(site, world):
    urls = world.urls
    site.log_in(world.people.approver)
    site.check("職員ホーム (承認者)")
    site.visit("審査状況 (目標設定)", urls["dashboard_plan"])
    site.visit("審査状況 (絞り込み)", urls["dashboard_plan"] + "?plan_status=submitted")
    site.visit("審査状況 (実績報告)", urls["dashboard_results"])
    site.visit("シート (提出済・承認者)", urls["sheet_submitted"])

    page = site.visit("年度の管理", urls["years"])
    year = page.locator("#year-2021")
    year.locator("summary").click()
    plan = year.get_by_role("group", name="目標設定 (現在: 受付終了)")
    plan.get_by_label("受付中").check()
    site.submit_refused("年度の管理 (エラー)", page.get_by_role("button", name="令和3年度の目標設定を更新"))
    try:  # the year's section open again, the choice as it was made
        expect(page.locator("#year-2021")).to_have_attribute("open", "")
        expect(page.locator("#year-2021").get_by_role("group", name="目標設定 (現在: 受付終了)").get_by_label("受付中")).to_be_checked()
    except AssertionError as error:
        site.problems.append(f"年度の管理 (エラー): {error}")

    site.visit("承認の確認", urls["approve"])
    page = site.visit("差戻しの確認", urls["return"])
    site.submit_refused("差戻しの確認 (エラー)", page.get_by_role("button", name="差し戻す"))
    page = site.visit("承認取消の確認", urls["reopen"])
    site.submit_refused("承認取消の確認 (エラー)", page.get_by_role("button", name="承認を取り消す"))
    site.visit("差戻しからの変更 (審査)", urls["changes_resubmitted"])

    site.visit("送信できなかった通知", urls["mail"])
    site.visit("公表 (公表済みの年度)", urls["publish_done"])
    site.visit("公表 (承認待ちの年度)", urls["publish_waiting"])
    site.visit("公表の確認 (公表できない年度)", urls["publish_blocked"])
    site.visit("公表の進捗 (第1版)", urls["progress"])
    site.visit("公表の進捗 (作成待ち)", urls["progress_pending"])
    site.check_progress_milestones("公表の進捗 (作成待ち)", urls["progress_pending"])
    site.visit("目標数の上限", urls["max_goals"])
    site.visit("締切に対する提出状況", urls["timeliness"])

    site.visit("職員", urls["people"])
    site.visit("職員の登録", urls["person_new"])
    page = site.visit("職員 (部署担当者)", urls["person"])
    site.submit("仮パスワードの発行", page.get_by_role("button", name="仮パスワードを発行する"))
    site.visit("職員の転出", urls["person_leave"])
    site.visit("職員の異動予定", urls["staff_changes"])
    site.visit("人事異動の取込", urls["transfers"])
    site.visit("部署と区分の取込", urls["setup_import"])
    site.visit("用語集", urls["glossary"])
    site.visit("用語集: 追加", urls["term_new"])
    site.visit("用語集: 編集", urls["term_edit"])
    site.visit("用語集: 削除の確認", urls["term_delete"])
    site.visit("ふりがなの辞書", urls["furigana"])
    site.visit("ふりがなの辞書: 追加", urls["reading_new"])
    site.visit("ふりがなの辞書: 編集", urls["reading_edit"])
    site.visit("ふりがなの辞書: 削除の確認", urls["reading_delete"])

    page = site.visit("データ取込", urls["import_table"])
    upload = page.get_by_label("ファイル")
    upload.set_input_files({"name": "broken.csv", "mimeType": "text/csv", "buffer": "年度,目標\n2019,\n".encode()})
    site.submit_refused("データ取込 (エラー)", page.get_by_role("button", name="確認する"))
    page.get_by_label("ファイル").set_input_files({"name": "2019.csv", "mimeType": "text/csv", "buffer": world.seed_csv})
    page = site.submit("データ取込 (確認)", page.get_by_role("button", name="確認する"))
    with page.expect_navigation():  # to the year's dashboard, checked above in other years
        page.get_by_role("button", name="確定して取り込む").click()
    job = ImportJob.objects.latest("pk")  # run as it was confirmed (the tasks' immediate backend)
    site.visit("データ取込の状況 (完了)", reverse("publishing:import_job", kwargs={"office": OFFICE, "year": 2019, "pk": job.pk}))

    page = site.visit("公表済みの表の取込", urls["import_published"])
    page.get_by_label("ファイル").set_input_files({"name": "table.txt", "mimeType": "text/plain", "buffer": "表ではありません\n".encode()})
    site.submit_refused("公表済みの表の取込 (エラー)", page.get_by_role("button", name="確認する"))


def walk_viewer(site, world):
    urls = world.urls
    site.log_in(world.people.viewer)
    site.check("職員ホーム (閲覧者)")
    site.visit("審査状況 (閲覧者)", urls["dashboard_plan"])
    site.visit("年度の一覧 (閲覧者)", urls["years"])
    site.visit("シート (閲覧者)", urls["sheet_draft"])
    site.visit("公表 (閲覧者)", urls["publish_done"])


WALKS = [("一般", walk_public), ("部署担当者", walk_editor), ("承認者", walk_approver), ("閲覧者", walk_viewer)]
