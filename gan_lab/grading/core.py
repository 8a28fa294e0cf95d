"""What every hidden test shares: failures that explain, silence, seeds, and delegation checks.

A check either returns (the points earned, when a TODO has independent parts) or raises
``GradingFailure`` whose message says what was expected and what was found. Checks run the
student's code with stderr captured, because nbgrader scores a test cell that writes to stderr
as zero, and its warnings held back (a graded run shows them as notes, never scored:
``gan_lab.graded_warnings``); they never print the reference solution.
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import io
import types
import warnings
from typing import Any, Callable, Iterator

import torch
from torch import nn

from gan_lab import graded_warnings
from gan_lab.course.answers import ALLOWED_HELPERS, answer_names
from gan_lab.grading import mistakes, seal
from gan_lab.i18n import _


class GradingFailure(AssertionError):
    """A check failed; the message is written for the student.

    ``key`` names the mistake for the class report (``gan_lab.grading.mistakes``), or is None
    when the check has no name for it; ``cause`` is the type of the student code's own
    exception when that is what failed (``call_student``).
    """

    def __init__(self, message: str, *, key: str | None = None, cause: str | None = None):
        super().__init__(message)
        self.key, self.cause = key, cause


def fail(what: str, expected: Any, found: Any, *, mistake: str | None = None) -> None:
    """Raise a failure; ``mistake``, the last part of a key in ``mistakes.MISTAKES``, names it."""
    # Translators: the frame of every failed check. {what} names what was checked (a call, a
    # layer, a value); {expected} and {found} are descriptions or values (code, shapes, numbers).
    raise GradingFailure(_("{what}: expected {expected}, found {found}").format(what=what, expected=expected,
                                                                                found=found),
                         key=mistakes.key_of(mistake))


def expect(condition: bool, what: str, expected: Any, found: Any, *, mistake: str | None = None) -> None:
    if not condition:
        fail(what, expected, found, mistake=mistake)


def note(mistake: str) -> str:
    """Record a named mistake that costs part of a check's points (no failure is raised);
    returns its key."""
    return mistakes.record(mistake)


@contextlib.contextmanager
def quiet() -> Iterator[io.StringIO]:
    """Run student code with its stderr output captured (nbgrader zeroes cells with stderr) and
    its warnings recorded; in a graded run they are shown afterwards as notes on stdout
    (``gan_lab.graded_warnings``), elsewhere dropped."""
    buffer = io.StringIO()
    caught: list = []
    try:
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(buffer):
            yield buffer
    finally:
        graded_warnings.show(caught)


def call_student(what: str, fn: Callable, *args, **kwargs):
    """Call student code; turn its exceptions into a failure that names the call."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        # Translators: {what} is the student's function or call, as code.
        raise GradingFailure(_("{what} is not implemented yet (it raises NotImplementedError)").format(what=what),
                             cause="NotImplementedError") from None
    except GradingFailure:
        raise
    except Exception as exc:  # any error in student code costs the points, with its reason
        # Translators: {what} is the student's call, as code; {error} the exception's type
        # (e.g. RuntimeError) and {message} its message, in English, as Python wrote it.
        raise GradingFailure(_("{what} raised {error}: {message}").format(what=what, error=type(exc).__name__,
                                                                        message=exc),
                             cause=type(exc).__name__) from None


def check(fn: Callable) -> Callable:
    """Decorator for public checks: quiet, CPU, with the global RNG state restored afterwards.

    A check refuses to run in a kernel whose grading code, builtins or torch were patched (see
    ``seal``); that a passed check really ran is established outside the kernel
    (``gan_lab.recheck``).
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        changed = seal.tampering()
        if changed:
            shown = ", ".join(changed[:5])
            if len(changed) > 5:
                # Translators: {names} is a list of Python names; {count} how many more were changed.
                shown = _("{names} and {count} more").format(names=shown, count=len(changed) - 5)
            # Translators: {names} lists the Python names that were replaced in the kernel.
            raise GradingFailure(_("the grading code in this kernel was changed ({names}); no check can be "
                                   "trusted after that, so this test earns 0").format(names=shown),
                                 key="grading.kernel.tampered")
        with mistakes.checking(fn) as record, torch.random.fork_rng(devices=[]), quiet():
            try:
                return fn(*args, **kwargs)
            except GradingFailure as failure:
                record.failed(failure)
                raise

    return wrapper


# --------------------------------------------------------------------------- delegation
def _gan_lab_origin(value: Any) -> str | None:
    """Where in gan_lab ``value`` comes from, when that part of gan_lab answers a TODO."""
    if isinstance(value, types.ModuleType):
        module = value.__name__
    else:
        module = getattr(value, "__module__", None) or ""
    if module == "gan_lab" or (module.startswith("gan_lab.") and not module.startswith(ALLOWED_HELPERS)):
        return module
    qualified = f"{module}.{getattr(value, '__qualname__', '')}"
    return qualified if qualified in answer_names() else None


def _imported_answers(names: set[str]) -> list[str]:
    """Answers imported inside a function body: ``from gan_lab.data import gaussian_samples``
    leaves both the module and the name among the code's names."""
    modules = [name for name in names if name.startswith("gan_lab.")]
    return sorted(f"{module}.{name}" for module in modules for name in names
                  if f"{module}.{name}" in answer_names())


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _functions_of(obj: Any) -> list[Callable]:
    if inspect.isclass(obj):
        return [member for klass in obj.__mro__ if klass.__module__ == "__main__"
                for member in vars(klass).values() if inspect.isfunction(member)]
    return [obj] if inspect.isfunction(obj) else []


