"""Student code for grading tests, defined the way a notebook defines it."""
import textwrap

HEADER = "import numpy as np\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"


def notebook(source: str) -> dict:
    """Run ``source`` as a notebook cell runs: in a module named __main__, torch imported."""
    namespace = {"__name__": "__main__"}
    exec(HEADER + textwrap.dedent(source), namespace)
    return namespace
