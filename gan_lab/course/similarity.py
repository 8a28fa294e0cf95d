"""``gan-lab similarity LAB``: pairs of submissions whose own code is unusually alike.

Only what students wrote counts: the TODO (solution) cells of each submission, compared with the
released notebook's code as boilerplate, so the starter code and the lab's given lines weigh
nothing however a student re-typed them. The engine is copydetect (PyPI; offline, nothing is
uploaded): it tokenises Python with pygments, replaces names by their kind (so renaming changes
nothing), drops comments and whitespace, and its winnowing picks fingerprints from what is left.
Fingerprints are hashed with a fixed function (copydetect's own ``hash()`` changes with each
Python process), so a class gets the same answer every time. Before that, each side is put in
``gan_lab.course.canonical``'s form (Python's own ``ast``): a temporary used once is put back
where it is used, tuple assignments are split, and definitions and independent assignments
take a fixed order, so a copy reshaped statement by statement reads like its source again. The
side-by-side view shows the code in that form.

Short TODOs whose correct answers all look alike must not flag honest students, so a shared
fingerprint weighs by how rare it is in the class: one that ``df`` of the ``n`` submissions hold
weighs ``log((n + 1) / (df + 1))``, and what every correct answer shares weighs nothing. A pair's
raw similarity is the weight it shares over the weight of the lighter of the two. Some students
write close to the class's typical answer everywhere and resemble many classmates a little;
a copy resembles one source much more than anyone else. So a pair's score is its raw
similarity less the ``RIVALS``-th best raw similarity either of the two has with anyone else.
A pair is listed when its score reaches ``THRESHOLD`` and it shares at least ``MIN_WEIGHT`` of
weighted code; both are printed with every result. A listed pair is a lead for a person to read,
not a verdict (``benchmarks/RESULTS.md`` measures what it finds and misses).

``--reference DIR`` adds known solutions (notebooks or ``.py`` files, e.g. published answers)
as non-student sources: a student close to one is listed as such.
"""
from __future__ import annotations

import dataclasses
import hashlib
import html
import math
import time
import types
from itertools import combinations
from pathlib import Path
from typing import Optional

import nbformat

from gan_lab.course.nbgrader_run import CourseError

NOISE = 20  # copydetect's k: matches shorter than this many characters of normalised code are noise
GUARANTEE = 25  # every match this long is found (winnowing window = GUARANTEE - NOISE + 1)
RIVALS = 5  # a pair is scored against the 5th best match either student has elsewhere
THRESHOLD = 0.35  # a listed pair's similarity exceeds that rival match by at least this much
MIN_WEIGHT = 10.0  # and it shares at least this much weighted code
CANONICAL = True  # compare code in gan_lab.course.canonical's form (temporaries put back, fixed order)


@dataclasses.dataclass
class Source:
    """The code one submission (or one reference) wrote."""

    name: str
    kind: str  # "student" or "reference"
    code: str
    path: Path


@dataclasses.dataclass
class Pair:
    a: str
    b: str
    score: float  # similarity above both sources' RIVALS-th best other match (see the docstring)
    similarity: float  # the shared weight over the lighter source's weight (0 to 1)
    weight: float  # the fingerprints shared, weighted by rarity
    shared: int  # the fingerprints shared, unweighted
    with_reference: bool
    listed: bool = False
    side_by_side: tuple = ("", "")  # each source as HTML, the shared regions marked


@dataclasses.dataclass
class Similarity:
    lab: str
    sources: list
    pairs: list  # every pair, highest score first
    seconds: float
    threshold: float = THRESHOLD
    min_weight: float = MIN_WEIGHT

    @property
    def listed(self) -> list:
        return [pair for pair in self.pairs if pair.listed]


