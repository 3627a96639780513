"""The primary publication: a standalone, accessible HTML page of the table."""

from django.template.loader import render_to_string

from reports.exporters.base import Exporter


class HtmlExporter(Exporter):
    identifier = "html"
    label = "HTML"
    extension = "html"
    content_type = "text/html; charset=utf-8"

    def render(self, table):
        return render_to_string("reports/year.html", {"table": table}).encode("utf-8")
