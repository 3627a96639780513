class GoalsError(Exception):
    """A step that is not allowed now; the message is Japanese and shown to the person as is."""


class StaleSheetError(GoalsError):
    """Someone else saved the sheet since this person opened it (optimistic locking)."""

    def __init__(self, message, *, sheet):
        super().__init__(message)
        self.sheet = sheet


def refuse(refusal: str | None):
    """Raise GoalsError with a refusal from the rule book (goals.rules), if there is one."""
    if refusal:
        raise GoalsError(refusal)
