"""Login with the city's directory: the authentication backend (settings: wardservice.ldap_login).

The directory checks the password and says who the person is; the app decides whether they may
come in and what they may do:

- The directory account is matched to a staff record that already exists: by 職員番号 (the
  directory's LDAP_EMPLOYEE_NUMBER_ATTRIBUTE against `staff_profile.employee_number`) when the
  entry has one and a staff record has it, else by account name (the username, in any case).
  Nobody unknown to the app gets in, and no record is ever created.
- An inactive staff record (退職・転出) cannot log in, and its open sessions end at their next
  request (get_user).
- A system administrator (is_superuser) never logs in through the directory: those accounts
  stay local, for when the directory is down, and a directory account that happens to have the
  same name cannot become one.
- Nothing about the person is copied from the directory: names, departments and roles are the
  app's (departments.Membership), and is_staff / is_superuser are never touched.
- A staff record that logs in through the directory is a directory account from then on: its
  local password, if it had one, is made unusable, so that the directory alone decides (an
  account disabled there cannot come in through an old local password), and the password change
  page is closed to it (wardservice.accounts).

When the directory cannot be reached (down, a timeout, a TLS certificate refused), the error is
logged by django-auth-ldap and noted on the request, and the login page says so in Japanese
instead of "wrong password" (wardservice.accounts.LoginForm). Local accounts still log in: their
backend comes first and never asks the directory (wardservice.ldap_login).
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django_auth_ldap.backend import LDAPBackend, ldap_error

from departments.staff.forms import normalise_employee_number
from wardservice.accounts import UNAVAILABLE

logger = logging.getLogger(__name__)


class LDAPLoginBackend(LDAPBackend):
    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is None:
            return None
        if not user.is_active:
            logger.info("Directory login refused: the staff record of %s is inactive", user.get_username())
            return None
        if user.is_superuser:
            logger.warning(
                "Directory login refused: %s is a system administrator, whose account is local only",
                user.get_username(),
            )
            return None
        if user.has_usable_password():
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None

    def get_or_build_user(self, username, ldap_user):
        """The staff record the directory account belongs to; an unsaved one (refused, as
        AUTH_LDAP_NO_NEW_USERS says) when there is none."""
        number = _employee_number(ldap_user.attrs or {})
        user = staff_user_for(username, number)
        if user is None:
            logger.info(
                "Directory login refused: no staff record for account %r (職員番号 %r)", username, number
            )
            return self.get_user_model()(username=username), True
        return user, False


def staff_user_for(account, employee_number=""):
    """The staff record of a directory account, or None when there is none or it is not clear
    which: 職員番号 first (a number names one person, and stays when an account is renamed),
    then the account name. A record found by name whose own 職員番号 differs from the
    directory's is someone else, and is refused. An inactive record may be returned: the
    backend refuses it (and says so in the log)."""
    users = get_user_model().objects.select_related("staff_profile")
    if employee_number:
        # Unique in an office; in two offices of one installation, the active record is the
        # person's present one (the other, inactive, is from before a transfer).
        by_number = list(
            users.filter(staff_profile__employee_number=employee_number).order_by("-is_active", "pk")[:2]
        )
        if len(by_number) == 2 and by_number[1].is_active:
            logger.warning(
                "Directory login refused: 職員番号 %r belongs to more than one active staff record",
                employee_number,
            )
            return None
        if by_number:
            return by_number[0]
    by_name = list(users.filter(username__iexact=account)[:3])
    if len(by_name) > 1:  # names differing only in case: only the exact one is meant
        by_name = [user for user in by_name if user.get_username() == account]
    if len(by_name) != 1:
        return None
    user = by_name[0]
    recorded = getattr(getattr(user, "staff_profile", None), "employee_number", "")
    if employee_number and recorded and recorded != employee_number:
        logger.warning(
            "Directory login refused: account %r has 職員番号 %r in the directory but %r in the app",
            account, employee_number, recorded,
        )
        return None
    return user


def _employee_number(attrs):
    attribute = getattr(settings, "DIRECTORY_EMPLOYEE_NUMBER_ATTRIBUTE", "")
    values = attrs.get(attribute) if attribute else None
    return normalise_employee_number(values[0]) if values else ""


def _note_unavailable(sender, context, request=None, exception=None, **kwargs):
    if request is not None:
        setattr(request, UNAVAILABLE, True)


ldap_error.connect(_note_unavailable, sender=LDAPLoginBackend, dispatch_uid="wardservice-ldap-unavailable")
