"""The class report opens from disk in a real browser, with its figures and nothing fetched."""
from __future__ import annotations

import pytest

from gan_lab.course.nbgrader_run import labs

pytestmark = pytest.mark.slow


def test_the_class_report_renders_with_its_figures_from_disk(browser, graded_course, tmp_path):
    from gan_lab.course.report.page import write_report

    page = write_report(graded_course, labs(), tmp_path / "report", say=lambda _line: None)
    browser.get(page.as_uri())
    images = browser.wait_for(lambda: [img for img in browser.find_all("img")
                                       if browser.js("return arguments[0].naturalWidth", img) > 0],
                              timeout=30, what="the report's figures")
    # Per lab a score histogram and a per-test chart, one chart of mistakes, a similarity
    # histogram per lab.
    assert len(images) == 2 * len(labs()) + 1 + len(labs()), len(images)
    headings = [h.text for h in browser.find_all("h2")]
    assert headings[:1] == ["The named mistakes of the class"] and "Similarity" in headings
    assert set(labs()) <= set(headings)
    # A student's name links to their feedback page, which exists beside the course.
    link = browser.find_all("a[href$='/mlp_gan.html']")[0]
    assert link.get_attribute("href").startswith("file://")
    browser.js("arguments[0].scrollIntoView()", browser.find_all("h2")[1])
    browser.screenshot("report.png")
    browser.assert_loopback_only()
