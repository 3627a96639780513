import io

import pytest
from django.core.management import CommandError, call_command


@pytest.mark.parametrize("fmt, magic", [("html", b"<!DOCTYPE html>"), ("csv", b"\xef\xbb\xbf"),
                                        ("xlsx", b"PK\x03\x04"), ("pdf", b"%PDF-")])
def test_export_table_writes_each_format(fmt, magic, seed_year, tmp_path):
    out = tmp_path / f"table.{fmt}"
    stdout = io.StringIO()
    call_command("export_table", office="nakahara", year=2020, fmt=fmt, output=out, stdout=stdout)
    assert out.read_bytes().startswith(magic)
    assert "17 部署、50 目標" in stdout.getvalue()


def test_export_plan_kind_leaves_results_out(seed_year, tmp_path):
    out = tmp_path / "plan.csv"
    call_command("export_table", office="nakahara", year=2020, fmt="csv", kind="plan", output=out,
                 stdout=io.StringIO())
    assert "毎週、定期的なミーティングを行うことで" not in out.read_text(encoding="utf-8-sig")


def test_export_unknown_year_or_nothing_approved_is_a_clear_error(seed_year, tmp_path):
    with pytest.raises(CommandError, match="登録されていません"):
        call_command("export_table", office="nakahara", year=1999, fmt="csv", output=tmp_path / "x.csv")
    from goals.services import fiscal_year_open_next

    fiscal_year_open_next(previous=seed_year)
    with pytest.raises(CommandError, match="承認済みのシートがありません"):
        call_command("export_table", office="nakahara", year=2021, fmt="csv", output=tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
