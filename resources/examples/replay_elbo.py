"""Why the ELBO runs the model on the guide's values.

The ELBO scores the guide's sample under the model. ``elbo`` traces the guide,
then runs the model under ``replay(trace=guide_trace)``: at each latent site the
model takes the guide's value instead of drawing its own.

What to watch:
1. The guide's ``sample("z")`` is drawn by the default behaviour.
2. In the model, ``replay`` sets ``value`` and ``done`` for ``sample("z")``: the default
   behaviour keeps the value ("value already set").
3. ``sample("x")`` is observed: ``replay`` leaves observed sites alone.
"""

import torch
from pyro.distributions import Normal

import minipyro as pyro

title = "Replay and the ELBO"

args = (torch.tensor(2.0),)


def guide(x):
    pyro.sample("z", Normal(pyro.param("q", torch.tensor(0.0)), 1.0))


def model(x):
    # block: the guide's sites are the guide's, not the model's (the runner traces the model)
    guide_trace = pyro.block(pyro.trace(guide).get_trace)(x)
    with pyro.replay(trace=guide_trace):
        z = pyro.sample("z", Normal(0.0, 1.0))
        pyro.sample("x", Normal(z, 1.0), obs=x)
