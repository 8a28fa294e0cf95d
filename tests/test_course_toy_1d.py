"""Lab 4 (1-D Gaussian toy) under real nbgrader: typical wrong answers lose exactly their points."""
from course_helpers import assert_mistakes_cost_exactly

MISTAKES = {
    # student: (cell, old, new, graded cell, points for it, reason shown in the feedback)
    "variance": ("get-distribution-sampler", "mu + sigma * torch.randn(n, 1)", "mu + sigma ** 2 * torch.randn(n, 1)",
                 "get-distribution-sampler-tests", 0.0, "the variance"),
    "gaussian-noise": ("get-generator-input-sampler", "torch.rand(m, n)", "torch.randn(m, n)",
                       "get-generator-input-sampler-tests", 0.0, "Gaussian noise (torch.randn)"),
    "sigmoid-output": ("generator", "            nn.Linear(hidden_size, output_size),\n",
                       "            nn.Linear(hidden_size, output_size),\n            nn.Sigmoid(),\n",
                       "generator-tests", 0.0, "can never reach the target mean of 4"),
    "swapped-activations": ("generator", "nn.ELU(),\n            nn.Linear(hidden_size, hidden_size),\n            nn.Sigmoid(),",
                            "nn.Sigmoid(),\n            nn.Linear(hidden_size, hidden_size),\n            nn.ELU(),",
                            "generator-tests", 0.0, "Sigmoid then ELU"),
    "no-sigmoid": ("discriminator", "            nn.Sigmoid(),\n", "",
                   "discriminator-tests", 0.0, "no Sigmoid on the output"),
    "no-mean": ("decorate-with-diffs", "diffs = (data - mean) ** exponent", "diffs = data ** exponent",
                "decorate-with-diffs-tests", 0.0, "subtract the row's mean first"),
}


def test_typical_toy_1d_mistakes_lose_exactly_their_points(graded_course):
    """Does each classic mistake lose exactly its points, with the reason in the feedback?"""
    assert_mistakes_cost_exactly(graded_course, "toy_1d", MISTAKES)