# --------------------------------------------------------------------------- what students wrote
def _solution_cells(notebook) -> dict[str, str]:
    return {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in notebook.cells
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution")}


def own_code(notebook) -> str:
    """Every TODO cell a student handed in, in order, each under its grade id. What the release
    already held there is taken out when fingerprinting (``compare``: the release is boilerplate)."""
    return "\n\n".join(f"# {grade_id}\n{source}" for grade_id, source in _solution_cells(notebook).items()) + "\n"


def reference_code(path: Path, release) -> str:
    """A known solution's code: its TODO cells (a notebook with nbgrader's metadata), else all
    its code; the release's code is boilerplate when fingerprinting."""
    if path.suffix == ".ipynb":
        notebook = nbformat.read(path, as_version=4)
        solutions = _solution_cells(notebook)
        return "\n\n".join(solutions.values() if solutions else
                            (cell.source for cell in notebook.cells if cell.cell_type == "code")) + "\n"
    return path.read_text(encoding="utf-8", errors="replace")


def release_notebook(course_dir: Path, lab: str):
    for folder in ("notebooks", "release"):
        path = course_dir / folder / lab / f"{lab}.ipynb"
        if path.is_file():
            return nbformat.read(path, as_version=4)
    raise CourseError(f"no release of {lab} in {course_dir}/notebooks: run `nbgrader generate_assignment {lab}`")


def class_sources(course_dir: Path, lab: str, reference: Optional[Path] = None) -> list[Source]:
    """Every submission's own code, then every reference's."""
    course_dir = Path(course_dir).resolve()
    release = release_notebook(course_dir, lab)
    submitted = course_dir / "submitted"
    sources = []
    for path in sorted(submitted.glob(f"*/{lab}/{lab}.ipynb")):
        try:
            notebook = nbformat.read(path, as_version=4)
        except Exception as error:  # an unreadable notebook cannot be compared; say so, skip it
            print(f"[{lab}] similarity: skipped {path} ({type(error).__name__}: {error})")
            continue
        sources.append(Source(path.parts[-3], "student", own_code(notebook), path))
    if reference is not None:
        reference = Path(reference)
        if not reference.exists():
            raise CourseError(f"--reference {reference}: no such file or folder")
        files = [reference] if reference.is_file() else sorted(
            p for p in reference.rglob("*") if p.suffix in (".py", ".ipynb") and p.is_file())
        if not files:
            raise CourseError(f"--reference {reference}: no .py or .ipynb files there")
        for path in files:
            sources.append(Source(f"reference:{path.name}", "reference", reference_code(path, release), path))
    return sources


# --------------------------------------------------------------------------- comparing
def _stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little", signed=True)


def fingerprint(code: str, boilerplate: frozenset = frozenset()):
    """copydetect's fingerprint of ``code`` (its filtering and winnowing) after
    ``gan_lab.course.canonical`` (when ``CANONICAL``), hashed with a fixed function; the
    fingerprints in ``boilerplate`` left out. Has what copydetect's ``compare_files`` reads."""
    import numpy as np
    from copydetect.utils import filter_code, get_token_coverage, winnow

    if CANONICAL:
        from gan_lab.course.canonical import canonical

        code = canonical(code)
    filtered, offsets = filter_code(code, "code.py", "python")
    grams = np.array([_stable_hash(filtered[i:i + NOISE]) for i in range(len(filtered) - NOISE + 1)],
                     dtype=np.int64)
    hashes, positions = winnow(grams, GUARANTEE - NOISE + 1, remove_duplicates=False) if len(grams) else (grams, grams)
    by_hash: dict[int, list[int]] = {}
    for value, position in zip(hashes.tolist(), positions.tolist()):
        if value not in boilerplate:
            by_hash.setdefault(value, []).append(position)
    return types.SimpleNamespace(raw_code=code, filtered_code=filtered, offsets=offsets, k=NOISE,
                                 hashes=set(by_hash), hash_idx=by_hash,
                                 token_coverage=get_token_coverage(by_hash, NOISE, len(filtered)))


def _release_boilerplate(release) -> frozenset:
    """The release's fingerprints: its TODO cells as ``own_code`` lays them out (an unanswered
    cell then leaves nothing, even where it meets the next), and all its code."""
    code = "\n".join(cell.source for cell in release.cells if cell.cell_type == "code")
    return frozenset(fingerprint(own_code(release)).hashes | fingerprint(code).hashes)


def _marked(print_, slices) -> str:
    from copydetect.utils import highlight_overlap

    if len(slices[0]) == 0:
        return html.escape(print_.raw_code)
    marked, _ = highlight_overlap(print_.raw_code, slices, "<mark>", "</mark>", escape_html=True)
    return marked


def compare(lab: str, sources: list[Source], release) -> Similarity:
    """Score every pair of sources (see the module docstring) and list the outliers."""
    from copydetect import compare_files

    started = time.perf_counter()
    boilerplate = _release_boilerplate(release)
    prints = {s.name: fingerprint(s.code, boilerplate) for s in sources}
    students = [s for s in sources if s.kind == "student"]
    n = max(len(students), 1)
    df: dict[int, int] = {}
    for source in students:
        for value in prints[source.name].hashes:
            df[value] = df.get(value, 0) + 1
    # A reference's fingerprint no student holds weighs the most a fingerprint can.
    weight = {value: math.log((n + 1) / (count + 1)) for value, count in df.items()}
    rarest = math.log(n + 1)
    total = {name: sum(weight.get(value, rarest) for value in p.hashes) for name, p in prints.items()}
    pairs = []
    for a, b in combinations(sources, 2):
        if a.kind == "reference" and b.kind == "reference":
            continue
        shared = prints[a.name].hashes & prints[b.name].hashes
        shared_weight = sum(weight.get(value, rarest) for value in shared)
        lighter = min(total[a.name], total[b.name])
        similarity = shared_weight / lighter if lighter > 0 else 0.0
        pairs.append(Pair(a.name, b.name, 0.0, similarity, shared_weight, len(shared), "reference" in (a.kind, b.kind)))
    by_source: dict[str, list[float]] = {}
    for pair in pairs:
        by_source.setdefault(pair.a, []).append(pair.similarity)
        by_source.setdefault(pair.b, []).append(pair.similarity)
    ranked = {name: sorted(values, reverse=True) for name, values in by_source.items()}

    def rival(name: str, own: float) -> float:
        """The RIVALS-th best similarity of ``name`` with anyone but this pair's other source."""
        values = list(ranked.get(name, []))
        values.remove(own)
        return values[RIVALS - 1] if len(values) >= RIVALS else 0.0

    for pair in pairs:
        pair.score = pair.similarity - max(rival(pair.a, pair.similarity), rival(pair.b, pair.similarity))
    pairs.sort(key=lambda p: (-p.score, -p.weight))
    for pair in pairs:
        if pair.score < THRESHOLD:
            break
        if pair.weight < MIN_WEIGHT:
            continue
        pair.listed = True
        _, _, (slices_a, slices_b) = compare_files(prints[pair.a], prints[pair.b])
        pair.side_by_side = (_marked(prints[pair.a], slices_a), _marked(prints[pair.b], slices_b))
    return Similarity(lab, sources, pairs, time.perf_counter() - started)


def similarity(course_dir: Path, lab: str, reference: Optional[Path] = None) -> Similarity:
    """``gan-lab similarity LAB``: the class's pairs, scored, outliers listed."""
    course_dir = Path(course_dir).resolve()
    sources = class_sources(course_dir, lab, reference)
    if sum(s.kind == "student" for s in sources) < 2:
        raise CourseError(f"similarity needs at least two submissions of {lab} in {course_dir / 'submitted'}")
    return compare(lab, sources, release_notebook(course_dir, lab))


def format_similarity(result: Similarity, top: int = 10) -> str:
    """The table ``gan-lab similarity`` prints."""
    students = sum(s.kind == "student" for s in result.sources)
    references = len(result.sources) - students
    lines = [f"[{result.lab}] {students} submission(s), {references} reference(s), {len(result.pairs)} pair(s) "
             f"compared in {result.seconds:.1f} s",
             f"[{result.lab}] threshold in use: a pair's similarity beats the {RIVALS}th best match "
             f"either student has elsewhere by at least {result.threshold:.2f}, sharing at least "
             f"{result.min_weight:g} weighted fingerprints; {len(result.listed)} pair(s) reach it"]
    if len(result.sources) <= RIVALS:
        lines.append(f"[{result.lab}] with {len(result.sources)} sources nobody has a {RIVALS}th best match "
                     "elsewhere, so each pair is measured against 0: every alike pair is listed")
    lines.append(f"{'score':>6} {'simil.':>6} {'weight':>7} {'shared':>6}  pair")
    for pair in result.pairs[:max(top, len(result.listed))]:
        mark = "LISTED" if pair.listed else ""
        lines.append(f"{pair.score:>6.2f} {pair.similarity:>6.0%} {pair.weight:>7.1f} {pair.shared:>6}  {pair.a} ~ {pair.b}"
                     f"{' (a reference)' if pair.with_reference else ''}  {mark}".rstrip())
    return "\n".join(lines)
