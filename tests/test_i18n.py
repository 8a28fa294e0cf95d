"""The course in other languages: gettext catalogs kept in step with the English, releases
generated from them with the English code, and gan_lab's messages in the course's language."""
from __future__ import annotations

import re
import shutil

import nbformat
import pytest
from babel.messages.catalog import Catalog

from gan_lab.course.i18n import catalogs, notebooks
from gan_lab.course.i18n.release import release
from gan_lab.course.nbgrader_run import REPO, labs

CJK = re.compile(r"[\u4e00-\u9fff]")


def _strip_comments(source: str) -> str:
    """The cell's code without any comment (Python's tokenizer finds them; nbgrader's markers too)."""
    import io
    import tokenize

    lines = source.split("\n")
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            row, col = token.start
            lines[row - 1] = lines[row - 1][:col]
    return "\n".join(line.rstrip() for line in lines)


# --------------------------------------------------------------------------- catalogs
def test_the_templates_hold_the_current_english():
    """Would `gan-lab i18n extract` change nothing (every template made from today's sources)?"""
    outdated = [p for p in catalogs.problems("zh_CN") if p.kind == "outdated template"]
    assert not outdated, outdated


@pytest.mark.parametrize("lang", catalogs.languages())
def test_every_shipped_language_is_complete_and_current(lang):
    """Is every cell and message of every lab translated, and none stale (CI fails otherwise)?"""
    found = catalogs.problems(lang)
    assert not found, "\n".join(f"{p.kind}: {p.file} {p.context}: {p.text}" for p in found[:40])
    assert all(done == count for done, count in catalogs.coverage(lang).values())


def test_a_changed_english_cell_marks_its_translation_stale(tmp_path):
    """Does an edited paragraph keep its old translation only as a fuzzy (stale) entry?"""
    root = tmp_path / "course"
    shutil.copytree(REPO / "solutions" / "toy_1d", root / "solutions" / "toy_1d")
    shutil.copytree(REPO / "translations", root / "translations")
    shutil.copytree(REPO / "gan_lab" / "locale", root / "gan_lab" / "locale")
    path = root / "solutions" / "toy_1d" / "toy_1d.ipynb"
    notebook = nbformat.read(path, as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == "markdown")
    cell.source = cell.source.replace("1.25", "1.5")
    nbformat.write(notebook, path)
    template_path = catalogs.notebook_template_path("toy_1d", root)
    catalogs.write(template_path, catalogs.notebook_template("toy_1d", root))
    template = catalogs.read(template_path)
    catalog = catalogs.read(catalogs.notebook_catalog_path("toy_1d", "zh_CN", root), "zh_CN")
    catalog.update(template, update_header_comment=False)
    message = catalog.get(cell.source, context=notebooks.context("toy_1d", cell))
    assert message.fuzzy and message.string and message.previous_id
    result = notebooks.translate("toy_1d", notebook, catalog)
    assert result.stale == [(notebooks.context("toy_1d", cell), cell.source)]
    assert result.notebook.cells[notebook.cells.index(cell)].source == cell.source  # English until redone


# --------------------------------------------------------------------------- releases
@pytest.mark.parametrize("lab", labs())
def test_the_chinese_release_has_the_english_code_grading_and_locks(lab):
    """Same cells, ids, grade ids, points, locks and code (comments aside) as the English release,
    with the prose in Chinese."""
    english = nbformat.read(REPO / "notebooks" / lab / f"{lab}.ipynb", as_version=4)
    chinese = nbformat.read(REPO / "notebooks-zh_CN" / lab / f"{lab}.ipynb", as_version=4)
    assert [c["id"] for c in chinese.cells] == [c["id"] for c in english.cells]
    for en, zh in zip(english.cells, chinese.cells):
        assert zh.cell_type == en.cell_type
        meta_en, meta_zh = dict(en.metadata.get("nbgrader", {})), dict(zh.metadata.get("nbgrader", {}))
        meta_en.pop("checksum", None), meta_zh.pop("checksum", None)  # computed from each language's text
        assert meta_zh == meta_en, en["id"]
        if en.cell_type == "code":
            assert _strip_comments(zh.source) == _strip_comments(en.source), en["id"]
        elif en.source.strip():  # prose, and nbgrader's answer placeholder, in Chinese
            assert CJK.search(zh.source), f"{lab} cell {en['id']} is not in Chinese: {zh.source[:80]!r}"


def test_the_chinese_releases_match_a_fresh_generation(tmp_path):
    """Is notebooks-zh_CN/ exactly what `gan-lab release LAB --lang zh_CN` makes today?"""
    root = tmp_path / "course"
    for name in ("solutions", "translations"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "nbgrader_config.py", root)
    for lab in labs():
        fresh = release(lab, "zh_CN", root, say=lambda _line: None)
        committed = REPO / "notebooks-zh_CN" / lab / f"{lab}.ipynb"
        assert fresh.read_text() == committed.read_text(), f"{committed} is stale: run gan-lab release {lab} --lang zh_CN"


