"""The Content-Security-Policy as a browser test sees it: the header every page sends, and a
listener that reports each violation on the console.

The listener is injected by the driver before any page script (an init script is not subject to
the page's policy) and reports on the console, so that none is lost when a page navigates away.
Used by the walk through every page (tests/browser/site_walk.py) and by tests/browser/test_csp.py.
"""

DIRECTIVES = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}
VIOLATION = "CSP violation:"
LISTEN_FOR_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + JSON.stringify({
    directive: event.violatedDirective, blocked: event.blockedURI, sample: event.sample,
    source: event.sourceFile, line: event.lineNumber, page: document.location.pathname,
  }));
});
"""


def policy_problem(response):
    """What is wrong with a document's Content-Security-Policy header, or None."""
    policy = response.headers.get("content-security-policy", "")
    if {part.strip() for part in policy.split(";") if part.strip()} != DIRECTIVES:
        return f"{response.url}: Content-Security-Policy {policy!r}"
    return None
