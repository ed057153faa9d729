"""A site, then a wait in C code that a stop cannot interrupt: the runner has to be killed."""
import time

from pyro.distributions import Normal

import minipyro as pyro


def model():
    pyro.sample("x", Normal(0.0, 1.0))
    time.sleep(60)  # the wait
