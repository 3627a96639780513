import getpass
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


def test_without_output_the_table_goes_to_export_dir(seed_year, tmp_path, monkeypatch):
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path / "exports"))
    stdout = io.StringIO()
    call_command("export_table", office="nakahara", year=2020, fmt="csv", stdout=stdout)
    written = tmp_path / "exports" / "table-nakahara-2020-result.csv"
    assert written.read_bytes().startswith(b"\xef\xbb\xbf")
    assert f"を {written} に書き出しました" in stdout.getvalue()
    # A folder as the output: the same name inside it.
    call_command("export_table", office="nakahara", year=2020, fmt="csv", kind="plan", output=tmp_path,
                 stdout=io.StringIO())
    assert (tmp_path / "table-nakahara-2020-plan.csv").is_file()


def test_a_place_that_cannot_be_written_is_one_line_saying_where_output_may_go(seed_year, tmp_path, monkeypatch):
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path / "exports"))
    (tmp_path / "a-file").write_text("not a folder")
    target = tmp_path / "a-file" / "table.pdf"
    with pytest.raises(CommandError) as refused:
        call_command("export_table", office="nakahara", year=2020, fmt="csv", output=target)
    assert str(refused.value) == (
        f"{target} に書き込めません (途中にフォルダでないものがあります)。書き出し先には {tmp_path / 'exports'} "
        f"(EXPORT_DIR) か、利用者 {getpass.getuser()} が書き込めるフォルダを指定してください。"
    )
