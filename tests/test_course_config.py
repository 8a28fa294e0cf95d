"""configure(c): the grading settings nbgrader_config.py applies, read once, with no side effects."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader
from traitlets.utils.importstring import import_item

from gan_lab.course.config import configure
from gan_lab.course.nbgrader_run import REPO
from gan_lab.errors import UsageError
from gan_lab.limits import GradingLimits, LimitsError


def _configured(env: dict[str, str]) -> Config:
    c = Config()
    configure(c, env=env)
    return c


def test_the_limits_and_the_sandbox_switch_come_from_the_environment():
    c = _configured({})
    assert c.Execute.timeout == GradingLimits().cell_timeout_s == 60
    assert c.CrashTolerantExecute.sandboxed is True
    c = _configured({"GAN_LAB_CELL_TIMEOUT": "15", "GAN_LAB_SANDBOX": "off"})
    assert c.Execute.timeout == 15 and c.CrashTolerantExecute.sandboxed is False
    with pytest.raises(LimitsError, match="GAN_LAB_CELL_TIMEOUT must be a positive whole number, got 'soon'"):
        _configured({"GAN_LAB_CELL_TIMEOUT": "soon"})
    assert "assignsubmission_file" in _configured({"GAN_LAB_LMS": "moodle"}).FileNameCollectorPlugin.named_regexp
    with pytest.raises(UsageError, match="GAN_LAB_LMS must be one of canvas, moodle, got 'blackboard'"):
        _configured({"GAN_LAB_LMS": "blackboard"})


def test_every_named_preprocessor_exists():
    c = _configured({})
    names = [*c.Autograde.sanitize_preprocessors, *c.Autograde.autograde_preprocessors,
             *c.GenerateFeedback.preprocessors]
    assert "gan_lab.course.nbgrader_ext.CrashTolerantExecute" in names
    for name in names:
        assert isinstance(import_item(name), type), name
    starts = [argument.split(";")[0] for argument in c.Execute.extra_arguments]
    assert starts == ["--IPKernelApp.exec_lines=import gan_lab.graded_warnings as _gan_lab_warnings",
                      "--IPKernelApp.exec_lines=import gan_lab.grading.seal as _gan_lab_seal"]


def test_configure_writes_nothing_and_starts_nothing(tmp_path, monkeypatch):
    """Loading the course's nbgrader_config.py (every nbgrader command does) leaves no trace."""
    monkeypatch.chdir(tmp_path)
    kernels = Path(sys.prefix) / "share" / "jupyter" / "kernels"
    watched = [tmp_path, Path(tempfile.gettempdir()), kernels]
    before = {folder: sorted(os.listdir(folder)) if folder.is_dir() else None for folder in watched}
    loader = PyFileConfigLoader("nbgrader_config.py", path=str(REPO))
    loader.load_config()
    after = {folder: sorted(os.listdir(folder)) if folder.is_dir() else None for folder in watched}
    assert after == before
    c = loader.config
    assert c.CourseDirectory.source_directory == "solutions" and c.CourseDirectory.release_directory == "notebooks"
    expected = _configured(os.environ)
    for section in ("Execute", "CrashTolerantExecute", "Autograde", "GenerateFeedback", "LimitOutput",
                    "FileNameCollectorPlugin", "ZipCollectApp"):
        assert c[section] == expected[section], section
