"""The workflow record also holds every save of a sheet's content: who, and through which channel
(フォーム, Excel, 取込); and each event keeps the version of the sheet it left, so that a review
page opened at a version can be compared with the content now.

Content imported before this already carries the 取込 channel.
"""

from django.conf import settings
from django.db import migrations, models


def mark_imports(apps, schema_editor):
    ReviewEvent = apps.get_model("goals", "ReviewEvent")
    ReviewEvent.objects.filter(action="import", channel="").update(channel="import")


class Migration(migrations.Migration):

    dependencies = [
        ('goals', '0004_goal_category_order'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='reviewevent',
            name='reviewevent_action_valid',
        ),
        migrations.AddField(
            model_name='reviewevent',
            name='channel',
            field=models.CharField(blank=True, choices=[('form', 'フォーム'), ('workbook', 'Excel'), ('import', '取込')], help_text='内容の保存・取込の経路', max_length=10, verbose_name='経路'),
        ),
        migrations.AddField(
            model_name='reviewevent',
            name='sheet_version',
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name='版'),
        ),
        migrations.AlterField(
            model_name='reviewevent',
            name='action',
            field=models.CharField(choices=[('submit', '提出'), ('approve', '承認'), ('return', '差戻し'), ('reopen', '承認取消'), ('import', '取込'), ('save', '保存')], max_length=10, verbose_name='操作'),
        ),
        migrations.AddConstraint(
            model_name='reviewevent',
            constraint=models.CheckConstraint(condition=models.Q(('action__in', ['submit', 'approve', 'return', 'reopen', 'import', 'save'])), name='reviewevent_action_valid'),
        ),
        migrations.AddConstraint(
            model_name='reviewevent',
            constraint=models.CheckConstraint(condition=models.Q(('channel', ''), ('channel__in', ['form', 'workbook', 'import']), _connector='OR'), name='reviewevent_channel_valid'),
        ),
        migrations.AddConstraint(
            model_name='reviewevent',
            constraint=models.CheckConstraint(condition=models.Q(('action', 'save'), ('channel', ''), _negated=True), name='reviewevent_save_has_channel'),
        ),
        migrations.RunPython(mark_imports, migrations.RunPython.noop),
    ]
