"""A site, then plain Python that never reaches another site: a pause and a stop must reach it."""
from pyro.distributions import Normal

import minipyro as pyro


def model():
    pyro.sample("x", Normal(0.0, 1.0))
    n = 0
    while True: n += 1  # noqa: E701  (one line: the loop's line, where a pause or a stop lands)
