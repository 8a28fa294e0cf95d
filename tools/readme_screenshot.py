"""The README's TensorBoard picture, taken the way the browser test takes its own.

    .venv/bin/python tools/readme_screenshot.py runs/demo-mlp docs/tensorboard-images.png
    .venv/bin/python tools/readme_screenshot.py notebooks/mlp_gan/runs \
        solutions/mlp_gan/tensorboard-images.png "Generated Images"     # lab 1's own tag

Starts ``tensorboard --logdir RUN`` on a free loopback port, opens its Images tab in headless
Chromium (tests/browser/install.sh installs it), waits until the last epoch's ``samples`` grid
has loaded, and saves the page. Run it after ``make demo``, whose run draws digits.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "browser"))

from conftest import CHROMEDRIVER, CHROMIUM, CHROMIUM_FLAGS, DEEP_QUERY_JS, free_port  # noqa: E402


def wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = condition()
        except Exception:  # the server or the page is not ready yet
            result = None
        if result:
            return result
        time.sleep(0.5)
    raise SystemExit(f"readme_screenshot: waited {timeout:g} s for {what}")


def main(run: str, out: str, tag: str = "samples") -> int:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(Path(sys.executable).parent / "tensorboard"), "--logdir", run,
                               "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    driver = None
    try:
        tags = lambda: json.loads(urllib.request.urlopen(f"{url}/data/plugin/images/tags", timeout=5).read())  # noqa: E731
        wait(lambda: any(tag in run_tags for run_tags in tags().values()), 60, "TensorBoard to read the run")
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        driver.get(f"{url}/#images")
        loaded = "return arguments[0].complete && arguments[0].naturalWidth > 0"
        wait(lambda: [img for img in driver.execute_script(DEEP_QUERY_JS, "img", None)
                      if driver.execute_script(loaded, img)], 60, "the samples grid to load")
        time.sleep(1)
        driver.save_screenshot(out)
        print(f"readme_screenshot: {out}")
        return 0
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        raise SystemExit("usage: tools/readme_screenshot.py RUN_FOLDER OUT.png [IMAGE_TAG]")
    sys.exit(main(*sys.argv[1:]))
