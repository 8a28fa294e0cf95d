"""Lab 4 (1-D Gaussian toy) under real nbgrader: typical wrong answers lose exactly their points."""
from course_helpers import assert_mistakes_cost_exactly

SEQUENTIAL_D = """        self.model = nn.Sequential(
            nn.Linear(input_size, hidden_size),
            nn.ELU(),
            nn.Linear(hidden_size, hidden_size),
            nn.ELU(),
            nn.Linear(hidden_size, output_size),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.model(x)"""
FUNCTIONAL_D = """        self.map1 = nn.Linear(input_size, hidden_size)
        self.map2 = nn.Linear(hidden_size, hidden_size)
        self.map3 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        x = torch.nn.functional.leaky_relu(self.map1(x))
        x = torch.nn.functional.leaky_relu(self.map2(x))
        return torch.sigmoid(self.map3(x))"""

MISTAKES = {
    # student: (cell, old, new, graded cell, points for it, reason shown in the feedback,
    #           the key of the mistake the graded notebook carries, None when it keeps its points)
    "variance": ("get-distribution-sampler", "mu + sigma * torch.randn(n, 1)", "mu + sigma ** 2 * torch.randn(n, 1)",
                 "get-distribution-sampler-tests", 0.0, "the variance",
                 "toy_1d.get_distribution_sampler.variance-not-std"),
    "gaussian-noise": ("get-generator-input-sampler", "torch.rand(m, n)", "torch.randn(m, n)",
                       "get-generator-input-sampler-tests", 0.0, "Gaussian noise (torch.randn)",
                       "toy_1d.get_generator_input_sampler.gaussian-noise"),
    "sigmoid-output": ("generator", "            nn.Linear(hidden_size, output_size),\n",
                       "            nn.Linear(hidden_size, output_size),\n            nn.Sigmoid(),\n",
                       "generator-tests", 0.0, "can never reach the target mean of 4",
                       "toy_1d.generator.output-sigmoid"),
    "swapped-activations": ("generator", "nn.ELU(),\n            nn.Linear(hidden_size, hidden_size),\n            nn.Sigmoid(),",
                            "nn.Sigmoid(),\n            nn.Linear(hidden_size, hidden_size),\n            nn.ELU(),",
                            "generator-tests", 0.0, "Sigmoid then ELU", "toy_1d.generator.swapped-activations"),
    "no-sigmoid": ("discriminator", "            nn.Sigmoid(),\n", "",
                   "discriminator-tests", 0.0, "expected Sigmoid, found no activation",
                   "toy_1d.discriminator.no-sigmoid"),
    "no-mean": ("decorate-with-diffs", "diffs = (data - mean) ** exponent", "diffs = data ** exponent",
                "decorate-with-diffs-tests", 0.0, "subtract the row's mean first",
                "toy_1d.decorate_with_diffs.mean-not-subtracted"),
    # A correct answer that warns keeps its point, with the warning shown.
    "warns-tensor-copy": ("get-distribution-sampler", "return mu + sigma * torch.randn(n, 1)",
                          "return torch.tensor(mu + sigma * torch.randn(n, 1))", "get-distribution-sampler-tests",
                          1.0, "Warning (shown, not scored): UserWarning: To copy construct from a tensor", None),
    # Output written to stderr on purpose still costs the test cell that runs it, as nbgrader scores it.
    "stderr-on-purpose": ("get-generator-input-sampler", "    return sample",
                          "    import sys\n    print('debug: the noise sampler is ready', file=sys.stderr)\n"
                          "    return sample", "get-generator-input-sampler-tests", 0.0,
                          "debug: the noise sampler is ready", "grading.cell.stderr"),
    # A functional forward with the wrong activation is named like a wrong module.
    "functional-leaky": ("discriminator", SEQUENTIAL_D, FUNCTIONAL_D, "discriminator-tests", 0.0,
                         "after the first Linear layer: expected ELU, found LeakyReLU(0.01)",
                         "toy_1d.discriminator.wrong-activation"),
}


def test_typical_toy_1d_mistakes_lose_exactly_their_points(graded_course):
    """Does each classic mistake lose exactly its points, with the reason in the feedback?"""
    assert_mistakes_cost_exactly(graded_course, "toy_1d", MISTAKES)
