"""What is measured: the workloads, their size classes (those of shared/gf_options.c, which a
test compares with the binaries' --help) and the micro-benchmarks."""

WORKLOADS = ["sum", "primes", "resize"]
# Per class: sum's n, the scale of primes' limits, resize's image width and height.
CLASSES = {
    "S": (2_000_000, 1, 1920, 1080),
    "W": (64_000_000, 6, 1920 * 20, 1080 * 20),
    "A": (640_000_000, 34, 1920 * 64, 1080 * 64),
    "B": (6_400_000_000, 175, 1920 * 200, 1080 * 200),
}
CLASS_ORDER = "".join(CLASSES)
# primes' task list at class S, in the lecture's submission order; resize's image count.
LECTURE_LIMITS = [20000, 30000, 25000, 35000, 40000, 15000]
IMAGES = 8
# The micro-benchmarks, in the order of the report.
EXPERIMENTS = ("startup", "ipc", "counter", "grain", "paths")


def class_sizes(cls):
    """(n, limits, images, width, height) of a class."""
    n, scale, width, height = CLASSES[cls]
    return n, [lim * scale for lim in LECTURE_LIMITS], IMAGES, width, height
