"""Search: the public search over published tables and the staff search over every year."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_safe

from departments.permissions import get_access
from reports import selectors_search
from reports.forms_search import SearchForm
from reports.search import MAX_QUERY_LENGTH, term_pattern

PER_PAGE = 20


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
        page = Paginator(goals, PER_PAGE).get_page(request.GET.get("page"))
        context.update(
            searched=True,  # a Page of no hits is falsy: templates ask this instead
            page=page,
            page_numbers=page.paginator.get_elided_page_range(
                page.number, on_each_side=2, on_ends=1
            ),
            groups=groups_for(page.object_list, term_pattern(criteria["q"])),
        )
    return context


@require_safe
def search(request):
    """Search the published tables of every year: words, 年度, 区分 and 部署."""
    years, categories = selectors_search.public_search_choices()
    form = SearchForm(request.GET or None, years=years, categories=categories)
    context = _run(
        request,
        form,
        selectors_search.search_published_goals,
        selectors_search.public_hit_groups,
    )
    return render(request, "reports/search.html", context)


@login_required
@require_safe
def staff_search(request):
    """Search every year's sheets, drafts included, within what the person may see."""
    scope = selectors_search.staff_scope(get_access(request))
    years, categories = selectors_search.staff_search_choices(scope)
    form = SearchForm(request.GET or None, years=years, categories=categories)
    context = _run(
        request,
        form,
        lambda **criteria: selectors_search.search_staff_goals(scope, **criteria),
        selectors_search.staff_hit_groups,
    )
    context["scope"] = scope
    return render(request, "staff/search.html", context)
