"""``gan-lab similarity``: students' own code only, copies found through renaming and
reshuffling, code every correct answer shares never enough to list a pair."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from gan_lab.course import similarity as similar
from gan_lab.course.nbgrader_run import solution_submission

REPO = Path(__file__).resolve().parent.parent
# Independently written code: each "student" is a different module of this package.
HONEST = ["losses", "imaging", "budget", "minimax", "limits", "kinds", "checkpoints", "objectives",
          "tracking", "plotting", "fastpath", "cuda_graph"]
# What every correct answer to a short TODO looks like, in every submission.
EVERYONE = '''
def generator_loss(logits_fake):
    return F.binary_cross_entropy_with_logits(logits_fake, torch.ones_like(logits_fake))

def discriminator_loss(logits_real, logits_fake):
    real = F.binary_cross_entropy_with_logits(logits_real, torch.ones_like(logits_real))
    fake = F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))
    return real + fake
'''


def _release():
    return nbformat.read(REPO / "notebooks" / "gan_losses" / "gan_losses.ipynb", as_version=4)


def _student(name: str, code: str) -> similar.Source:
    return similar.Source(name, "student", EVERYONE + code, Path(name))


def _disguised(code: str) -> str:
    """A copy as students hide one: every name changed, comments and blank lines changed, the
    functions in the opposite order, one long statement split in two."""
    names = sorted(set(re.findall(r"\bdef (\w+)|\b(\w+) =", code)) - {("", "")})
    for pair in names:
        for name in pair:
            if name:
                code = re.sub(rf"\b{name}\b", f"{name}_v2", code)
    code = re.sub(r"#.*", "# my own work", code).replace("\n\n", "\n\n\n")
    blocks = code.split("\ndef ")
    return blocks[0] + "".join("\ndef " + block for block in reversed(blocks[1:]))


def _class(extra=()):
    sources = [_student(f"s{i:02d}", (REPO / "gan_lab" / f"{module}.py").read_text())
               for i, module in enumerate(HONEST)]
    return sources + list(extra)


def test_a_disguised_copy_is_listed_and_no_honest_pair_is():
    """Is a renamed, reordered, recommented copy found, while independent code is not listed?"""
    sources = _class()
    copy = _student("copier", _disguised(sources[3].code[len(EVERYONE):]))
    result = similar.compare("gan_losses", sources + [copy], _release())
    listed = {(p.a, p.b) for p in result.listed}
    assert listed == {("s03", "copier")}, (listed, similar.format_similarity(result))
    pair = result.listed[0]
    assert "<mark>" in pair.side_by_side[0] and "<mark>" in pair.side_by_side[1]
    assert pair.score >= similar.THRESHOLD > max(p.score for p in result.pairs if not p.listed)


def test_a_copy_reshaped_statement_by_statement_has_its_sources_canonical_form():
    """Temporaries put in or taken out, tuple assignments split, definitions, methods and
    independent assignments reordered, names changed: the canonical form is the source's, up to
    the names (which copydetect ignores). A change in what the code computes stays visible."""
    from gan_lab.course.canonical import canonical

    source = """
class Generator(nn.Module):
    def __init__(self, noise_dim):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(noise_dim, 256), nn.Linear(256, 784)

    def forward(self, z):
        h = F.relu(self.fc1(z))
        out = torch.tanh(self.fc2(h))
        return out

def sample_noise(batch_size, dim):
    return 2 * torch.rand(batch_size, dim) - 1
"""
    copy = """
def make_z(n, d):
    u = torch.rand(n, d)
    return 2 * u - 1

class Gen(nn.Module):
    def forward(self, x):
        return torch.tanh(self.b(F.relu(self.a(x))))

    def __init__(self, nd):
        super().__init__()
        self.b = nn.Linear(256, 784)
        self.a = nn.Linear(nd, 256)
"""
    def shape(code):  # the names out, as copydetect sees them
        return re.sub(r"[A-Za-z_][A-Za-z_0-9]*", "V", canonical(code))

    assert shape(copy) == shape(source)
    assert shape(copy.replace("2 * u - 1", "u - 0.5")) != shape(source)
    assert canonical("def broken(:\n") == "def broken(:\n"  # what does not parse is compared as written


def test_code_every_answer_shares_weighs_nothing():
    """Do students who share only the class's common answer score zero together?"""
    sources = [_student(f"s{i}", f"\nx{i} = {i}\n") for i in range(10)]
    result = similar.compare("gan_losses", sources, _release())
    assert not result.listed
    assert max(p.weight for p in result.pairs) == pytest.approx(0.0, abs=1e-9)


def test_a_student_close_to_a_published_solution_is_listed_as_such(tmp_path):
    sources = _class()
    reference = similar.Source("reference:published.py", "reference",
                               (REPO / "gan_lab" / "minimax.py").read_text(), tmp_path / "published.py")
    result = similar.compare("gan_losses", sources + [reference], _release())
    assert [(p.a, p.b, p.with_reference) for p in result.listed] == [("s03", "reference:published.py", True)]


def test_only_what_students_wrote_is_compared(tmp_path):
    """Do the released starter code and given lines weigh nothing, however a student re-types
    them, while the answer counts?"""
    release = _release()
    solved = tmp_path / "solved.ipynb"
    solution_submission(REPO / "solutions" / "gan_losses" / "gan_losses.ipynb", solved)
    code = similar.own_code(nbformat.read(solved, as_version=4))
    assert "# sample_noise" in code and "torch.rand" in code
    boilerplate = similar._release_boilerplate(release)
    assert not similar.fingerprint(similar.own_code(release), boilerplate).hashes  # nothing answered
    given_again = code.replace("return 2 * torch.rand(batch_size, dim) - 1", "pass")  # one answer less
    assert len(similar.fingerprint(given_again, boilerplate).hashes) < len(similar.fingerprint(code, boilerplate).hashes)
    assert similar.fingerprint(code, boilerplate).hashes  # the answers remain
    # The same code, fingerprinted twice (in any process), gives the same fingerprints.
    assert similar.fingerprint(code).hashes == similar.fingerprint(code).hashes


def test_a_reference_folder_must_hold_solutions(tmp_path):
    from gan_lab.course.nbgrader_run import CourseError

    (tmp_path / "submitted").mkdir()
    (tmp_path / "notebooks" / "gan_losses").mkdir(parents=True)
    nbformat.write(_release(), tmp_path / "notebooks" / "gan_losses" / "gan_losses.ipynb")
    with pytest.raises(CourseError, match="no .py or .ipynb files there"):
        similar.class_sources(tmp_path, "gan_losses", tmp_path / "submitted")
    with pytest.raises(CourseError, match="no such file or folder"):
        similar.class_sources(tmp_path, "gan_losses", tmp_path / "nowhere")
    with pytest.raises(CourseError, match="at least two submissions"):
        similar.similarity(tmp_path, "gan_losses")
