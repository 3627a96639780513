from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "公表"

    def ready(self):
        from reports import receivers  # noqa: F401  (connects the signal receivers)
