"""Lab 3 (GAN losses, LSGAN, DCGAN) under real nbgrader: typical wrong answers lose exactly their points."""
from course_helpers import assert_mistakes_cost_exactly

MISTAKES = {
    # student: (cell, old, new, graded cell, points for it, reason shown in the feedback,
    #           the key of the mistake the graded notebook carries, None when it keeps its points)
    "noise-in-0-1": ("sample_noise", "return 2 * torch.rand(batch_size, dim) - 1",
                     "return torch.rand(batch_size, dim)",
                     "sample_noise-tests", 0.0, "all in [0, 1)", "gan_losses.sample_noise.noise-in-0-1"),
    "averaged-d-loss": ("discriminator_loss", "loss = real_loss + fake_loss",
                        "loss = (real_loss + fake_loss) / 2",
                        "discriminator_loss-tests", 0.0, "did you average the two terms instead of adding them?",
                        "gan_losses.discriminator_loss.mean-not-sum"),
    "lsgan-without-half": ("ls_discriminator_loss",
                           "loss = 0.5 * torch.mean((scores_real - 1) ** 2) + 0.5 * torch.mean(scores_fake ** 2)",
                           "loss = torch.mean((scores_real - 1) ** 2) + torch.mean(scores_fake ** 2)",
                           "ls_discriminator_loss-tests", 0.0, "did you leave out the factor 1/2 on each term?",
                           "gan_losses.ls_discriminator_loss.no-half"),
    "wrong-width": ("discriminator", "nn.Linear(256, 256)", "nn.Linear(256, 128)",
                    "discriminator-tests", 0.0, "expected 784->256, 256->256, 256->1, found 784->256, 256->128",
                    "gan_losses.discriminator.layer-widths"),
    "slope-0.2": ("discriminator", "nn.LeakyReLU(0.01)", "nn.LeakyReLU(0.2)",
                  "discriminator-tests", 0.0, "expected LeakyReLU(0.01), found LeakyReLU(0.2)",
                  "gan_losses.discriminator.wrong-activation"),
    "swapped-g-labels": ("generator_loss", "torch.ones_like(logits_fake)", "torch.zeros_like(logits_fake)",
                         "generator_loss-tests", 0.0, "are the labels swapped?",
                         "gan_losses.generator_loss.swapped-labels"),
    "global-noise-dim": ("build_dc_generator", "nn.Linear(noise_dim, 1024)", "nn.Linear(NOISE_DIM, 1024)",
                         "build_dc_generator-tests", 0.0, "did you use NOISE_DIM instead of the noise_dim argument?",
                         "gan_losses.build_dc_generator.global-noise-dim"),
    "q4-wrong-point": ("inline-question-4", "(-1, -1)", "(1, -1)",
                       "inline-question-4-tests", 1.0, "point 3 of 6 is wrong",
                       "gan_losses.minimax_answers.wrong-point"),
    "q4-wrong-value": ("inline-question-4", "minimax_value = 0\n", "minimax_value = 1\n",
                       "inline-question-4-tests", 1.0, "expected the value of min_x max_y xy as one number, found 1",
                       "gan_losses.minimax_answers.wrong-value"),
    # A correct answer in an older torch's spelling keeps its point; the warning is shown.
    "warns-init-uniform": ("sample_noise", "return 2 * torch.rand(batch_size, dim) - 1",
                           "return nn.init.uniform(torch.empty(batch_size, dim), -1, 1)", "sample_noise-tests", 1.0,
                           "Warning (shown, not scored): FutureWarning: `nn.init.uniform` is now deprecated", None),
}


def test_typical_gan_losses_mistakes_lose_exactly_their_points(graded_course):
    """Does each classic mistake lose exactly its points, with the reason in the feedback?"""
    assert_mistakes_cost_exactly(graded_course, "gan_losses", MISTAKES)
