"""Login with the city's directory (Active Directory / LDAP): its settings, from the environment.

Off unless LDAP_SERVER_URI is set. Then wardservice/settings.py takes the AUTH_LDAP_* settings of
django-auth-ldap from `ldap_settings()`, and the directory's backend
(wardservice.ldap_backend) comes last: after django-axes', so throttling applies to directory
logins too, and after the local accounts', so that a local account (the administrators', a
ward's without a directory) logs in without asking the directory, even while it is down. A
directory account has no usable local password, so only the directory can let it in.

The person is found one of two ways:

- search (the usual one, and Active Directory's): a service account (LDAP_BIND_DN and
  LDAP_BIND_PASSWORD, or none for a directory that allows anonymous search) looks the account
  name up with LDAP_USER_SEARCH_FILTER under LDAP_USER_SEARCH_BASE; the filter also leaves out
  disabled accounts. Then the person's own password is checked by binding as the entry found.
- direct bind: LDAP_USER_DN_TEMPLATE makes the entry's name from the account name, and the
  password is checked by binding as it. No search, so disabled accounts must be refused by the
  directory itself.

The directory only checks the password and says who the person is (account name and 職員番号):
it never creates a staff record and never grants a role (wardservice.ldap_backend).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from wardservice.env import env_bool, env_str

BACKEND = "wardservice.ldap_backend.LDAPLoginBackend"

DEFAULT_NETWORK_TIMEOUT = 3  # seconds to connect (and for the TLS handshake)
DEFAULT_TIMEOUT = 5  # seconds for the directory to answer one operation (bind, search)


def ldap_settings(backends, *, production=True):
    """The settings directory login adds, or {} when LDAP_SERVER_URI is not set.

    `backends` is the list of authentication backends without the directory; the result's
    AUTHENTICATION_BACKENDS has the directory's added at the end. With
    `production`, a plain ldap:// address without StartTLS is refused: the staff's passwords
    would cross the network readable (LDAP_ALLOW_UNENCRYPTED=1 allows it deliberately).
    """
    uri = env_str("LDAP_SERVER_URI", "").strip()
    if not uri:
        return {}

    import ldap  # only with a directory: python-ldap needs the system's libldap
    from django_auth_ldap.config import LDAPSearch

    for address in uri.split():
        if not address.lower().startswith(("ldap://", "ldaps://", "ldapi://")):
            raise ImproperlyConfigured(
                f"LDAP_SERVER_URI: {address!r} is not an ldap://, ldaps:// or ldapi:// address."
            )
    start_tls = env_bool("LDAP_START_TLS", False)
    unencrypted = [a for a in uri.split() if a.lower().startswith("ldap://")] if not start_tls else []
    if production and unencrypted and not env_bool("LDAP_ALLOW_UNENCRYPTED", False):
        raise ImproperlyConfigured(
            "LDAP_SERVER_URI: passwords would be sent unencrypted to "
            f"{' '.join(unencrypted)}. Use ldaps://, or set LDAP_START_TLS=1 "
            "(LDAP_ALLOW_UNENCRYPTED=1 allows plain LDAP, on a network where that is acceptable)."
        )

    bind_dn, bind_password = env_str("LDAP_BIND_DN", "").strip(), env_str("LDAP_BIND_PASSWORD", "")
    if bind_password and not bind_dn:
        raise ImproperlyConfigured("LDAP_BIND_PASSWORD is set but LDAP_BIND_DN is not.")
    if bind_dn and not bind_password:
        raise ImproperlyConfigured("LDAP_BIND_DN is set but LDAP_BIND_PASSWORD is empty.")

    template = env_str("LDAP_USER_DN_TEMPLATE", "").strip()
    search_base = env_str("LDAP_USER_SEARCH_BASE", "").strip()
    search_filter = env_str("LDAP_USER_SEARCH_FILTER", "").strip() or "(uid=%(user)s)"
    if bool(template) == bool(search_base):
        raise ImproperlyConfigured(
            "Directory login needs exactly one of LDAP_USER_SEARCH_BASE (search for the account, "
            "with LDAP_USER_SEARCH_FILTER) and LDAP_USER_DN_TEMPLATE (bind directly)."
        )
    if template and "%(user)s" not in template:
        raise ImproperlyConfigured("LDAP_USER_DN_TEMPLATE must contain %(user)s, the account name.")
    if search_base and "%(user)s" not in search_filter:
        raise ImproperlyConfigured("LDAP_USER_SEARCH_FILTER must contain %(user)s, the account name.")
    if search_base and not (search_filter.startswith("(") and search_filter.endswith(")")):
        raise ImproperlyConfigured("LDAP_USER_SEARCH_FILTER must be an LDAP filter in parentheses.")

    number_attribute = env_str("LDAP_EMPLOYEE_NUMBER_ATTRIBUTE", "employeeNumber").strip()
    # Only the attribute the app reads: an Active Directory entry has many, photographs among them.
    attributes = [number_attribute] if number_attribute else ["1.1"]  # 1.1: no attributes

    options = {
        ldap.OPT_PROTOCOL_VERSION: ldap.VERSION3,
        # Active Directory answers a search from the domain's root with referrals to other
        # partitions, which libldap would follow (anonymously): the answer we need is the entry.
        ldap.OPT_REFERRALS: 0,
        # Connect without blocking, so that the network timeout also bounds an ldaps:// TLS
        # handshake with a server that accepts the connection and then never answers.
        ldap.OPT_CONNECT_ASYNC: 1,
        ldap.OPT_NETWORK_TIMEOUT: _env_seconds("LDAP_NETWORK_TIMEOUT", DEFAULT_NETWORK_TIMEOUT),
        ldap.OPT_TIMEOUT: _env_seconds("LDAP_TIMEOUT", DEFAULT_TIMEOUT),
        # The server's certificate is always checked (ldaps:// and StartTLS).
        ldap.OPT_X_TLS_REQUIRE_CERT: ldap.OPT_X_TLS_DEMAND,
    }
    ca_file = env_str("LDAP_CA_CERT_FILE", "").strip()
    if ca_file:
        if not (os.path.isfile(ca_file) and os.access(ca_file, os.R_OK)):
            raise ImproperlyConfigured(f"LDAP_CA_CERT_FILE: {ca_file} is not a readable file.")
        options[ldap.OPT_X_TLS_CACERTFILE] = ca_file
    options[ldap.OPT_X_TLS_NEWCTX] = 0  # last: makes the TLS options above this connection's own

    # Where the city explains how to change or reset a directory password (an intranet page),
    # linked from the password change page, which directory accounts cannot use.
    help_url = env_str("LDAP_PASSWORD_HELP_URL", "").strip()
    if help_url and not help_url.lower().startswith(("https://", "http://")):
        raise ImproperlyConfigured("LDAP_PASSWORD_HELP_URL must be an http:// or https:// address.")

    return {
        "AUTHENTICATION_BACKENDS": _with_directory(backends),
        "AUTH_LDAP_SERVER_URI": uri,
        "AUTH_LDAP_START_TLS": start_tls,
        "AUTH_LDAP_CONNECTION_OPTIONS": options,
        "AUTH_LDAP_BIND_DN": bind_dn,
        "AUTH_LDAP_BIND_PASSWORD": bind_password,
        "AUTH_LDAP_USER_SEARCH": (
            LDAPSearch(search_base, ldap.SCOPE_SUBTREE, search_filter, attrlist=attributes)
            if search_base
            else None
        ),
        "AUTH_LDAP_USER_DN_TEMPLATE": template or None,
        "AUTH_LDAP_USER_ATTRLIST": attributes,
        # The person's own bind reads their entry (direct bind has no service account).
        "AUTH_LDAP_BIND_AS_AUTHENTICATING_USER": True,
        # Staff records come from the app: the directory creates none and changes none.
        "AUTH_LDAP_NO_NEW_USERS": True,
        "AUTH_LDAP_ALWAYS_UPDATE_USER": False,
        "AUTH_LDAP_USER_ATTR_MAP": {},
        "AUTH_LDAP_MIRROR_GROUPS": None,
        "AUTH_LDAP_FIND_GROUP_PERMS": False,
        "DIRECTORY_EMPLOYEE_NUMBER_ATTRIBUTE": number_attribute,
        "DIRECTORY_PASSWORD_HELP_URL": help_url,
    }


def _with_directory(backends):
    return [*(b for b in backends if b != BACKEND), BACKEND]


def _env_seconds(name, default):
    raw = env_str(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number of seconds, got {raw!r}") from None
    if not 0 < value <= 60:
        raise ImproperlyConfigured(f"{name} must be more than 0 and at most 60 seconds, got {raw!r}")
    return value
