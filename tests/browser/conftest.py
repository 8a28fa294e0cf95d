"""Real-browser fixtures: headless Chromium driven by Selenium, and local servers to point it at.

Every server listens on 127.0.0.1 only and is stopped by its fixture's finalizer. Chromium maps
every host name except 127.0.0.1 to "not found", and ``assert_loopback_only`` checks afterwards
that the page asked for nothing else. Without /usr/bin/chromium, /usr/bin/chromedriver or the
``selenium`` package, every browser test skips (``tests/browser/install.sh`` installs them).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gan_lab.course.nbgrader_run import REPO

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = REPO / "test-artifacts"  # screenshots kept for people to look at (git-ignored)
VENV_BIN = Path(sys.executable).parent  # the venv running pytest: tensorboard, jupyter, nbgrader
WINDOW = (1400, 1000)

# Headless Chromium on the lab machines refuses connections en masse without the
# background-networking flags; the resolver rule keeps every page on the loopback interface.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
)

# Every element matching a CSS selector, looking inside shadow roots too (TensorBoard's
# dashboards are Polymer components, so document.querySelectorAll alone finds nothing).
DEEP_QUERY_JS = """
const [selector, start] = arguments;
const found = [];
function walk(node) {
  if (node.nodeType === 1) {
    if (node.matches(selector)) found.push(node);
    if (node.shadowRoot) walk(node.shadowRoot);
  }
  for (const child of node.children || []) walk(child);
}
walk(start || document);
return found;
"""

# The text a person sees under an element, shadow DOM included, style sheets left out.
DEEP_TEXT_JS = """
const parts = [];
function walk(node) {
  if (node.nodeType === 3) { const text = node.textContent.trim(); if (text) parts.push(text); return; }
  if (node.nodeType === 1 && ['STYLE', 'SCRIPT', 'TEMPLATE'].includes(node.tagName)) return;
  if (node.shadowRoot) walk(node.shadowRoot);
  for (const child of node.childNodes) walk(child);
}
walk(arguments[0]);
return parts.join(' ');
"""


@pytest.fixture(scope="session")
def browser_binaries():
    """Skip the test when there is no browser to drive; otherwise (chromium, chromedriver)."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        pytest.skip(f"browser tests need {' and '.join(missing)}; run tests/browser/install.sh "
                    "(Debian packages chromium and chromium-driver)")
    pytest.importorskip("selenium", reason="browser tests need selenium; run tests/browser/install.sh")
    return CHROMIUM, CHROMEDRIVER


def is_loopback_ip(host: str) -> bool:
    return host == "127.0.0.1"


