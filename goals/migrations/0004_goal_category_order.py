"""A goal's tags keep the goal's own order: the plain many-to-many table becomes GoalCategory,
whose `position` numbers them.

The plain table kept no order, so the tags already stored are numbered in the office's tag
order (sort order, then name), which is how every format printed them until now. Their field
history is carried over the same way.
"""

import django.db.models.deletion
import simple_history.models
from django.db import migrations, models


def _positions(links):
    """{(goal id, category id): place} for (goal id, category id, sort order, name) rows."""
    by_goal = {}
    for goal_id, category_id, sort_order, name in links:
        by_goal.setdefault(goal_id, []).append((sort_order, name, category_id))
    return {
        (goal_id, category_id): place
        for goal_id, tags in by_goal.items()
        for place, (_, _, category_id) in enumerate(sorted(tags), 1)
    }


def copy_links(apps, schema_editor):
    Goal = apps.get_model("goals", "Goal")
    GoalCategory = apps.get_model("goals", "GoalCategory")
    PlainLink = Goal._meta.get_field("categories").remote_field.through
    links = list(PlainLink.objects.values_list("goal_id", "category_id", "category__sort_order", "category__name"))
    positions = _positions(links)
    GoalCategory.objects.bulk_create(
        GoalCategory(goal_id=goal_id, category_id=category_id, position=positions[goal_id, category_id])
        for goal_id, category_id, _, _ in links
    )


def copy_links_back(apps, schema_editor):
    Goal = apps.get_model("goals", "Goal")
    GoalCategory = apps.get_model("goals", "GoalCategory")
    PlainLink = Goal._meta.get_field("categories").remote_field.through
    PlainLink.objects.bulk_create(
        PlainLink(goal_id=goal_id, category_id=category_id)
        for goal_id, category_id in GoalCategory.objects.values_list("goal_id", "category_id")
    )


def copy_history_back(apps, schema_editor):
    OldHistory = apps.get_model("goals", "HistoricalGoal_categories")
    NewHistory = apps.get_model("goals", "HistoricalGoalCategory")
    OldHistory.objects.bulk_create(
        OldHistory(history_id=history_id, id=link_id, goal_id=goal_id, category_id=category_id)
        for history_id, link_id, goal_id, category_id in NewHistory.objects.values_list(
            "history_id", "id", "goal_id", "category_id"
        )
    )


def copy_history(apps, schema_editor):
    Category = apps.get_model("goals", "Category")
    OldHistory = apps.get_model("goals", "HistoricalGoal_categories")
    NewHistory = apps.get_model("goals", "HistoricalGoalCategory")
    tags = {c.pk: (c.sort_order, c.name) for c in Category.objects.all()}
    rows = list(OldHistory.objects.values_list("history_id", "id", "goal_id", "category_id"))
    # Numbered per historical version of a goal: that version's tags in the office's order.
    positions = _positions(
        (history_id, category_id, *tags.get(category_id, (0, "")))
        for history_id, _, _, category_id in rows
    )
    NewHistory.objects.bulk_create(
        NewHistory(
            history_id=history_id,
            id=link_id,
            goal_id=goal_id,
            category_id=category_id,
            position=positions[history_id, category_id],
        )
        for history_id, link_id, goal_id, category_id in rows
    )


class Migration(migrations.Migration):

    dependencies = [
        ("goals", "0003_category_name_order_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="GoalCategory",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="順番")),
                (
                    "category",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="goal_links",
                        to="goals.category",
                        verbose_name="区分",
                    ),
                ),
                (
                    "goal",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="category_links",
                        to="goals.goal",
                        verbose_name="目標",
                    ),
                ),
            ],
            options={
                "verbose_name": "目標の区分",
                "verbose_name_plural": "目標の区分",
                "ordering": ["position", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("goal", "category"), name="goalcategory_unique_tag")
                ],
            },
        ),
        migrations.CreateModel(
            name="HistoricalGoalCategory",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="順番")),
                ("m2m_history_id", models.AutoField(primary_key=True, serialize=False)),
                (
                    "category",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="goals.category",
                        verbose_name="区分",
                    ),
                ),
                (
                    "goal",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="goals.goal",
                        verbose_name="目標",
                    ),
                ),
                (
                    "history",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        to="goals.historicalgoal",
                    ),
                ),
            ],
            options={
                "verbose_name": "HistoricalGoalCategory",
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunPython(copy_links, copy_links_back),
        migrations.RunPython(copy_history, copy_history_back),
        # Django cannot give an existing many-to-many field a through model in place: the field
        # is dropped (with its plain table) and added again over GoalCategory.
        migrations.RemoveField(model_name="goal", name="categories"),
        migrations.DeleteModel(name="HistoricalGoal_categories"),
        migrations.AddField(
            model_name="goal",
            name="categories",
            field=models.ManyToManyField(
                blank=True,
                related_name="goals",
                through="goals.GoalCategory",
                to="goals.category",
                verbose_name="区分",
            ),
        ),
    ]
