from pyro.distributions import Normal

import minipyro as pyro


def model():
    pyro.sample("x", Normal(0.0, 1.0))
    pyro.sample("x", Normal(0.0, 1.0))
