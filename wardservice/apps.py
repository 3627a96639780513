from django.apps import AppConfig


class WardserviceConfig(AppConfig):
    name = "wardservice"
    verbose_name = "運用 (通知メール・稼働状況)"
