from django.apps import AppConfig


class PlainConfig(AppConfig):
    name = "plain"
    verbose_name = "やさしい日本語"
