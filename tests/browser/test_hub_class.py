"""A real class on a real JupyterHub, in the browser, end to end (issue: the class on a hub).

Four Linux accounts log in through PAM, each in a headless Chromium of their own, on the course
server that ``deploy/jupyterhub/setup.sh`` set up (its two environments and JupyterHub
configuration), with per-user hosts under ``hub.localhost``:

1. the instructor releases the toy lab with formgrader's buttons, inside JupyterLab;
2. each student fetches it in the Assignments tab, answers (Ann every TODO, Bob two of five),
   presses Validate and submits;
3. the instructor, in a JupyterLab terminal, collects and runs ``gan-lab autograde`` (the
   bubblewrap sandbox, as their own account, not root);
4. the grader scores a written answer in formgrader inside JupyterLab; the instructor generates
   and releases the feedback there;
5. each student fetches the feedback and opens it;
6. the gradebook holds exactly the expected scores.

A second test checks what students cannot reach. Screenshots land in ``test-artifacts/hub-*.png``.
Skipped, with the reason, when not root, without Chromium, or without the course server
(``.ci/run`` sets it up).
"""
from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

import hub_class as hc
from conftest import start_chromium
from gan_lab.course.nbgrader_run import REPO

pytestmark = pytest.mark.slow
LAB = hc.LAB
# The course server to test: deploy/jupyterhub/setup.sh's settings (.ci/run sets up its own).
INSTALLED_SETTINGS = Path(os.environ.get("GAN_LAB_TEST_HUB", "/opt/gan-lab/etc/hub.json"))
DEPLOY_CONFIG = REPO / "deploy" / "jupyterhub" / "jupyterhub_config.py"
# Bob answers these TODOs and the first question, and leaves the rest as released.
BOB_ANSWERS = ("get-distribution-sampler", "get-generator-input-sampler", "generator", "question-1")
AUTOGRADED = {"get-distribution-sampler-tests": 1, "get-generator-input-sampler-tests": 1,
              "generator-tests": 2, "discriminator-tests": 2, "decorate-with-diffs-tests": 2}
WRITTEN = ("question-1", "question-2", "question-3")


# --------------------------------------------------------------------------- the class
@pytest.fixture(scope="module")
def hub(browser_binaries, tmp_path_factory):
    """The course server's hub for one class: accounts, folders, JupyterHub; all removed after."""
    from gan_lab.course.hub import accounts, provision
    from gan_lab.course.hub.environments import student_env_problem
    from gan_lab.course.hub.settings import HubSettings

    if not hc.is_root():
        pytest.skip("the hub test creates Linux accounts and runs JupyterHub with PAM: run it as root")
    if not INSTALLED_SETTINGS.is_file():
        pytest.skip(f"no course server here ({INSTALLED_SETTINGS} is missing): run "
                    "deploy/jupyterhub/setup.sh --lab toy_1d (.ci/run does)")
    installed = HubSettings.load(INSTALLED_SETTINGS)
    staff_code = Path(hc.run(str(installed.staff_env / "bin" / "python"), "-c",
                             "import gan_lab, os; print(os.path.dirname(gan_lab.__file__))", cwd="/").stdout.strip())
    stale = hc.differing_sources(REPO / "gan_lab", staff_code)
    if stale:
        pytest.fail(f"the course server's staff environment imports gan_lab from {staff_code}, which "
                    f"differs from this checkout ({', '.join(stale[:5])}): update that course folder "
                    "(git pull) and rerun deploy/jupyterhub/setup.sh")
    if student_env_problem(installed.student_env, LAB):
        provision.next_lab(installed, LAB, say=lambda _line: None)

    base = Path(f"/srv/gan-lab-hub-test-{hc.secrets.token_hex(3)}")
    base.mkdir(mode=0o755)
    port, hub_port, proxy_port = (hc.free_port() for _ in range(3))
    (base / "etc").mkdir()
    hc.test_settings(installed, base, port).save(base / "etc" / "hub.json")
    settings = HubSettings.load(base / "etc" / "hub.json")
    course = settings.course_root
    course.mkdir()
    shutil.copytree(REPO / "solutions" / LAB, course / "solutions" / LAB)
    shutil.copy(REPO / "nbgrader_config.py", course)
    provision.course_folder(settings, say=lambda _line: None)
    provision.exchange(settings, say=lambda _line: None)
    settings.state_dir.mkdir(mode=0o700)

    users = {user.name: user for user in (hc.User("glteach", "instructors"), hc.User("glgrade", "graders"),
                                          hc.User("glann", "students"), hc.User("glbob", "students"))}
    server = None
    try:
        for user in users.values():
            hc.remove_account(user.name)  # left over from an interrupted run
            accounts.add_user(settings, user.name, user.role, password=user.password)
            hc.write_lab_settings(user)
        config = hc.hub_config(base, DEPLOY_CONFIG, hub_port, proxy_port)
        server = hc.start_hub(settings, config, base / "hub.log")
        for user in users.values():
            profile = tmp_path_factory.mktemp(f"chromium-{user.name}")
            user.browser = start_chromium(browser_binaries, profile, profile / "driver.log", localhost_names=True)
        yield hc.Class(settings, users, f"http://hub.localhost:{port}", base / "hub.log")
    finally:
        for user in users.values():
            if user.browser is not None:
                user.browser.driver.quit()
        if server is not None:
            hc.stop(server)
            shutil.copy(base / "hub.log", hc.ARTIFACTS / "hub.log")  # the hub's and servers' log
        for user in users.values():
            hc.remove_account(user.name)
        hc.clean_tree(base)


