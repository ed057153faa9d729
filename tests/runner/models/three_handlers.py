"""Three handlers around one site: trace (the runner's), scale and a plate."""
from pyro.distributions import Normal

import minipyro as pyro


def model():
    with pyro.scale(scale=2.0):
        with pyro.plate("data", 3):
            print("inside the plate")
            pyro.sample("x", Normal(0.0, 1.0))
    pyro.param("w", lambda: Normal(0.0, 1.0).sample())
