"""Search: the public search over published tables and the staff search over every year."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.functional import cached_property
from django.views.decorators.http import require_safe

from departments.permissions import get_access
from reports.furigana import serving as furigana
from reports.furigana.search import hit_groups_with_readings
from reports.search import selectors as search_selectors
from reports.search.forms import SearchForm
from reports.search.terms import MAX_QUERY_LENGTH, term_matcher

PER_PAGE = 20
# A search counts and pages through at most this many hits. Counting every hit of a common word
# reads half a million rows at national scale, and nobody reads fifty pages: past this many,
# the page asks for more words or a filter instead.
MAX_HITS = 1000


class CappedPaginator(Paginator):
    """A Paginator that counts at most `cap` objects and pages only through those.

    The count asks the database for `cap + 1` rows at most (COUNT(*) over a LIMIT), so it stops
    early however many rows match; `capped` tells whether there were more. Below the cap it is
    a plain Paginator with the exact count. Used by both searches (`_run`).
    """

    def __init__(self, object_list, per_page, *, cap, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _found(self):
        """How many objects there are, counting no further than cap + 1. One query.

        Unordered: any cap + 1 rows will do, so PostgreSQL may take them from whatever finds
        them soonest (the trigram index for a word, publishedgoal_search_order alone for 年度
        and 区分) and stop there.
        """
        return self.object_list.order_by().values("pk")[: self.cap + 1].count()

    @cached_property
    def count(self):
        return min(self._found, self.cap)

    @property
    def capped(self):
        """Whether more objects than `cap` were found (and only `cap` are paged through)."""
        return self._found > self.cap


def _run(request, form, goals_for, groups_for):
    """The context of a search page: the form, and the page of hits once something was asked."""
    context = {"form": form, "max_query_length": MAX_QUERY_LENGTH}
    if form.is_bound and form.is_valid() and form.has_criteria():
        criteria = form.cleaned_data
        goals = goals_for(
            terms=criteria["q"],
            year=criteria["year"],
            category=criteria["category"],
            department=criteria["department"],
        )
        page = CappedPaginator(goals, PER_PAGE, cap=MAX_HITS).get_page(request.GET.get("page"))
        context.update(
            searched=True,  # a Page of no hits is falsy: templates ask this instead
            page=page,
            page_numbers=page.paginator.get_elided_page_range(
                page.number, on_each_side=2, on_ends=1
            ),
            groups=groups_for(page.object_list, term_matcher(criteria["q"])),
        )
    return context


@require_safe
def search(request):
    """Search the published tables of every year: words, 年度, 区分 and 部署."""
    years, categories = search_selectors.public_search_choices()
    form = SearchForm(request.GET or None, years=years, categories=categories)
    context = _run(
        request,
        form,
        search_selectors.search_published_goals,
        search_selectors.public_hit_groups,
    )
    # ふりがな on the hits, from the readings stored with each version (reports.furigana).
    on, explicit = furigana.wanted(request)
    if context.get("searched"):
        context["furigana"] = {"on": on, "href": furigana.toggle_href(on, request.GET)}
        if on:
            matcher = term_matcher(form.cleaned_data["q"])
            context["groups"] = hit_groups_with_readings(context["groups"], matcher)
    response = render(request, "reports/search.html", context)
    furigana.remember(request, response, on, explicit)
    return response


@login_required
@require_safe
def staff_search(request):
    """Search every year's sheets, drafts included, within what the person may see."""
    scope = search_selectors.staff_scope(get_access(request))
    years, categories = search_selectors.staff_search_choices(scope)
    form = SearchForm(request.GET or None, years=years, categories=categories)
    context = _run(
        request,
        form,
        lambda **criteria: search_selectors.search_staff_goals(scope, **criteria),
        search_selectors.staff_hit_groups,
    )
    context["scope"] = scope
    return render(request, "staff/search.html", context)
