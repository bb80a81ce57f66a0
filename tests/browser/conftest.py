"""Browser tests fail when a page breaks its own security policies.

Every context the browser tests open (the `page` fixture's, and any a test opens itself through
`browser.new_context`) reports Content-Security-Policy violations (the `securitypolicyviolation`
event, and Chromium's console lines for the ones no event reaches, such as a blocked frame) and
Permissions-Policy complaints. A test that caused any fails at teardown with the list, even one that
never looks at the page's errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__sagePolicyViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} on ${event.documentURI}` +
      (event.sample ? ` (${event.sample})` : ""),
  );
});
"""
_CONSOLE_MARKERS = ("Content Security Policy", "Content-Security-Policy", "Permissions-Policy", "Permissions policy")


class PolicyWatchingBrowser:
    """The session's browser, whose new contexts report policy violations into `violations`."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self.violations: list[str] = []

    def new_context(self, **options: Any) -> Any:
        context = self._browser.new_context(**options)
        context.expose_binding("__sagePolicyViolation", lambda source, text: self.violations.append(str(text)))
        context.add_init_script(_REPORT_VIOLATIONS)
        context.on("console", self._console)
        return context

    def _console(self, message: Any) -> None:
        if any(marker in message.text for marker in _CONSOLE_MARKERS):
            self.violations.append(f"console {message.type}: {message.text}")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


@pytest.fixture
def browser(browser: Any) -> PolicyWatchingBrowser:
    return PolicyWatchingBrowser(browser)


@pytest.fixture(autouse=True)
def _no_policy_violations(browser: PolicyWatchingBrowser) -> Iterator[None]:
    seen_before = len(browser.violations)
    yield
    caused = browser.violations[seen_before:]
    if caused:
        pytest.fail("The page broke its security policies:\n" + "\n".join(caused), pytrace=False)
