"""A throwaway OpenLDAP server for the directory login tests (tests/test_ldap.py).

`Slapd.start(entries)` writes a slapd.conf and a small certificate authority into a temporary
folder, loads the entries with slapadd (offline, before the server starts), and runs slapd in the
foreground on two free loopback ports: ldap:// (StartTLS offered) and ldaps://. `stop()` ends it
and removes the folder. Like scripts/with-postgres, nothing outside the folder is touched.

The directory is shaped like the city's Active Directory: people are `user` entries (an
inetOrgPerson with AD's sAMAccountName and userAccountControl, from a four-line schema of the same
names and OIDs), so the tests run the Active Directory filter of docs/deployment.md, disabled bit
and all (OpenLDAP knows AD's bitwise matching rule, 1.2.840.113556.1.4.803).
"""

import base64
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SUFFIX = "dc=example,dc=jp"
PEOPLE = f"ou=people,{SUFFIX}"
SERVICES = f"ou=services,{SUFFIX}"
SBIN = "/usr/sbin:/usr/local/sbin"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")

# Active Directory's names and OIDs for the two attributes and the class the tests use.
AD_SCHEMA = """\
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
    EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
    EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.2.840.113556.1.5.9 NAME 'user' SUP inetOrgPerson STRUCTURAL
    MAY ( sAMAccountName $ userAccountControl ) )
"""

# userAccountControl: NORMAL_ACCOUNT (512), and ACCOUNTDISABLE (2) on top of it.
ENABLED = 512
DISABLED = 514


def binaries():
    """The paths of slapd and slapadd, or None when OpenLDAP's server is not installed."""
    search = f"{SBIN}:{os.environ.get('PATH', '')}"
    found = [shutil.which(name, path=search) for name in ("slapd", "slapadd")]
    return None if None in found else found


def ssha(password):
    """userPassword in OpenLDAP's salted SHA-1 form ({SSHA})."""
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


@dataclass
class Person:
    account: str  # sAMAccountName and uid
    password: str
    employee_number: str = ""
    disabled: bool = False

    @property
    def dn(self):
        return f"uid={self.account},{PEOPLE}"

    def ldif(self):
        lines = [
            f"dn: {self.dn}",
            "objectClass: user",
            f"uid: {self.account}",
            f"sAMAccountName: {self.account}",
            f"cn: {self.account}",
            f"sn: {self.account}",
            f"userAccountControl: {DISABLED if self.disabled else ENABLED}",
            f"userPassword: {ssha(self.password)}",
        ]
        if self.employee_number:
            lines.append(f"employeeNumber: {self.employee_number}")
        return "\n".join(lines)


@dataclass
class Slapd:
    folder: Path
    port: int
    tls_port: int
    ca_file: Path
    service_dn: str
    service_password: str
    process: subprocess.Popen = field(repr=False)

    @property
    def uri(self):
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_uri(self):
        # By address: libldap checks a loopback host name against the machine's own name.
        return f"ldaps://127.0.0.1:{self.tls_port}"

    @classmethod
    def start(cls, people, *, service_password="service-pass-2020", timeout=10):
        slapd, slapadd = binaries()
        folder = Path(tempfile.mkdtemp(prefix="wardservice-slapd-"))
        try:
            ca_file = _certificates(folder)
            (folder / "db").mkdir()
            (folder / "ad.schema").write_text(AD_SCHEMA)
            service_dn = f"cn=wardservice,{SERVICES}"
            (folder / "slapd.conf").write_text(_config(folder, service_dn))
            (folder / "data.ldif").write_text(_ldif(people, service_dn, service_password))
            subprocess.run(
                [slapadd, "-q", "-f", str(folder / "slapd.conf"), "-l", str(folder / "data.ldif")],
                check=True, capture_output=True, timeout=timeout,
            )
            port, tls_port = _free_port(), _free_port()
            urls = f"ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{tls_port}/"
            log = open(folder / "slapd.log", "wb")  # slapd writes to it; closed here once started
            process = subprocess.Popen(
                [slapd, "-d", "0", "-f", str(folder / "slapd.conf"), "-h", urls],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
            log.close()
            server = cls(folder, port, tls_port, ca_file, service_dn, service_password, process)
            server._wait_until_listening(timeout)
            return server
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def _wait_until_listening(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                log = (self.folder / "slapd.log").read_text(errors="replace")
                self.stop()
                raise RuntimeError(f"slapd exited with status {self.process.returncode}:\n{log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    with socket.create_connection(("127.0.0.1", self.tls_port), timeout=0.2):
                        return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("slapd did not start listening in time") from None
                time.sleep(0.02)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _certificates(folder):
    """A certificate authority and the server's certificate for localhost and 127.0.0.1."""

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=30)

    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=wardservice test CA")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (folder / "server.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext")
    return folder / "ca.pem"


def _config(folder, service_dn):
    return f"""\
include {SCHEMA_DIR / "core.schema"}
include {SCHEMA_DIR / "cosine.schema"}
include {SCHEMA_DIR / "inetorgperson.schema"}
include {folder / "ad.schema"}
modulepath {MODULE_DIR}
moduleload back_mdb
pidfile {folder / "slapd.pid"}
TLSCACertificateFile {folder / "ca.pem"}
TLSCertificateFile {folder / "server.pem"}
TLSCertificateKeyFile {folder / "server.key"}

database mdb
maxsize 16777216
suffix "{SUFFIX}"
directory {folder / "db"}
# Passwords are only compared at bind; the service account reads people, people read themselves.
access to attrs=userPassword by anonymous auth by * none
access to * by dn.exact="{service_dn}" read by self read by * none
"""


def _ldif(people, service_dn, service_password):
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: example",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: {SERVICES}\nobjectClass: organizationalUnit\nou: services",
        f"dn: {service_dn}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: wardservice\nuserPassword: {ssha(service_password)}",
        *(person.ldif() for person in people),
    ]
    return "\n\n".join(entries) + "\n"
