"""How people are named on screen and in mail."""


def person_name(user):
    """A person as Japanese staff write it, family name first (企画 進).

    Django's get_full_name() puts the given name first, which reads wrong in Japanese. Without a
    name the login name is shown; without a user (an import, a command) the step was the system's.
    """
    if user is None:
        return "システム"
    return f"{user.last_name} {user.first_name}".strip() or user.get_username()
