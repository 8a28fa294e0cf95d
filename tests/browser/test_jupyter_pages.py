"""JupyterLab in a real browser: a student of the Chinese edition runs the solved lab 1, and a
Chinese feedback page shows Chinese and its figures (formgrader, with every role's account, is
tests/browser/test_hub_class.py; the other labs run in kernels in tests/test_notebooks.py and
tests/test_student_build.py, and this run is lab 1's)."""
import json
import os
import re
import secrets
import shutil

import nbformat
import pytest

from gan_lab.course.nbgrader_run import REPO, solution_submission

LAB = "mlp_gan"
NOTEBOOK = f"student/{LAB}.ipynb"  # the solved lab inside the course folder the server shows
# JupyterLab settings for a test profile: every cell stays in the page (the default windowing
# drops cells scrolled out of view), and no news or update checks that would leave the machine.
KERNEL_STATUS = ".jp-StatusBar-TextItem[title^='Change kernel']"  # "Python 3 (ipykernel) | Idle"
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}


LANGUAGE = "zh_CN"
CHINESE_LAB = "toy_1d"  # the lab tests/conftest.py grades in Chinese (graded_chinese)
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def course_root(servers, tmp_path_factory):
    """A course folder with a Chinese student's solved copy of lab 1 (the Chinese source, made
    from solutions/ and translations/ as `gan-lab release --lang zh_CN` makes it)."""
    from gan_lab.course.i18n.release import translated_source

    root = tmp_path_factory.mktemp("jupyter-course")
    shutil.copytree(REPO / "solutions", root / "solutions")
    shutil.copy(REPO / "nbgrader_config.py", root)
    source = root / "solutions-zh_CN" / LAB / f"{LAB}.ipynb"
    source.parent.mkdir(parents=True)
    nbformat.write(translated_source(LAB, LANGUAGE).notebook, source)
    solution_submission(source, root / NOTEBOOK)
    for picture in (REPO / "solutions" / LAB).glob("*.png"):  # the handout's figures, beside it
        shutil.copy(picture, root / NOTEBOOK.rsplit("/", 1)[0])
    return root


@pytest.fixture(scope="module")
def jupyter_lab(servers, course_root, small_mnist, tmp_path_factory):
    """``jupyter lab`` on a free loopback port, rooted at the course folder; (URL, token)."""
    home = tmp_path_factory.mktemp("jupyter-home")  # config, settings, runtime: nothing of ~/.jupyter
    for plugin, values in LAB_SETTINGS.items():
        package, name = plugin.rsplit("/", 1)
        path = home / "config" / "lab" / "user-settings" / package / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = servers.env(
        JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / "ipython"),
        # The kernel trains a few steps on the 64-digit set, offline.
        GAN_LAB_SMOKE="1", GAN_LAB_OFFLINE="1", GAN_LAB_MNIST_DIR=str(small_mnist / "MNIST" / "raw"),
        GAN_LAB_LANGUAGE=LANGUAGE)
    port, token = servers.free_port(), secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}"
    server = servers.Server("jupyter lab", [
        str(servers.bin / "jupyter"), "lab", "--no-browser", "--ip", "127.0.0.1", "--port", str(port),
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course_root}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        *(["--allow-root"] if os.geteuid() == 0 else []),  # CI containers run as root
    ], cwd=course_root, env=env, log=home / "jupyter.log")
    try:
        server.wait_until(lambda: json.loads(servers.http_get(f"{url}/api/status?token={token}")),
                          timeout=60, what="answer /api/status")
        yield url, token
    finally:
        server.stop()


def click_menu(browser, menu: str, item: str) -> None:
    """Open ``menu`` in JupyterLab's menu bar and click ``item``, as a person would."""
    def find(selector, label):
        return [element for element in browser.find_all(selector)
                if element.text.strip() == label and element.is_displayed()]

    browser.wait_for(lambda: find(".lm-MenuBar-item", menu), timeout=10, what=f"the {menu} menu")[0].click()
    browser.wait_for(lambda: find(".lm-Menu-item", item), timeout=10, what=f"{menu} > {item}")[0].click()


def kernel_idle(browser):
    """A condition: the notebook's kernel is connected and idle, as the status bar says. (The
    toolbar's execution indicator says idle before any kernel is there; Run All then asks which
    kernel to start.)"""
    def idle():
        return [item for item in browser.find_all(KERNEL_STATUS)
                if item.text.endswith("| Idle") and not item.text.startswith("No Kernel")]
    return idle


