import pyro
import pyro.distributions as dist

import minipyro


def model():
    with minipyro.trace():
        pyro.sample("x", dist.Normal(0.0, 1.0))
