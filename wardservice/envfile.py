"""The environment file (/etc/wardservice/env) read exactly as systemd reads an EnvironmentFile=.

The units load it with EnvironmentFile=, and deploy/wardservice-manage through systemd-run, so
systemd's own reading is the reference. A script that needs the same settings outside a unit (the
restore drill, docs/deployment.md) runs its command through this module instead of sourcing the
file with sh: sh expands `$`, runs what follows a `;` as a command and splits a value at spaces,
so a password such as `pa ss;wo$rd` would become another password, or a command run as root.

    python -m wardservice.envfile /etc/wardservice/env [--set NAME=VALUE]... \\
        [--database-name NAME] -- COMMAND [ARG...]

runs COMMAND with this process's environment, the file's variables over it, then the --set
values; --database-name replaces the database name (the path) of the file's DATABASE_URL, so that
a command can work on another database with the same server, user and password. No value is ever
put on a command line.

systemd's rules (src/basic/env-file.c, the same in Debian 12's systemd 252 and later):

- `NAME=value`, one per line. Blank lines and lines starting with `#` or `;` are skipped, and so
  is a line without `=`. When a name comes twice, the last one counts.
- Blanks around the name and before the value are dropped, and the blanks that end an unquoted
  value. Nothing is expanded: `$`, `;`, `` ` `` and `*` stand for themselves.
- Outside quotes, a backslash takes the next character as it is (and is dropped); at the end of a
  line it joins the next line.
- Inside '…' every character is kept, line breaks included. Inside "…" too, except that a
  backslash before `"`, `\\`, `` ` `` or `$` gives that character alone, and before a line break
  joins the lines. A quote opens only where a value starts, or right after a closing quote:
  `'a b'c` is `a bc`, while in `a'b c'd` the quotes are plain characters.
- systemd leaves out, with a warning in its log, an assignment whose name is not letters, digits
  and `_` (not starting with a digit) or whose value is not UTF-8 or holds control characters
  other than tab and line break. This reader refuses the file instead, naming the line: a drill
  must not run with a setting the service would not have.
- A comment line that ends with a backslash continued the comment onto the next line before
  systemd 254 and no longer does; such a file is refused too, rather than read one way or the other.
"""

import argparse
import os
import re
import sys
from urllib.parse import urlsplit

__all__ = ["EnvironmentFileError", "parse", "read", "with_database_name"]

