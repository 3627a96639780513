from django.shortcuts import render

from reports.selectors import public_offices


def home(request):
    """The public front page: offices and their fiscal years."""
    return render(request, "reports/home.html", {"offices": public_offices()})