def require_student_code(obj: Any, name: str) -> None:
    """Fail unless ``obj`` was written in the notebook rather than taken from gan_lab.

    The course's package holds reference code; a solution that subclasses it, returns it or
    calls it earns nothing for that TODO.
    """
    if obj is None:
        # Translators: {name} is the name of the student's function or class, as code.
        raise GradingFailure(_("{name} is not defined (run the cell that defines it)").format(name=name),
                             key=mistakes.key_of("not-defined"))
    target = obj if inspect.isclass(obj) or inspect.isfunction(obj) else type(obj)
    module = getattr(target, "__module__", "")
    if module != "__main__":
        # Translators: {name} is the student's function or class; {module} a Python module.
        fail(_("{name} must be written in this notebook").format(name=name), _("a definition in the notebook"),
             _("one imported from {module}").format(module=module), mistake="not-in-notebook")
    if inspect.isclass(target):
        for klass in target.__mro__[1:]:
            origin = _gan_lab_origin(klass)
            if origin:
                # Translators: {name} is the student's class; {cls} a class of the course's package.
                fail(_("{name} must be your own code").format(name=name), _("a class built from torch.nn layers"),
                     _("a subclass of {cls}").format(cls=f"{origin}.{klass.__name__}"), mistake="uses-reference-code")
    for function in _functions_of(target):
        for answer in _imported_answers(_code_names(function.__code__)):
            fail(_("{name} must be your own code").format(name=name), _("torch and torch.nn only"),
                 # Translators: {answer} is a function of the course's package, as code.
                 _("an import of {answer}").format(answer=answer), mistake="uses-reference-code")
        for global_name in _code_names(function.__code__):
            if global_name not in function.__globals__:
                continue
            origin = _gan_lab_origin(function.__globals__[global_name])
            if origin:
                fail(_("{name} must be your own code").format(name=name), _("torch and torch.nn only"),
                     # Translators: {origin} is a module of the course's package; {variable} the quoted
                     # Python name the student's code used to reach it.
                     _("a call into {origin} (via {variable})").format(origin=origin, variable=repr(global_name)),
                     mistake="uses-reference-code")


# --------------------------------------------------------------------------- training-step helpers
def fill_gradients(model: nn.Module, value: float) -> None:
    """Set every ``.grad`` of ``model`` to ``value``, as a previous training step leaves it."""
    for p in model.parameters():
        p.grad = torch.full_like(p, value)


def sgd_step_on_copy(model: nn.Module, loss_of: Callable[[nn.Module], torch.Tensor],
                     lr: float) -> list[torch.Tensor]:
    """``model``'s weights after one SGD step on fresh gradients of ``loss_of(copy)``; the
    step is taken on a copy, so ``model`` is left as it is."""
    import copy

    twin = copy.deepcopy(model)
    for p in twin.parameters():
        p.grad = None
    loss_of(twin).backward()
    with torch.no_grad():
        return [p - lr * p.grad for p in twin.parameters()]


def weights_match(model: nn.Module, weights: list[torch.Tensor]) -> bool:
    """Whether ``model``'s parameters equal ``weights`` up to float rounding."""
    return all(torch.allclose(p.detach(), w, atol=1e-6) for p, w in zip(model.parameters(), weights))


# --------------------------------------------------------------------------- model helpers
def build(what: str, factory: Callable, *args) -> nn.Module:
    """Instantiate a student model, failing with a reason when it cannot be built."""
    model = call_student(what, factory, *args)
    if not isinstance(model, nn.Module):
        fail(what, _("an nn.Module"), type(model).__name__)
    return model


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    """The model's Linear layers in registration order."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def describe_linears(layers: list[nn.Linear]) -> str:
    return ", ".join(f"{m.in_features}->{m.out_features}" for m in layers) or _("no Linear layers")


def linears_with_widths(model: nn.Module, what: str, widths: list[tuple[int, int]]) -> list[nn.Linear]:
    """The model's Linear layers in the order of ``widths``, whatever order they were registered in.

    Fails, naming the widths expected and found, unless the model has exactly these layers.
    """
    layers = linear_layers(model)
    expected = ", ".join(f"{a}->{b}" for a, b in widths)
    if len(layers) == len(widths):
        by_shape = {(m.in_features, m.out_features): m for m in layers}
        if len(by_shape) == len(widths) and all(w in by_shape for w in widths):
            return [by_shape[w] for w in widths]
    # Translators: {what} is the student's model as it was built, e.g. Generator(100, 256, 784).
    fail(_("{what}: the Linear layers").format(what=what), expected, describe_linears(layers), mistake="layer-widths")


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def max_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a.detach().float() - b.detach().float()).abs().max().item()
