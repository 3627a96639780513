import axes.apps
import django_tasks_db.apps
from django.apps import AppConfig


class WardserviceConfig(AppConfig):
    name = "wardservice"
    verbose_name = "運用 (通知メール・稼働状況)"
    default = True  # this module holds the two below as well


# Two libraries' apps under Japanese names in the admin, listed in INSTALLED_APPS instead of
# theirs (Django's documented way to rename an app). Their names and labels, so their tables and
# migrations, stay theirs; the names of their models and fields come from locale/ja.


class AxesConfig(axes.apps.AppConfig):
    default = False
    verbose_name = "ログインの制限 (django-axes)"


class TasksDatabaseConfig(django_tasks_db.apps.TasksAppConfig):
    default = False
    verbose_name = "バックグラウンド処理 (django-tasks)"
