"""Pyro used without SVI or an ELBO: importance sampling."""
import pyro
import pyro.distributions as dist
from pyro.infer import Importance


def model():
    pyro.sample("x", dist.Normal(0.0, 1.0))


Importance(model, num_samples=5).run()
print("sampled")