def test_a_new_language_is_one_catalog_and_nothing_else(tmp_path):
    """Korean later: a catalog for one lab and one for the messages, and the release and the
    messages speak it (a tiny fake catalog here)."""
    import gettext

    from babel.messages.mofile import write_mo

    root = tmp_path / "course"
    shutil.copytree(REPO / "solutions" / "toy_1d", root / "solutions" / "toy_1d")
    shutil.copy(REPO / "nbgrader_config.py", root)
    template = catalogs.notebook_template("toy_1d", root)
    first = next(m for m in template if m.id)
    korean = Catalog(locale="ko")
    korean.add(first.id, "# 실습 4: 1차원 데이터의 GAN", context=first.context)
    catalogs.write(catalogs.notebook_catalog_path("toy_1d", "ko", root), korean)
    made = release("toy_1d", "ko", root, strict=False, say=lambda _line: None)
    cells = nbformat.read(made, as_version=4).cells
    english = nbformat.read(REPO / "notebooks" / "toy_1d" / "toy_1d.ipynb", as_version=4).cells
    assert cells[0].source == "# 실습 4: 1차원 데이터의 GAN"
    assert [c.source for c in cells[1:4]] == [c.source for c in english[1:4]]  # English until translated
    messages = Catalog(locale="ko", domain="gan_lab")
    messages.add("training", "학습")
    folder = tmp_path / "locale" / "ko" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "gan_lab.mo", "wb") as handle:
        write_mo(handle, messages)
    assert gettext.translation("gan_lab", tmp_path / "locale", languages=["ko"]).gettext("training") == "학습"


# --------------------------------------------------------------------------- messages
def test_messages_speak_the_course_language_with_the_same_numbers(monkeypatch):
    from gan_lab.metrics.report import toy_quality_line

    results = {"wasserstein1": {"value": 2.5, "floor": 1.0}, "ks_statistic": {"value": 1.2, "floor": 1.0}}
    monkeypatch.delenv("GAN_LAB_LANGUAGE", raising=False)
    english = toy_quality_line(results, 4.02, 1.23)
    monkeypatch.setenv("GAN_LAB_LANGUAGE", "zh_CN")
    chinese = toy_quality_line(results, 4.02, 1.23)
    assert english.startswith("Sample quality: W1 2.5x floor")
    assert CJK.search(chinese) and not chinese.startswith("Sample quality")
    assert re.findall(r"\d+\.?\d*", chinese) == re.findall(r"\d+\.?\d*", english)


def test_a_failure_of_several_clauses_is_punctuated_in_the_course_language(monkeypatch, shown):
    """Two wrong activations make one message of two clauses: "A; B" in English, "A；B" in Chinese."""
    from student_code import notebook

    from gan_lab.grading import toy_1d
    from gan_lab.grading.core import GradingFailure

    Generator = notebook("""
        class Generator(nn.Module):  # ELU and Sigmoid swapped
            def __init__(self, input_size, hidden_size, output_size):
                super().__init__()
                self.model = nn.Sequential(nn.Linear(input_size, hidden_size), nn.Sigmoid(),
                                           nn.Linear(hidden_size, hidden_size), nn.ELU(),
                                           nn.Linear(hidden_size, output_size))

            def forward(self, x):
                return self.model(x)
        """)["Generator"]

    messages = {}
    for lang in ("en", "zh_CN"):
        monkeypatch.setenv("GAN_LAB_LANGUAGE", lang)
        with pytest.raises(GradingFailure) as failure:
            toy_1d.check_generator(Generator)
        messages[lang] = str(failure.value)
    assert messages["en"].count("; ") == 1 and "；" not in messages["en"], messages["en"]
    assert messages["zh_CN"].count("；") == 1 and "; " not in messages["zh_CN"], messages["zh_CN"]


# --------------------------------------------------------------------------- graded in Chinese
@pytest.mark.slow
def test_a_chinese_class_is_graded_exactly_as_the_english_one(graded_chinese, graded_course):
    """Do the solved Chinese notebook, the untouched Chinese release and every planted mistake
    earn per test cell exactly what the English ones earn, with the reasons in Chinese?"""
    import course_helpers
    import test_course_toy_1d
    from gan_lab.course.gradebook import scores

    lab = "toy_1d"  # the lab tests/conftest.py grades in Chinese (grade_chinese)

    students = ["instructor", "untouched", *course_helpers.mistake_students(test_course_toy_1d.MISTAKES)]
    for student in students:
        chinese = {c.name: c.score for c in scores(graded_chinese, lab, student)}
        english = {c.name: c.score for c in scores(graded_course, lab, student)}
        assert chinese == english, student
    feedback = course_helpers.feedback_text(graded_chinese, lab, "mistakes-1")
    assert "生成器" in feedback or "判别器" in feedback  # the lab's prose
    failures = [line for line in feedback.splitlines() if line.startswith("GradingFailure:")]
    assert failures and all(CJK.search(line) for line in failures), failures
    english_failures = [line for line in course_helpers.feedback_text(graded_course, lab, "mistakes-1").splitlines()
                        if line.startswith("GradingFailure:")]
    numbers = [re.findall(r"\d+\.\d+|\d+", line) for line in failures]
    assert numbers == [re.findall(r"\d+\.\d+|\d+", line) for line in english_failures]
