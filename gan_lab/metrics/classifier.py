"""A small MNIST classifier whose features and predictions the image metrics are built on.

FID measures generated images in the feature space of an Inception network trained on
ImageNet; that network knows nothing about handwritten digits. For MNIST the course uses the
same recipe with a tiny CNN trained on MNIST itself: its 128-wide penultimate layer is the
feature space for the Fréchet distance, its softmax gives p(y|x) for the classifier score and
the label histogram. The weights ship with the package (``mnist_classifier.pt``, float16, a
few hundred kB) and are rebuilt by ``python -m gan_lab.metrics.train_classifier``.
"""
from __future__ import annotations

import functools
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

WEIGHTS_PATH = Path(__file__).resolve().parent / "mnist_classifier.pt"
WEIGHTS_FORMAT = 1
FEATURE_DIM = 128
REBUILD_COMMAND = (
    "python -m gan_lab.metrics.train_classifier --data-root data "
    f"--out {Path('gan_lab', 'metrics', WEIGHTS_PATH.name)}"
)


class MnistClassifier(nn.Module):
    """Two conv blocks, a 128-wide penultimate layer, 10 logits.

    Input: (B, 1, 28, 28) in [-1, 1], the range the course's Tanh generators produce.
    """

    def __init__(self, *, channels: tuple[int, int] = (16, 32), feature_dim: int = FEATURE_DIM,
                 dropout: float = 0.25):
        super().__init__()
        c1, c2 = channels
        self.conv1 = nn.Conv2d(1, c1, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(c1, c2, kernel_size=3, padding=1)
        self.hidden = nn.Linear(c2 * 7 * 7, feature_dim)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(feature_dim, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations, (B, 1, 28, 28) -> (B, feature_dim)."""
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # (B, c1, 14, 14)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (B, c2, 7, 7)
        return F.relu(self.hidden(x.flatten(1)))  # (B, c2 * 49) -> (B, feature_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits, (B, 1, 28, 28) -> (B, 10)."""
        return self.head(self.dropout(self.features(x)))

    def features_and_logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Both at the cost of one pass: (B, feature_dim) and (B, 10)."""
        features = self.features(x)
        return features, self.head(self.dropout(features))


def save_classifier(model: MnistClassifier, path: str | Path, metadata: dict) -> Path:
    """Write float16 weights plus ``metadata`` (accuracy, data, seed, torch version)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # float16 halves the file; the features move by ~1e-3, far below any metric's floor.
    state = {name: tensor.detach().cpu().half() for name, tensor in model.state_dict().items()}
    payload = {"format": WEIGHTS_FORMAT, "state_dict": state, "metadata": dict(metadata)}
    tmp = path.with_suffix(".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)
    return path


def read_weights(path: str | Path = WEIGHTS_PATH) -> dict:
    """The saved payload ``{"format", "state_dict", "metadata"}``, checked."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: MNIST classifier weights not found; rebuild them with `{REBUILD_COMMAND}`"
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a damaged file
        raise ValueError(
            f"{path}: not readable as classifier weights ({type(exc).__name__}: {exc}); "
            f"rebuild them with `{REBUILD_COMMAND}`"
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != WEIGHTS_FORMAT:
        raise ValueError(f"{path}: expected classifier weights of format {WEIGHTS_FORMAT}; "
                         f"rebuild them with `{REBUILD_COMMAND}`")
    return payload


def load_classifier(path: str | Path | None = None, *,
                    device: str | torch.device = "cpu") -> MnistClassifier:
    """The shipped classifier (or the one at ``path``) in eval mode, float32, on ``device``."""
    if path is None:
        return _shipped_classifier(str(device))
    return _load(path, device)


@functools.lru_cache(maxsize=4)
def _shipped_classifier(device: str) -> MnistClassifier:
    # Cached: every evaluate_images() call would otherwise re-read the file.
    return _load(WEIGHTS_PATH, device)


def _load(path: str | Path, device: str | torch.device) -> MnistClassifier:
    payload = read_weights(path)
    # The layers' random initialisation, overwritten at once, must not advance the global RNG:
    # scoring samples in the middle of a training run would otherwise change the rest of the run.
    with torch.random.fork_rng(devices=[]):
        model = MnistClassifier()
    model.load_state_dict({name: tensor.float() for name, tensor in payload["state_dict"].items()})
    model.metadata = payload.get("metadata", {})
    return model.to(device).eval().requires_grad_(False)