WHITESPACE = " \t\n\r"
NEWLINE = "\n\r"
COMMENTS = "#;"
SHELL_NEED_ESCAPE = '"\\`$'
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Control characters other than tab and line feed (systemd's env_value_is_valid).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class EnvironmentFileError(ValueError):
    """A file the service would read differently, or not at all; the message names the line."""


def read(path) -> dict[str, str]:
    with open(path, "rb") as file:
        data = file.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise EnvironmentFileError(f"{path}:{line}: UTF-8 ではない文字があります。") from None
    return parse(text, source=str(path))


def parse(text: str, *, source: str = "<env>") -> dict[str, str]:
    """NAME -> value, as systemd's load_env_file() gives them (see the module's docstring)."""
    values: dict[str, str] = {}
    state = "pre_key"
    key: list[str] = []
    value: list[str] = []
    key_blank_at = value_blank_at = None  # where trailing blanks began, to cut them off
    line = start_line = 1

    def push():
        name = "".join(key[:key_blank_at] if key_blank_at is not None else key)
        assigned = "".join(value)
        where = f"{source}:{start_line}"
        if not NAME.fullmatch(name):
            raise EnvironmentFileError(f"{where}: 「{name}」は環境変数の名前に使えません (英数字と _、先頭は数字以外)。")
        if CONTROL.search(assigned):
            raise EnvironmentFileError(f"{where}: {name} の値に制御文字があります。")
        values[name] = assigned

    for char in text:
        if state == "pre_key":
            if char in COMMENTS:
                state = "comment"
            elif char not in WHITESPACE:
                state, key, key_blank_at, start_line = "key", [char], None, line
        elif state == "key":
            if char in NEWLINE:
                state = "pre_key"  # a line without "=": skipped
            elif char == "=":
                state, value, value_blank_at = "pre_value", [], None
            else:
                if char not in WHITESPACE:
                    key_blank_at = None
                elif key_blank_at is None:
                    key_blank_at = len(key)
                key.append(char)
        elif state == "pre_value":
            if char in NEWLINE:
                push()
                state = "pre_key"
            elif char == "'":
                state = "single_quote"
            elif char == '"':
                state = "double_quote"
            elif char == "\\":
                state = "value_escape"
            elif char not in WHITESPACE:
                state = "value"
                value.append(char)
        elif state == "value":
            if char in NEWLINE:
                if value_blank_at is not None:
                    del value[value_blank_at:]
                push()
                state = "pre_key"
            elif char == "\\":
                state, value_blank_at = "value_escape", None
            else:
                if char not in WHITESPACE:
                    value_blank_at = None
                elif value_blank_at is None:
                    value_blank_at = len(value)
                value.append(char)
        elif state == "value_escape":
            state = "value"
            if char not in NEWLINE:  # an escaped line break joins the lines
                value.append(char)
        elif state == "single_quote":
            if char == "'":
                state = "pre_value"
            else:
                value.append(char)
        elif state == "double_quote":
            if char == '"':
                state = "pre_value"
            elif char == "\\":
                state = "double_quote_escape"
            else:
                value.append(char)
        elif state == "double_quote_escape":
            state = "double_quote"
            if char in SHELL_NEED_ESCAPE:
                value.append(char)
            elif char != "\n":
                value.extend(("\\", char))
        elif state == "comment":
            if char == "\\":
                state = "comment_escape"
            elif char in NEWLINE:
                state = "pre_key"
        elif state == "comment_escape":
            if char in NEWLINE:
                raise EnvironmentFileError(
                    f"{source}:{line}: # で始まる行が \\ で終わっています。systemd の版によって次の行の"
                    "扱いが違うため (254 より前は次の行も説明になる)、行末の \\ を消してください。"
                )
            state = "comment"
        if char == "\n":
            line += 1
    if state in ("pre_value", "value", "value_escape", "single_quote", "double_quote", "double_quote_escape"):
        if state == "value" and value_blank_at is not None:
            del value[value_blank_at:]
        push()
    return values


def with_database_name(url: str, name: str) -> str:
    """DATABASE_URL with another database: its path replaced (a file path for SQLite)."""
    parts = urlsplit(url)
    if not parts.scheme:
        raise EnvironmentFileError("DATABASE_URL がないか、URL の形ではありません。")
    rest = (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
    return f"{parts.scheme}://{parts.netloc}/{name}{rest}"


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m wardservice.envfile",
        description="環境変数ファイルを systemd の EnvironmentFile= と同じ規則で読み、その環境でコマンドを実行します。",
    )
    parser.add_argument("file", help="環境変数ファイル (例: /etc/wardservice/env)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="ファイルの値の代わりに使う値 (何度でも指定できます)")
    parser.add_argument("--database-name", metavar="NAME",
                        help="DATABASE_URL のデータベース名だけを替える (サーバー・利用者・パスワードはそのまま)")
    parser.epilog = "実行するコマンドと引数は -- のあとに書きます。"
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--" not in argv:
        parser.error("実行するコマンドを -- のあとに指定してください。")
    split = argv.index("--")
    options, command = parser.parse_args(argv[:split]), argv[split + 1:]
    if not command:
        parser.error("実行するコマンドを -- のあとに指定してください。")
    try:
        values = read(options.file)
        for assignment in options.set:
            name, equals, value = assignment.partition("=")
            if not equals or not NAME.fullmatch(name):
                raise EnvironmentFileError(f"--set {assignment}: NAME=VALUE の形で指定してください。")
            values[name] = value
        if options.database_name:
            values["DATABASE_URL"] = with_database_name(values.get("DATABASE_URL", ""), options.database_name)
    except (OSError, EnvironmentFileError) as error:
        print(f"{parser.prog}: {error}", file=sys.stderr)
        return 2
    try:
        os.execvpe(command[0], command, {**os.environ, **values})
    except OSError as error:
        print(f"{parser.prog}: {command[0]}: {error.strerror}", file=sys.stderr)
        return 127


if __name__ == "__main__":
    sys.exit(main())
