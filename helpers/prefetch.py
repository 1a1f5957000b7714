"""Fill the caches the lessons read: MNIST, CIFAR-10, VGG16/ResNet50 weights, ImageNet class names.

``python -m helpers.prefetch`` downloads each file into the cache the lessons look in first
(``$KERAS_HOME/datasets``, ``$KERAS_HOME/models``; by default under ``~/.keras``), checks
it, and also builds the course's own cache of the bundled MNIST digits. Binder runs it while
building its image (``binder/postBuild``); an instructor can run it on each classroom machine.

Where there is no network (``COURSE_OFFLINE`` set, or the download host unreachable) it
prints one line saying it skipped, and exits 0: the lessons then fall back to the data the
installed packages ship. A file that fails to arrive is named, but is not an error either,
unless ``--strict`` is given.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
from collections.abc import Callable

from helpers.runtime import Profile

HOST = "storage.googleapis.com"  # serves MNIST and the Keras Applications weights
FULL = Profile("full")


def reachable(host: str = HOST, port: int = 443, timeout: float = 5.0) -> bool:
    """True if a TCP connection to ``host`` opens within ``timeout`` seconds (DNS included)."""
    result = {"ok": False}

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result["ok"] = True
        except OSError:
            pass

    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(timeout + 1)
    return result["ok"]


def _mnist() -> bool:
    from helpers import datasets

    return datasets.load_mnist(FULL, allow_download=True).full


def _cifar10() -> bool:
    from helpers import datasets

    return datasets.load_cifar10(FULL, allow_download=True).full


def _weights(name: str) -> Callable[[], bool]:
    def fetch() -> bool:
        from helpers import pretrained

        return pretrained.imagenet_weights(name, FULL, allow_download=True) is not None

    return fetch


def _classifier() -> bool:
    """ResNet50's weights with its top and ImageNet's class names (lesson 5's photo demo)."""
    from helpers import pretrained

    weights = pretrained.imagenet_weights("resnet50", FULL, allow_download=True, include_top=True)
    return weights is not None and pretrained.imagenet_class_index(FULL, True) is not None


def _bundled_digits() -> bool:
    from helpers import datasets

    return len(datasets.bundled_digits()[0]) == 5000


ITEMS: dict[str, Callable[[], bool]] = {
    "MNIST": _mnist,
    "CIFAR-10": _cifar10,
    "VGG16 weights": _weights("vgg16"),
    "ResNet50 weights": _weights("resnet50"),
    "ResNet50 classifier and ImageNet class names": _classifier,
}


def prefetch(strict: bool = False) -> int:
    """Fetch every item; return the exit status (non-zero only for ``strict`` failures)."""
    from helpers.datasets import keras_cache_dir, network_allowed
    from helpers.runtime import import_keras_quietly

    _bundled_digits()
    if not network_allowed():
        print("Prefetch skipped: COURSE_OFFLINE is set; the lessons will use the bundled data.")
        return 0
    if not reachable():
        print(
            f"Prefetch skipped: offline ({HOST} is unreachable); "
            "the lessons will use the bundled data."
        )
        return 0
    import_keras_quietly()
    failed = [name for name, fetch in ITEMS.items() if not fetch()]
    done = len(ITEMS) - len(failed)
    where = keras_cache_dir().parent
    print(
        f"Prefetched {done}/{len(ITEMS)} into {where}"
        + (f"; missing: {', '.join(failed)}." if failed else ".")
    )
    return 1 if strict and failed else 0


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m helpers.prefetch [--strict]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 if anything is missing")
    return prefetch(parser.parse_args(argv).strict)


if __name__ == "__main__":
    sys.exit(main())