def start_chromium(browser_binaries, profile: Path, log: Path, *, localhost_names: bool = False) -> "Browser":
    """A headless Chromium with a fresh profile. With ``localhost_names``, ``localhost`` and
    every ``*.localhost`` host resolve too (Chromium maps them to the loopback address itself),
    for a hub that serves each user on a host of their own; every other name stays unresolved."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = browser_binaries
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)  # with both paths given, Selenium Manager never runs
    for flag in CHROMIUM_FLAGS:
        if localhost_names and flag.startswith("--host-resolver-rules="):
            flag += " , EXCLUDE localhost , EXCLUDE *.localhost"
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    # The performance log records every request, for Browser.assert_loopback_only.
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(chromedriver), log_output=str(log)), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    allowed = is_loopback_name if localhost_names else is_loopback_ip
    return Browser(driver, allowed)


def is_loopback_name(host: str) -> bool:
    return host in ("127.0.0.1", "localhost") or host.endswith(".localhost")


@pytest.fixture(scope="session")
def browser(browser_binaries, tmp_path_factory):
    """One headless Chromium for the whole session, with a fresh profile; quit at the end."""
    browser = start_chromium(browser_binaries, tmp_path_factory.mktemp("chromium-profile"),
                             tmp_path_factory.mktemp("chromedriver") / "chromedriver.log")
    try:
        yield browser
    finally:
        browser.driver.quit()


class Browser:
    """The Selenium driver plus what these tests do with it: deep queries, bounded waits, screenshots."""

    def __init__(self, driver, allowed_host: Callable[[str], bool] = is_loopback_ip):
        self.driver = driver
        self.allowed_host = allowed_host

    def get(self, url: str) -> None:
        parts = urlsplit(url)
        assert parts.scheme == "file" or self.allowed_host(parts.hostname or ""), \
            f"the browser only visits local files and the loopback interface, not {url}"
        self.driver.get(url)

    def find_all(self, css: str) -> list:
        """Elements matching the CSS selector ``css`` in the page (light DOM)."""
        return self.driver.find_elements("css selector", css)

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def deep_query(self, selector: str, start=None) -> list:
        """Elements matching ``selector`` under ``start`` (default: the page), shadow DOM included."""
        return self.js(DEEP_QUERY_JS, selector, start)

    def deep_text(self, element) -> str:
        """The visible words under ``element``, shadow DOM included, separated by single spaces."""
        return self.js(DEEP_TEXT_JS, element)

    def wait_for(self, condition: Callable[[], object], *, timeout: float, what: str,
                 interval: float = 0.25):
        """Poll ``condition`` until it returns something truthy; fail saying ``what`` never happened."""
        from selenium.common.exceptions import WebDriverException

        deadline = time.monotonic() + timeout
        last_error: WebDriverException | None = None
        while time.monotonic() < deadline:
            try:
                result = condition()
            except WebDriverException as exc:  # the page is still rendering: stale elements
                last_error, result = exc, None
            if result:
                return result
            time.sleep(interval)
        detail = f" (last error: {type(last_error).__name__}: {last_error})" if last_error else ""
        self.keep_failure()
        pytest.fail(f"waited {timeout:g} s for {what}{detail}")

    def keep_failure(self) -> None:
        """The page as it was when a wait failed: test-artifacts/last-failure.png and .html."""
        from selenium.common.exceptions import WebDriverException

        try:
            self.screenshot("last-failure.png")
            (ARTIFACTS / "last-failure.html").write_text(self.driver.page_source)
        except WebDriverException:
            pass  # the browser is gone: nothing to keep

    def screenshot(self, name: str) -> Path:
        """Write the visible page to test-artifacts/``name`` and return the path."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        assert self.driver.save_screenshot(str(path)), f"Chromium could not write {path}"
        return path

    def forget_requests(self) -> None:
        """Drop the requests recorded so far (a page that is not ours, e.g. nbgrader's feedback
        page asking a CDN for MathJax, must not count against the next one)."""
        self.driver.get_log("performance")

    def assert_loopback_only(self) -> None:
        """Has every request the page made since the last call gone to 127.0.0.1?"""
        outside = set()
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") != "Network.requestWillBeSent":
                continue
            url = message["params"]["request"]["url"]
            parts = urlsplit(url)
            if parts.scheme in ("http", "https", "ws", "wss") and not self.allowed_host(parts.hostname or ""):
                outside.add(url)
        assert not outside, f"the page asked for addresses off the loopback interface: {sorted(outside)}"


# --------------------------------------------------------------------------- servers
@pytest.fixture(scope="session")
def servers(browser_binaries):
    """What the server fixtures need: ports, environment, start/stop (no browser: skipped)."""
    return ServerKit()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# No proxy, whatever the environment says: the servers are on the loopback interface.
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url: str, timeout: float = 5.0) -> bytes:
    """The body of a GET on a local server; raises on HTTP errors and refused connections."""
    assert urlsplit(url).hostname == "127.0.0.1", f"tests only talk to 127.0.0.1, not {url}"
    with _LOCAL.open(url, timeout=timeout) as response:
        return response.read()


class Server:
    """A server subprocess started in its own process group, its output kept in a log file."""

    def __init__(self, name: str, argv: list[str], *, cwd: Path, env: dict[str, str], log: Path):
        self.name, self.log = name, log
        self._log_file = open(log, "wb")  # noqa: SIM115 (open while the server runs; stop() closes it)
        self.process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=self._log_file,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def wait_until(self, ready: Callable[[], bool], *, timeout: float, what: str) -> None:
        """Poll ``ready`` until True; fail with the server's log when it exits or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.process.returncode} before {what}:\n"
                            f"{self.log_tail()}")
            try:
                if ready():
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
                pass  # not listening yet, or not ready to answer
            time.sleep(0.25)
        pytest.fail(f"{self.name} did not get to {what} within {timeout:g} s:\n{self.log_tail()}")

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM to the server's process group (kernels included), SIGKILL after ``grace`` s."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(grace)
        self._log_file.close()


def server_env(**extra: str) -> dict[str, str]:
    """The test's environment with the venv's tools first on PATH and no proxy."""
    env = {key: value for key, value in os.environ.items()
           if key.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


class ServerKit:
    """The server helpers, handed to test modules as the ``servers`` fixture."""

    bin = VENV_BIN
    free_port = staticmethod(free_port)
    http_get = staticmethod(http_get)
    env = staticmethod(server_env)
    Server = Server