def test_a_class_releases_submits_grades_and_reads_feedback_on_the_hub(hub):
    teach, grade, ann, bob = (hub.users[name] for name in ("glteach", "glgrade", "glann", "glbob"))
    started = time.monotonic()
    for user in hub.users.values():  # every server starts while the others log in
        hub.login(user)
    for user in hub.users.values():
        hub.wait_for_lab(user)
    print(f"four logins and servers: {time.monotonic() - started:.1f} s")

    # 1. The instructor generates and releases the lab with formgrader's buttons, in JupyterLab.
    frame = hub.open_formgrader(teach)
    hub.formgrader_action(teach, "assign", "Generate")
    hub.formgrader_action(teach, "release", "Release")
    teach.browser.screenshot("hub-instructor-formgrader-released.png")
    teach.browser.driver.switch_to.default_content()
    assert frame

    # 2. Each student fetches, answers, validates and submits.
    solved = hc.notebook_json(hc.solved(hub.settings.course_root, LAB))
    for student, answers in ((ann, None), (bob, BOB_ANSWERS)):
        hub.open_assignments(student)
        hub.click_button(student, "Fetch", LAB)
        fetched = hub.read_notebook(student, f"{LAB}/{LAB}.ipynb")
        hub.write_notebook(student, f"{LAB}/{LAB}.ipynb", hc.answered(fetched, solved, answers))
        result = hub.validate(student, LAB)
        if answers is None:
            assert "Success! Your notebook passes all the tests." in result, result
        else:
            assert "NotImplementedError" in result, result
        hub.open_assignments(student)
        hub.click_button(student, "Submit", LAB)
        student.browser.screenshot(f"hub-{student.name}-submitted.png")

    # 3. The instructor collects and grades in a terminal of their own server.
    log = hub.terminal_command(teach, f"nbgrader collect {LAB} && gan-lab autograde {LAB} --jobs 2",
                               timeout=240)
    teach.browser.screenshot("hub-instructor-terminal-autograde.png")
    assert re.search(r"glann\s+8 / 8", log) and re.search(r"glbob\s+4 / 8", log), log

    # 4. The grader scores Ann's and Bob's first written answer in formgrader.
    hub.open_formgrader(grade)
    hub.score_written_answer(grade, LAB, "glann", "question-1", 2)
    hub.score_written_answer(grade, LAB, "glbob", "question-1", 1)
    grade.browser.screenshot("hub-grader-manual-grading.png")
    grade.browser.driver.switch_to.default_content()

    # ... and the instructor generates and releases the feedback.
    hub.open_formgrader(teach)
    hub.formgrader_action(teach, "generate-feedback", "Generate Feedback")
    hub.formgrader_action(teach, "release-feedback", "Release Feedback")
    teach.browser.driver.switch_to.default_content()

    # 5. Each student fetches the feedback and opens it.
    for student, total in ((ann, "10.0 / 14.0"), (bob, "5.0 / 14.0")):
        hub.open_assignments(student)
        hub.click_button(student, "Fetch Feedback", LAB)
        page = hub.open_feedback(student, LAB)
        assert f"{LAB} (Score: {total})" in page, page[:2000]
        student.browser.driver.switch_to.default_content()
        student.browser.screenshot(f"hub-{student.name}-feedback.png")

    # 6. The gradebook holds exactly these scores.
    scores = hc.gradebook_scores(hub.settings.course_root, LAB)
    assert scores["glann"] == {**AUTOGRADED, "question-1": 2, "question-2": 0, "question-3": 0}
    assert scores["glbob"] == {**AUTOGRADED, "discriminator-tests": 0, "decorate-with-diffs-tests": 0,
                               "question-1": 1, "question-2": 0, "question-3": 0}
    print(f"the whole class: {time.monotonic() - started:.1f} s")


def test_students_reach_neither_formgrader_nor_the_course_nor_each_other(hub):
    ann, bob, teach = hub.users["glann"], hub.users["glbob"], hub.users["glteach"]
    settings = hub.settings
    # formgrader is not served to students at all (Ann logs in first when this test runs alone),
    ann.browser.get(f"{hub.user_url(ann)}/formgrader")
    if ann.browser.find_all("#username_input"):
        hub.login(ann)
        hub.wait_for_lab(ann)
        ann.browser.get(f"{hub.user_url(ann)}/formgrader")
    assert "404" in ann.browser.driver.title or "404" in ann.browser.find_all("body")[0].text
    ann.browser.screenshot("hub-student-no-formgrader.png")
    # nor another user's server.
    ann.browser.get(f"{hub.user_url(bob)}/lab")
    body = ann.browser.wait_for(lambda: ann.browser.find_all("body")[0].text, timeout=30, what="a page")
    assert "403" in body or "don't have access" in body.lower() or "Forbidden" in body, body[:500]
    # On disk, as her own account: not the course folder, not Bob's home, not the staff environment.
    for path in (settings.course_root / "solutions", bob.home, settings.staff_env, teach.home):
        listing = hc.as_user(ann.name, "ls", str(path))
        assert listing.returncode != 0 and "Permission denied" in listing.stderr, (path, listing)
    python = str(settings.student_env / "bin" / "python")
    grader = hc.as_user(ann.name, python, "-c", "import gan_lab.grading")
    assert "No module named 'gan_lab.grading'" in grader.stderr, grader
    doctor = hc.as_user(ann.name, "env", "GAN_LAB_ROLE=students", f"GAN_LAB_DATA={settings.data_root}",
                        str(settings.student_env / "bin" / "gan-lab"), "doctor")
    assert "Course role: students; gan_lab 0.1.0+student.toy.1d (the student build" in doctor.stdout, doctor
    assert "MNIST: ready in" in doctor.stdout and doctor.returncode == 0, doctor
