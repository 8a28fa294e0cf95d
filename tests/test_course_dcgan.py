"""Lab 2 (DCGAN) under real nbgrader: typical wrong answers lose exactly their points."""
from course_helpers import assert_mistakes_cost_exactly

MISTAKES = {
    # student: (cell, old, new, graded cell, points for it, reason shown in the feedback,
    #           the key of the mistake the graded notebook carries, None when it keeps its points)
    "init-std-0.2": ("weights-init-normal", "mean=0.0, std=0.02)", "mean=0.0, std=0.2)",
                     "weights-init-normal-tests", 0.0, "0.2 is ten times the paper's spread",
                     "dcgan.weights_init_normal.spread-ten-times"),
    "bn-weight-at-0": ("weights-init-normal", "mean=1.0, std=0.02)", "mean=0.0, std=0.02)",
                       "weights-init-normal-tests", 0.0, "centred at 0 like the conv weights",
                       "dcgan.weights_init_normal.bn-weight-centred-at-0"),
    "stride-1": ("discriminator-block", "nn.Conv2d(in_filters, out_filters, 3, 2, 1)",
                 "nn.Conv2d(in_filters, out_filters, 3, 1, 1)",
                 "discriminator-block-tests", 0.0, "Conv2d stride: expected 2",
                 "dcgan.discriminator_block.wrong-stride"),
    "slope-0.01": ("discriminator-block", "nn.LeakyReLU(0.2, inplace=True)", "nn.LeakyReLU(inplace=True)",
                   "discriminator-block-tests", 0.0, "nn.LeakyReLU() defaults to 0.01",
                   "dcgan.discriminator_block.default-slope"),
    "no-batchnorm": ("discriminator-block", "        block.append(nn.BatchNorm2d(out_filters, 0.8))\n",
                     "        pass\n", "discriminator-block-tests", 0.0,
                     "a BatchNorm2d at the end of the block when bn is True", "dcgan.discriminator_block.no-batchnorm"),
    "fixed-8": ("generator", "out.view(out.shape[0], 128, self.init_size, self.init_size)",
                "out.view(out.shape[0], 128, 8, 8)", "generator-tests", 0.0, "not a fixed 8",
                "dcgan.generator.fixed-init-size"),
    # The visible check already asserts the mean, so summing costs the whole cell.
    "d-loss-summed": ("training-step", "d_loss = (real_loss + fake_loss) / 2", "d_loss = real_loss + fake_loss",
                      "training-step-tests", 0.0, "d_loss must be the mean of real_loss and fake_loss",
                      "dcgan.training_step.d-loss-sum-not-mean"),
    "g-labelled-fake": ("training-step", "g_loss = adversarial_loss(discriminator(gen_imgs), valid)",
                        "g_loss = adversarial_loss(discriminator(gen_imgs), fake)",
                        "training-step-tests", 2.0, "G's images must be labelled valid",
                        "dcgan.training_step.g-labelled-fake"),
    "momentum-0.8": ("batchnorm-reading", "bn_momentum = 0.1", "bn_momentum = 0.8",
                     "batchnorm-reading-tests", 1.0, "the 0.8 went to eps",
                     "dcgan.batchnorm_reading.answered-momentum-0-8"),
    # Correct answers in an older torch's spelling keep their points; the warnings are shown.
    "warns-init-no-underscore": ("weights-init-normal",
                                 "nn.init.normal_(m.weight, mean=1.0, std=0.02)\n        nn.init.constant_(m.bias, 0.0)",
                                 "nn.init.normal(m.weight, mean=1.0, std=0.02)\n        nn.init.constant(m.bias, 0.0)",
                                 "weights-init-normal-tests", 2.0,
                                 "Warning (shown, not scored): FutureWarning: `nn.init.constant` is now deprecated",
                                 None),
    "warns-size-average": ("training-step", "g_loss = adversarial_loss(discriminator(gen_imgs), valid)",
                           "g_loss = nn.functional.binary_cross_entropy(discriminator(gen_imgs), valid, size_average=True)",
                           "training-step-tests", 4.0,
                           "Warning (shown, not scored): UserWarning: size_average and reduce args will be deprecated",
                           None),
    # A first block that does not make the 128 maps conv_blocks starts from is named, not a torch error.
    "l1-64-maps": ("generator", "nn.Linear(latent_dim, 128 * self.init_size ** 2)",
                   "nn.Linear(latent_dim, 64 * self.init_size ** 2)", "generator-tests", 0.0,
                   "expected Linear(100, 8192), which makes the 128 maps of 8 x 8", "dcgan.generator.l1-wrong-size"),
}


def test_typical_dcgan_mistakes_lose_exactly_their_points(graded_course):
    """Does each classic mistake lose exactly its points, with the reason in the feedback?"""
    assert_mistakes_cost_exactly(graded_course, "dcgan", MISTAKES)
