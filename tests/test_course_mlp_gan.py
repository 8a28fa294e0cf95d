"""Lab 1 (MLP GAN) under real nbgrader: typical wrong answers lose exactly their points."""
from course_helpers import assert_mistakes_cost_exactly

MISTAKES = {
    # student: (cell, old, new, graded cell, points for it, reason shown in the feedback)
    "no-detach": ("training-steps", "fake_images = G(noise).detach()", "fake_images = G(noise)",
                  "train-discriminator-tests", 2.0, "detach the fake images"),
    "swapped-labels": ("training-steps", "real_loss = loss_func(real_output, torch.ones_like(real_output))",
                       "real_loss = loss_func(real_output, torch.zeros_like(real_output))",
                       "train-discriminator-tests", 1.0, "loss_D: expected"),
    "zero-grad-after-backward": ("training-steps", "    optim_D.zero_grad()  # 1. clear the gradients of earlier steps\n    loss_D.backward()  # 2. this step's gradients\n",
                                 "    loss_D.backward()  # 2. this step's gradients\n    optim_D.zero_grad()  # 1. clear the gradients of earlier steps\n",
                                 "train-discriminator-tests", 1.0, "the weights did not change"),
    "grid-not-normalized": ("tensorboard-logging", "make_grid(fake_images, normalize=True)", "make_grid(fake_images)",
                            "tensorboard-logging-tests", 2.0, "normalize=True"),
    "slope-0.2": ("discriminator", "nn.LeakyReLU(0.1)", "nn.LeakyReLU(0.2)",
                  "discriminator-tests", 0.0, "expected LeakyReLU with negative_slope=0.1"),
    "no-sigmoid": ("discriminator", "            nn.Sigmoid(),\n", "",
                   "discriminator-tests", 0.0, "is the Sigmoid missing?"),
    "wrong-width": ("generator", "nn.Linear(hidden_dim, hidden_dim)", "nn.Linear(hidden_dim, 128)",
                    "generator-tests", 0.0, "the Linear layers: expected 100->256, 256->256, 256->784"),
}


def test_typical_mlp_gan_mistakes_lose_exactly_their_points(graded_course):
    """Does each classic mistake lose exactly its points, with the reason in the feedback?"""
    assert_mistakes_cost_exactly(graded_course, "mlp_gan", MISTAKES)
