"""Lab 1 (MLP GAN) under real nbgrader: typical wrong answers lose exactly their points."""
from course_helpers import assert_mistakes_cost_exactly

SEQUENTIAL_G = """        self.model = nn.Sequential(
            nn.Linear(input_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, output_dim),
            nn.Tanh(),
        )

    def forward(self, x):
        return self.model(x)"""
FUNCTIONAL_G = """        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.fc2 = nn.Linear(hidden_dim, hidden_dim)
        self.fc3 = nn.Linear(hidden_dim, output_dim)

    def forward(self, x):
        h = torch.relu(self.fc1(x))
        h = nn.functional.leaky_relu(self.fc2(h), 0.01)
        return torch.tanh(self.fc3(h))"""
SEQUENTIAL_D = """        self.model = nn.Sequential(
            nn.Linear(input_dim, hidden_dim),
            nn.LeakyReLU(0.1),
            nn.Linear(hidden_dim, hidden_dim),
            nn.LeakyReLU(0.1),
            nn.Linear(hidden_dim, 1),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.model(x)"""
SHARED_D = """        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.fc2 = nn.Linear(hidden_dim, hidden_dim)
        self.fc3 = nn.Linear(hidden_dim, 1)
        self.act = nn.LeakyReLU()  # one activation, shared by both hidden layers

    def forward(self, x):
        return torch.sigmoid(self.fc3(self.act(self.fc2(self.act(self.fc1(x))))))"""

MISTAKES = {
    # student: (cell, old, new, graded cell, points for it, reason shown in the feedback,
    #           the key of the mistake the graded notebook carries, None when it keeps its points)
    "no-detach": ("training-steps", "fake_images = G(noise).detach()", "fake_images = G(noise)",
                  "train-discriminator-tests", 2.0, "detach the fake images", "mlp_gan.train_discriminator.no-detach"),
    "real-labelled-0": ("training-steps", "real_loss = loss_func(real_output, torch.ones_like(real_output))",
                       "real_loss = loss_func(real_output, torch.zeros_like(real_output))",
                       "train-discriminator-tests", 1.0, "the real images were labelled 0 too",
                       "mlp_gan.train_discriminator.real-labelled-fake"),
    "zero-grad-after-backward": ("training-steps", "    optim_D.zero_grad()  # 1. clear the gradients of earlier steps\n    loss_D.backward()  # 2. this step's gradients\n",
                                 "    loss_D.backward()  # 2. this step's gradients\n    optim_D.zero_grad()  # 1. clear the gradients of earlier steps\n",
                                 "train-discriminator-tests", 1.0, "the weights did not change",
                                 "mlp_gan.train_discriminator.weights-unchanged"),
    "grid-not-normalized": ("tensorboard-logging", "make_grid(fake_images, normalize=True)", "make_grid(fake_images)",
                            "tensorboard-logging-tests", 2.0, "normalize=True",
                            "mlp_gan.tensorboard_logging.grid-not-normalized"),
    "slope-0.2": ("discriminator", "nn.LeakyReLU(0.1)", "nn.LeakyReLU(0.2)",
                  "discriminator-tests", 0.0, "expected LeakyReLU(0.1), found LeakyReLU(0.2)",
                  "mlp_gan.discriminator.dcgan-slope"),
    "no-sigmoid": ("discriminator", "            nn.Sigmoid(),\n", "",
                   "discriminator-tests", 0.0, "is the Sigmoid missing?", "mlp_gan.discriminator.no-sigmoid"),
    "wrong-width": ("generator", "nn.Linear(hidden_dim, hidden_dim)", "nn.Linear(hidden_dim, 128)",
                    "generator-tests", 0.0, "the Linear layers: expected 100->256, 256->256, 256->784",
                    "mlp_gan.generator.layer-widths"),
    # A correct answer in an older torch's spelling keeps its points; the warning is shown.
    "warns-xavier-init": ("generator", "        )\n\n    def forward(self, x):",
                          "        )\n        nn.init.xavier_uniform(self.model[0].weight)\n\n    def forward(self, x):",
                          "generator-tests", 2.0,
                          "Warning (shown, not scored): FutureWarning: `nn.init.xavier_uniform` is now deprecated",
                          None),
    # Wrong activations written functionally are named like wrong modules.
    "functional-leaky": ("generator", SEQUENTIAL_G, FUNCTIONAL_G, "generator-tests", 0.0,
                         "after the second Linear layer: expected ReLU, found LeakyReLU(0.01)",
                         "mlp_gan.generator.wrong-activation"),
    "shared-default-leaky": ("discriminator", SEQUENTIAL_D, SHARED_D, "discriminator-tests", 0.0,
                             "after the first Linear layer: expected LeakyReLU(0.1), found LeakyReLU(0.01)",
                             "mlp_gan.discriminator.default-slope"),
    "saturating-g-loss": ("training-steps", "    loss_G = loss_func(fake_output, torch.ones_like(fake_output))",
                          "    loss_G = -loss_func(fake_output, torch.zeros_like(fake_output))",
                          "train-generator-tests", 0.0, "a negative loss_G is the saturating loss",
                          "mlp_gan.train_generator.saturating-loss"),
}


def test_typical_mlp_gan_mistakes_lose_exactly_their_points(graded_course):
    """Does each classic mistake lose exactly its points, with the reason in the feedback?"""
    assert_mistakes_cost_exactly(graded_course, "mlp_gan", MISTAKES)
