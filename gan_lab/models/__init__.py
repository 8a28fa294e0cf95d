"""GAN model families, one module each: fully connected, convolutional, and the 1-D toy."""
from gan_lab.models.dcgan import (
    DCGANDiscriminator,
    DCGANGenerator,
    build_dc_classifier,
    build_dc_generator,
    discriminator_block,
    weights_init_normal,
)
from gan_lab.models.mlp import (
    MLPDiscriminator,
    MLPGenerator,
    vanilla_discriminator,
    vanilla_generator,
)
from gan_lab.models.toy1d import (
    ToyDiscriminator,
    ToyGenerator,
    decorate_with_diffs,
    discriminator_input_size,
    minibatch_features,
)

__all__ = [
    "MLPGenerator",
    "MLPDiscriminator",
    "vanilla_generator",
    "vanilla_discriminator",
    "DCGANGenerator",
    "DCGANDiscriminator",
    "discriminator_block",
    "weights_init_normal",
    "build_dc_generator",
    "build_dc_classifier",
    "ToyGenerator",
    "ToyDiscriminator",
    "decorate_with_diffs",
    "minibatch_features",
    "discriminator_input_size",
]
