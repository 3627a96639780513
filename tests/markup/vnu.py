"""The Nu Html Checker (vnu.jar from the `vnu-jar` npm package) as a test helper.

`make setup` installs the jar (`npm ci`, see package.json) and Java (`default-jre-headless`).
All documents are checked in one `java` process: starting the JVM costs about a second.
"""

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = PROJECT_ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

# Message types: "error", "info" (subType "warning" for warnings) and "non-document-error"
# (the checker could not read or check the document).
ERROR_TYPES = {"error", "non-document-error"}


@dataclass(frozen=True)
class Message:
    type: str
    sub_type: str
    text: str
    line: int | None
    column: int | None
    extract: str

    @property
    def is_error(self):
        return self.type in ERROR_TYPES

    def __str__(self):
        where = f"line {self.line}, column {self.column}" if self.line else "document"
        kind = self.sub_type or self.type
        extract = f"\n      {self.extract.strip()!r}" if self.extract else ""
        return f"  [{kind}] {where}: {self.text}{extract}"


def missing_tools():
    """Why the checker cannot run here (a sentence), or None when it can."""
    if shutil.which("java") is None:
        return "`java` not found: install Java 17+ (`make setup` installs default-jre-headless)"
    if not VNU_JAR.is_file():
        return f"{VNU_JAR.relative_to(PROJECT_ROOT)} not found: run `make setup` (npm ci)"
    return None


def check(documents):
    """Check HTML documents ({name: bytes}) and return {name: [Message, ...]}."""
    with tempfile.TemporaryDirectory(prefix="vnu-") as tmp:
        files = {}
        for i, (name, html) in enumerate(documents.items()):
            path = Path(tmp) / f"document-{i}.html"
            path.write_bytes(html)
            files[path.name] = name
        proc = subprocess.run(
            ["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout", "--exit-zero-always",
             *(str(Path(tmp) / f) for f in files)],
            capture_output=True,
            timeout=300,
            check=False,
        )
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        raise RuntimeError(
            f"vnu.jar exited with status {proc.returncode} without a JSON report "
            f"(it needs Java 17+):\n{proc.stdout.decode(errors='replace')}"
            f"{proc.stderr.decode(errors='replace')}"
        ) from None
    results = {name: [] for name in documents}
    for raw in report["messages"]:
        file_name = raw.get("url", "").rsplit("/", 1)[-1]
        if file_name not in files:
            raise RuntimeError(f"vnu.jar reported on something that was not given to it: {raw}")
        results[files[file_name]].append(
            Message(
                type=raw["type"],
                sub_type=raw.get("subType", ""),
                text=raw.get("message", ""),
                line=raw.get("lastLine"),
                column=raw.get("firstColumn"),
                extract=raw.get("extract", ""),
            )
        )
    return results


def format_messages(messages):
    return "\n".join(str(m) for m in messages)
