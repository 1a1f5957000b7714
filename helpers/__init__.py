"""Shared code for the CNN course's lessons.

Modules, one per concern:

* :mod:`helpers.runtime`  – profile (full / quick), seeding, device line, quiet start-up;
* :mod:`helpers.datasets` – MNIST and CIFAR-10 online or offline, sample photos;
* :mod:`helpers.plotting` – image grids, kernels, feature maps, learning curves;
* :mod:`helpers.checks`   – instant feedback for visible tests;
* :mod:`helpers.autodiff` – gradients through the Keras backend (TensorFlow, JAX, PyTorch);
* :mod:`helpers.explorer` – the interactive convolution explorer;
* :mod:`helpers.pretrained` – ImageNet weights for VGG16 / ResNet50 (cache, folder, download),
  ImageNet's class names and the whole classifiers on real photos;
* :mod:`helpers.architectures` – networks described as layer tables, built on demand;
* :mod:`helpers.gradients` – the size of the loss's gradient at every layer;
* :mod:`helpers.colab`    – badges and the Colab set-up, from ``[tool.course]`` in pyproject;
* :mod:`helpers.prefetch` – fill the data and weights caches ahead of time (Binder's build).

Importing the package silences TensorFlow's start-up messages on stderr.
"""

from helpers.runtime import Profile, current_profile, setup

__all__ = ["Profile", "current_profile", "setup"]