def test_solved_lab_runs_all_cells_in_jupyterlab_without_errors(browser, jupyter_lab, course_root):
    """Does Run > Run All Cells on the solved lab 1 finish with every cell numbered and no error shown?"""
    url, token = jupyter_lab
    notebook = nbformat.read(course_root / NOTEBOOK, as_version=4)
    code_cells = sum(cell.cell_type == "code" for cell in notebook.cells)
    browser.get(f"{url}/lab/tree/{NOTEBOOK}?token={token}")
    prompts = ".jp-Notebook .jp-CodeCell .jp-InputArea-prompt"
    browser.wait_for(lambda: len(browser.find_all(prompts)) == code_cells,
                     timeout=60, what=f"the notebook's {code_cells} code cells in the page")
    browser.wait_for(kernel_idle(browser), timeout=60, what="the kernel to connect and go idle")
    counts = [element.text for element in browser.find_all(prompts)]
    assert not any(re.search(r"\d", count) for count in counts), f"cells already ran: {counts}"

    click_menu(browser, "Run", "Run All Cells")

    stderr_outputs = '.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]'

    def finished_or_failed():
        """Every cell numbered and the kernel idle; or an error shown (Run All stops there)."""
        counts = [element.text.strip() for element in browser.find_all(prompts)]
        idle = kernel_idle(browser)()
        return (all(re.fullmatch(r"\[\d+\]:", count) for count in counts) and idle) or \
            browser.find_all(stderr_outputs)

    browser.wait_for(finished_or_failed, timeout=300, interval=0.5,  # the graded set-ups share the cores
                     what="every code cell to run (an execution count each)")
    stderr = browser.find_all(stderr_outputs)
    assert not stderr, "error or stderr output in the page:\n" + "\n---\n".join(e.text for e in stderr)
    # Error outputs render with the stderr MIME type too; the traceback header is checked besides.
    outputs = "\n".join(element.text for element in browser.find_all(".jp-OutputArea"))
    assert "Traceback" not in outputs, outputs
    # The handout and what the code printed are Chinese.
    prose = " ".join(element.text for element in browser.find_all(".jp-MarkdownOutput"))
    assert len(CJK.findall(prose)) > 1000, prose[:500]
    assert CJK.search(outputs) and "Traceback" not in outputs, outputs[:500]
    # The training cell ends with a grid of samples: scroll to it for the screenshot.
    images = browser.wait_for(
        lambda: [img for img in browser.find_all(".jp-RenderedImage img")
                 if browser.js("return arguments[0].naturalWidth", img) > 0],
        timeout=10, what="the sample grid image output")
    browser.js("arguments[0].scrollIntoView({block: 'center'})", images[-1])
    browser.screenshot(f"jupyterlab-{LAB}-{LANGUAGE}.png")
    browser.assert_loopback_only()



def test_a_chinese_feedback_page_shows_chinese_and_its_figures(browser, graded_chinese):
    """Does a feedback page of the toy lab graded in Chinese read in Chinese, name the mistakes in
    Chinese and show the lab's figures?"""
    page = graded_chinese / "feedback" / "mistakes-1" / CHINESE_LAB / f"{CHINESE_LAB}.html"
    browser.get(page.as_uri())
    figures = browser.wait_for(lambda: [img for img in browser.find_all("img")
                                        if browser.js("return arguments[0].naturalWidth", img) > 0],
                               timeout=30, what="the feedback page's figures")
    assert figures  # the figures the graded run drew
    body = browser.find_all("body")[0].text
    assert len(CJK.findall(body)) > 1000
    failures = [line for line in body.splitlines() if line.startswith("GradingFailure:")]
    assert failures and all(CJK.search(line) for line in failures), failures
    browser.js("arguments[0].scrollIntoView({block: 'center'})",
               next(e for e in browser.find_all("pre") if e.text.startswith("GradingFailure:")))
    browser.screenshot(f"feedback-{CHINESE_LAB}-zh_CN.png")
    # Not assert_loopback_only: nbgrader's feedback template asks a CDN for MathJax (offline it
    # gets nothing); the page is nbgrader's.
    browser.forget_requests()
