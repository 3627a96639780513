"""Where the management commands write the files an operator asks for (a backup, an exported
table), and the one line they print when they cannot write there.

Through deploy/wardservice-manage a command runs as the service user, in the code directory:
that user may write BACKUP_DIR and EXPORT_DIR (the service's state directory), but neither the
code directory nor root's home. So a relative `-o table.pdf`, or `--output /root/`, is refused
with a message naming the folder to use instead, rather than with a traceback.
"""

import errno
import os
import pwd
from pathlib import Path

from django.conf import settings

from wardservice.env import env_str

__all__ = ["cannot_write", "export_directory"]

_REASONS = {
    errno.EACCES: "権限がありません",
    errno.EPERM: "権限がありません",
    errno.EROFS: "読み取り専用の場所です",
    errno.ENOENT: "フォルダがありません",
    errno.ENOTDIR: "途中にフォルダでないものがあります",
    errno.EISDIR: "同じ名前のフォルダがあります",
    errno.ENOSPC: "ディスクの空きがありません",
}


def export_directory() -> Path:
    """EXPORT_DIR (in production /var/lib/wardservice/exports, under the service's state
    directory), else exports/ in the project."""
    return Path(env_str("EXPORT_DIR") or settings.BASE_DIR / "exports")


def cannot_write(path, error: OSError, *, folder: Path, setting: str) -> str:
    """One line of Japanese: `path` cannot be written, why, and where such output may go."""
    reason = _REASONS.get(error.errno) or error.strerror or type(error).__name__
    return (
        f"{Path(path).absolute()} に書き込めません ({reason})。書き出し先には {folder} ({setting}) か、"
        f"利用者 {_user()} が書き込めるフォルダを指定してください。"
    )


def _user() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # a uid without a name (a container's)
        return str(os.geteuid())
