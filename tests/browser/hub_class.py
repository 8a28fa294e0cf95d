"""A class on a real JupyterHub, for ``test_hub_class.py``: accounts, the hub, each user's browser.

Everything is real: Linux accounts made with ``useradd`` and a password (PAM logs them in),
the course server's two environments from ``deploy/jupyterhub/setup.sh`` (PREFIX/envs), its
``jupyterhub_config.py`` and hooks, configurable-http-proxy, one headless Chromium per user.
The class's own folders (course, exchange, hub state) live under one temporary folder that
other accounts can reach, and everything is removed afterwards, accounts included.
"""
from __future__ import annotations

import dataclasses
import json
import os
import pwd
import secrets
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from gan_lab.course.hub.settings import HubSettings

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAB = "toy_1d"
# JupyterLab settings for each test account: every cell stays in the page, no news or update checks.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/terminal-extension/plugin": {"fontSize": 12},
}


@dataclasses.dataclass
class User:
    name: str
    role: str
    password: str = dataclasses.field(default_factory=lambda: secrets.token_urlsafe(12))
    browser: object = None

    @property
    def home(self) -> Path:
        return Path(pwd.getpwnam(self.name).pw_dir)


def run(*command: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed ({result.returncode}): {result.stdout}{result.stderr}")
    return result


def as_user(user: str, *command: str) -> subprocess.CompletedProcess:
    """``command`` run as ``user`` (runuser), from /; never fails the test by itself."""
    return run("runuser", "-u", user, "--", *command, check=False, cwd="/")


def remove_account(name: str) -> None:
    """Stop everything the account runs and delete it with its home folder (if it exists)."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    run("pkill", "-KILL", "-u", name, check=False)
    for _ in range(50):
        if run("pgrep", "-u", name, check=False).returncode != 0:
            break
        time.sleep(0.1)
    run("userdel", "--remove", name, check=False)


def write_lab_settings(user: User) -> None:
    """The account's own JupyterLab settings (owned by the account)."""
    base = user.home / ".jupyter" / "lab" / "user-settings"
    for plugin, values in LAB_SETTINGS.items():
        package, name = plugin.rsplit("/", 1)
        path = base / package / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    run("chown", "-R", f"{user.name}:", str(user.home / ".jupyter"))


def test_settings(installed: HubSettings, base: Path, port: int) -> HubSettings:
    """The installed server's environments and data, with the class's own folders and a host
    per user under hub.localhost (Chromium resolves *.localhost to the loopback address)."""
    return dataclasses.replace(
        installed, course_root=base / "course", exchange_root=base / "exchange",
        state_root=str(base / "state"), bind_url=f"http://127.0.0.1:{port}",
        subdomain_host=f"http://hub.localhost:{port}", formgrader="subdomains", admin_users=())


def hub_config(base: Path, deploy_config: Path, hub_port: int, proxy_api_port: int) -> Path:
    """The deployed configuration plus what a test needs: ports of its own, servers stopped
    with the hub."""
    path = base / "etc" / "jupyterhub_test_config.py"
    path.write_text(
        f"load_subconfig({str(deploy_config)!r})\n"
        f"c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{hub_port}'\n"
        f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{proxy_api_port}'\n"
        "c.JupyterHub.cleanup_servers = True\n"
        "c.JupyterHub.log_level = 'INFO'\n")
    return path


def wait_for_file(path: Path, *, timeout: float, what: str) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text()
        time.sleep(0.5)
    pytest.fail(f"waited {timeout:g} s for {what} ({path})")


def clean_tree(base: Path) -> None:
    shutil.rmtree(base, ignore_errors=True)


def is_root() -> bool:
    return os.geteuid() == 0


# --------------------------------------------------------------------------- the hub and its files
def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_hub(settings: HubSettings, config: Path, log: Path) -> subprocess.Popen:
    """JupyterHub as root from the staff environment (as the systemd unit starts it), ready."""
    import urllib.request

    env = {"PATH": f"{settings.staff_env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
           "GAN_LAB_HUB_SETTINGS": str(settings.path), "LANG": "C.UTF-8"}
    process = subprocess.Popen([str(settings.staff_env / "bin" / "jupyterhub"), "-f", str(config)],
                               cwd=settings.state_dir, env=env, stdout=log.open("wb"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    port = settings.bind_url.rsplit(":", 1)[1]
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterHub exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with opener.open(f"http://127.0.0.1:{port}/hub/health", timeout=2) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"JupyterHub did not answer within 60 s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the hub's process group (the proxy too; cleanup_servers stops user servers)."""
    import signal

    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def differing_sources(checkout: Path, installed: Path) -> list[str]:
    """The .py files of gan_lab that differ between this checkout and the staff environment's."""
    if checkout.resolve() == installed.resolve():
        return []
    mine = {p.relative_to(checkout): p for p in checkout.rglob("*.py")}
    theirs = {p.relative_to(installed): p for p in installed.rglob("*.py")}
    names = set(mine) | set(theirs)
    return sorted(str(name) for name in names
                  if name not in mine or name not in theirs or mine[name].read_bytes() != theirs[name].read_bytes())


def solved(course: Path, lab: str):
    """The instructor's solutions as a student hands them in."""
    import nbformat

    from gan_lab.course.nbgrader_run import solution_submission

    path = course.parent / "solved" / f"{lab}.ipynb"
    solution_submission(course / "solutions" / lab / f"{lab}.ipynb", path)
    return nbformat.read(path, as_version=4)


def notebook_json(notebook) -> dict:
    return json.loads(json.dumps(notebook))


def answered(fetched: dict, solved: dict, grade_ids=None) -> dict:
    """The fetched release with the answers of ``grade_ids`` (default: every answer) filled in:
    solution cells (code and written) take the solved notebook's source."""
    answers = {cell["metadata"]["nbgrader"]["grade_id"]: cell["source"] for cell in solved["cells"]
               if cell["metadata"].get("nbgrader", {}).get("solution")}
    for cell in fetched["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers and (grade_ids is None or grade_id in grade_ids):
            cell["source"] = answers[grade_id]
    return fetched


def gradebook_scores(course: Path, lab: str) -> dict[str, dict[str, float]]:
    """Student -> grade cell -> score, read from the course's gradebook."""
    from gan_lab.course.gradebook import scores

    import sqlite3

    students = [row[0] for row in sqlite3.connect(course / "gradebook.db").execute("select id from student")]
    return {student: {cell.name: cell.score for cell in scores(course, lab, student)} for student in students}


# --------------------------------------------------------------------------- the class in the browser
_FETCH_JS = """
const [method, path, body] = arguments; const done = arguments[arguments.length - 1];
const xsrf = (document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) || [])[1] || '';
fetch(path, {method, body: body || undefined, headers: {'Content-Type': 'application/json',
                                                     'X-XSRFToken': decodeURIComponent(xsrf)}})
  .then(r => r.text().then(text => done([r.status, text]))).catch(e => done([0, String(e)]));
"""


@dataclasses.dataclass
class Class:
    settings: HubSettings
    users: dict
    hub_url: str
    log: Path

    def user_url(self, user: User) -> str:
        host = self.hub_url.replace("//", f"//{user.name}.", 1)
        return f"{host}/user/{user.name}"

    # ----------------------------------------------------------------- JupyterLab
    def login(self, user: User) -> None:
        """PAM login on the hub's page; the server starts (and the page follows) on its own."""
        browser = user.browser
        browser.get(f"{self.hub_url}/hub/login")
        browser.wait_for(lambda: browser.find_all("#username_input, .jp-LabShell"), timeout=30,
                         what="the login form (or JupyterLab, when already logged in)")
        fields = browser.find_all("#username_input")
        if not fields:
            return
        fields[0].send_keys(user.name)
        browser.find_all("#password_input")[0].send_keys(user.password)
        browser.screenshot(f"hub-login-{user.name}.png")
        browser.find_all("#login_submit")[0].click()

    def wait_for_lab(self, user: User) -> None:
        user.browser.wait_for(lambda: user.browser.find_all(".jp-LabShell"), timeout=120,
                              what=f"{user.name}'s JupyterLab")

    def _find(self, user: User, selector: str, label: str) -> list:
        return [e for e in user.browser.find_all(selector) if e.text.strip() == label and e.is_displayed()]

    def menu(self, user: User, *path: str) -> None:
        """Click through JupyterLab's menu bar, e.g. ("Nbgrader", "Formgrader")."""
        from selenium.webdriver.common.action_chains import ActionChains

        browser = user.browser
        browser.wait_for(lambda: self._find(user, ".lm-MenuBar-item", path[0]), timeout=20,
                         what=f"the {path[0]} menu")[0].click()
        for label in path[1:]:
            item = browser.wait_for(lambda: self._find(user, ".lm-Menu-item .lm-Menu-itemLabel", label),
                                    timeout=20, what=f"{' > '.join(path)}")[0]
            ActionChains(browser.driver).move_to_element(item).perform()
            item.click()

    def api(self, user: User, method: str, path: str, body: dict | None = None) -> dict:
        """A call to the user's own server's REST API from their page (their session, their xsrf)."""
        status, text = user.browser.driver.execute_async_script(
            _FETCH_JS, method, f"/user/{user.name}/api/{path}", json.dumps(body) if body is not None else None)
        assert 200 <= status < 300, f"{method} {path} as {user.name}: {status} {text[:500]}"
        return json.loads(text) if text else {}

    def read_notebook(self, user: User, path: str) -> dict:
        return self.api(user, "GET", f"contents/{path}?content=1")["content"]

    def write_notebook(self, user: User, path: str, notebook: dict) -> None:
        self.api(user, "PUT", f"contents/{path}", {"type": "notebook", "format": "json", "content": notebook})

    # ----------------------------------------------------------------- students
    def ensure_lab(self, user: User) -> None:
        """The user's JupyterLab in the page (loaded only when another page is showing)."""
        browser = user.browser
        browser.driver.switch_to.default_content()
        if not browser.driver.current_url.startswith(f"{self.user_url(user)}/lab") or \
                not browser.find_all(".jp-LabShell"):
            browser.get(f"{self.user_url(user)}/lab")
        self.wait_for_lab(user)

    def show_tab(self, user: User, title: str) -> bool:
        """Bring the open JupyterLab tab ``title`` to the front; False when none is open."""
        tabs = [tab for tab in user.browser.find_all(".lm-DockPanel-tabBar .lm-TabBar-tab")
                if tab.text.strip() == title]
        if tabs:
            tabs[0].click()
        return bool(tabs)

    def open_assignments(self, user: User) -> None:
        """The Assignments tab (Nbgrader > Assignment List), up to date."""
        browser = user.browser
        self.ensure_lab(user)
        if self.show_tab(user, "Assignments"):
            browser.find_all("#refresh_assignments_list")[0].click()
        else:
            self.menu(user, "Nbgrader", "Assignment List")
        browser.wait_for(lambda: browser.find_all("#nbgrader-assignment-list") and
                         not [e for e in browser.find_all(".list_loading") if e.is_displayed()],
                         timeout=30, what="the Assignments tab")

    def click_button(self, user: User, label: str, lab: str) -> None:
        """Press ``label`` in the Assignments tab's row of ``lab`` and wait for the tab to change."""
        browser = user.browser
        sections = {"Fetch": ("#released_assignments_list", "#fetched_assignments_list"),
                    "Submit": ("#fetched_assignments_list", "#submitted_assignments_list"),
                    "Fetch Feedback": ("#submitted_assignments_list", "#submitted_assignments_list")}
        source, target = sections[label]

        def button():
            return [b for b in browser.find_all(f"{source} button")
                    if b.text.strip() == label and b.is_displayed() and b.is_enabled()]

        before = browser.wait_for(lambda: button() and browser.find_all(target)[0].text, timeout=60,
                                  what=f"the {label} button for {lab}")
        button()[0].click()
        if label == "Fetch Feedback":
            browser.wait_for(lambda: "(view feedback)" in browser.find_all(target)[0].text, timeout=60,
                             what=f"{lab}'s feedback in the Assignments tab")
        else:
            browser.wait_for(lambda: lab in browser.find_all(target)[0].text and
                             browser.find_all(target)[0].text != before, timeout=60,
                             what=f"{lab} after {label}")

    def validate(self, user: User, lab: str) -> str:
        """Press Validate beside the fetched notebook in the Assignments tab; the result
        dialog's text (the dialog is closed again)."""
        browser = user.browser
        toggle = browser.wait_for(lambda: browser.find_all("#fetched_assignments_list a.assignment-notebooks-link"),
                                  timeout=30, what=f"{lab}'s notebooks")[0]
        if "collapsed" in (toggle.get_attribute("class") or ""):
            toggle.click()
        button = browser.wait_for(lambda: [b for b in browser.find_all("#fetched_assignments_list .assignment-notebooks button")
                                           if b.text.strip() == "Validate" and b.is_displayed()],
                                  timeout=30, what="the Validate button")[0]
        button.click()
        dialog = browser.wait_for(lambda: [d for d in browser.find_all(".jp-Dialog")
                                           if "Validation Results" in d.text or "Success" in d.text],
                                  timeout=180, what="the validation result")[0]
        text = dialog.text
        browser.screenshot(f"hub-{user.name}-validate.png")
        dialog.find_elements("css selector", ".jp-Dialog-footer button")[-1].click()
        browser.wait_for(lambda: not browser.find_all(".jp-Dialog"), timeout=20, what="the dialog to close")
        return text

    def open_feedback(self, user: User, lab: str) -> str:
        """Follow the Assignments tab's "(view feedback)" link (the file browser opens the
        feedback folder) and open the page there; its text (the driver stays in its frame)."""
        from selenium.webdriver.common.action_chains import ActionChains

        browser = user.browser
        browser.wait_for(lambda: [a for a in browser.find_all("#submitted_assignments_list a")
                                  if "view feedback" in a.text], timeout=30, what="the feedback link")[0].click()
        item = browser.wait_for(lambda: [e for e in browser.find_all(".jp-DirListing-itemText")
                                         if e.text.strip() == f"{lab}.html"], timeout=30,
                                what=f"{lab}.html in the file browser")[0]
        ActionChains(browser.driver).double_click(item).perform()
        frame = browser.wait_for(lambda: browser.find_all(".jp-HTMLViewer iframe"), timeout=30,
                                 what="the feedback page in JupyterLab")[0]
        browser.driver.switch_to.frame(frame)
        return browser.wait_for(lambda: f"{lab} (Score" in browser.find_all("body")[0].text and
                                browser.find_all("body")[0].text, timeout=30, what="the feedback's score")

    # ----------------------------------------------------------------- staff
    def open_formgrader(self, user: User):
        """Nbgrader > Formgrader in JupyterLab (or its tab, back at Manage Assignments); the
        driver is left inside its frame."""
        browser = user.browser
        self.ensure_lab(user)
        reopened = self.show_tab(user, "Formgrader")
        if not reopened:
            self.menu(user, "Nbgrader", "Formgrader")
        frame = browser.wait_for(lambda: [f for f in browser.find_all("iframe")
                                          if f.get_attribute("src").endswith("/formgrader") and f.is_displayed()],
                                 timeout=30, what="formgrader's frame")[0]
        browser.driver.switch_to.frame(frame)
        if reopened:
            self._click_link(user, "Manage Assignments")
        browser.wait_for(lambda: "Manage Assignments" in browser.find_all("body")[0].text and
                         browser.find_all("td.name"), timeout=30,
                         what="formgrader inside JupyterLab (a blank frame means its framing is refused)")
        return frame

    def formgrader_action(self, user: User, column: str, what: str) -> str:
        """Click ``column``'s button in the lab's row of Manage Assignments; the success text."""
        browser = user.browser

        def link():
            rows = [row for row in browser.find_all("tr") if row.text.split()[:1] == [LAB]]
            return rows and rows[0].find_elements("css selector", f"td.{column} a")

        browser.wait_for(link, timeout=30, what=f"formgrader's {what} button for {LAB}")[0].click()
        modal = browser.wait_for(lambda: [m for m in browser.find_all(".modal") if m.is_displayed()
                                          and ("Success" in m.text or "Error" in m.text)],
                                 timeout=120, what=f"formgrader's answer to {what}")[0]
        text = modal.text
        assert "Success" in text, f"{what} failed in formgrader:\n{text[:3000]}"

        def closed():
            shown = [m for m in browser.find_all(".modal") if m.is_displayed()]
            for button in (b for m in shown for b in m.find_elements("css selector", ".modal-footer button")):
                browser.js("arguments[0].click()", button)  # OK (again, while the dialog fades in)
            return not shown

        browser.wait_for(closed, timeout=20, what="the dialog to close", interval=0.5)
        return text

    def terminal_command(self, user: User, command: str, *, timeout: float) -> str:
        """Type ``command`` into a new JupyterLab terminal; wait for it to finish; its output."""
        browser = user.browser
        self.ensure_lab(user)
        self.menu(user, "File", "New", "Terminal")
        keys = browser.wait_for(lambda: browser.find_all(".jp-Terminal .xterm-helper-textarea"),
                                timeout=60, what="a terminal")[0]
        marker = user.home / f".hub-test-{secrets.token_hex(4)}"
        keys.send_keys(f"({command}) 2>&1 | tee {marker}.log; echo ${{PIPESTATUS[0]}} > {marker}.rc\n")
        status = wait_for_file(Path(f"{marker}.rc"), timeout=timeout, what=f"`{command}` in the terminal")
        output = Path(f"{marker}.log").read_text()
        assert status.strip() == "0", f"`{command}` exited {status.strip()}:\n{output[-3000:]}"
        return output

    def score_written_answer(self, user: User, lab: str, student: str, grade_id: str, points: float) -> None:
        """In formgrader: Manual Grading > lab > the notebook > the student, type the points."""
        browser = user.browser  # inside formgrader's frame (open_formgrader)
        self._click_link(user, "Manual Grading")
        self._click_link(user, lab)
        self._click_link(user, lab)  # the notebook, named like the lab
        # Names are hidden while grading (Submission #1, ...): the row is found by its hidden name.
        named = browser.wait_for(lambda: [a for a in browser.find_all("td.name a.name-shown")
                                          if a.get_attribute("textContent").strip() == student],
                                 timeout=30, what=f"{student}'s submission")[0]
        link = named.find_element("xpath", "..").find_element("css selector", "a.name-hidden")
        target = link.get_attribute("href")
        link.click()
        browser.wait_for(lambda: browser.js("return location.href").startswith(target) and
                         browser.js("return document.readyState") == "complete", timeout=30,
                         what=f"{student}'s submission page")
        # formgrader binds its fields once the submission's grades have loaded (formgrade.js sets
        # grades.loaded); points typed before that are overwritten by the (empty) loaded score. Each
        # try waits for the save, and the next one types the points again.
        browser.wait_for(lambda: browser.js("return !!(window.formgrader && formgrader.grades && "
                                            "formgrader.grades.loaded && formgrader.comments.loaded)"),
                         timeout=30, what="formgrader to load the submission's grades")
        for _try in range(3):
            field = browser.wait_for(lambda: browser.find_all(f"input.score#{grade_id}"), timeout=30,
                                     what=f"the score field of {grade_id}")[0]
            field.clear()
            field.send_keys(str(points), "\t")  # formgrader saves when the field loses focus
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                if gradebook_scores(self.settings.course_root, lab).get(student, {}).get(grade_id) == points:
                    return
                time.sleep(0.3)
        browser.keep_failure()
        pytest.fail(f"formgrader did not save {points} for {student}'s {grade_id} in three tries of 15 s")

    def _click_link(self, user: User, label: str) -> None:
        """Click formgrader's link ``label`` (in the page, not the breadcrumb) and wait for the
        page it leads to."""
        browser = user.browser

        def links():
            found = [a for a in browser.find_all("a") if a.text.strip() == label and a.is_displayed()]
            in_page = [a for a in found if not a.find_elements("xpath", "ancestor::ol")]  # not breadcrumbs
            return in_page or found

        link = browser.wait_for(links, timeout=30, what=f"the link {label!r} in formgrader")[0]
        target = link.get_attribute("href")
        link.click()
        if target and not target.endswith("#"):
            browser.wait_for(lambda: browser.js("return location.href").startswith(target) and
                             browser.js("return document.readyState") == "complete", timeout=30,
                             what=f"formgrader's page {label!r}")
