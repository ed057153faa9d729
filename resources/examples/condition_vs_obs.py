"""Two ways to observe a site: in the model's code, or from outside it.

``sample("x", ..., obs=value)`` observes inside the model's code. ``condition`` does
the same from outside: it sets ``value`` and ``is_observed`` on the message as it
passes, so one model can be run conditioned on different data.

What to watch:
1. ``sample("weight")`` is latent; ``sample("measurement")`` is observed with ``obs=``:
   its message starts with a value.
2. Under ``condition``, ``sample("conditioned_weight")`` gets its value from the handler:
   the inspector shows ``value`` and ``is_observed`` change as the message passes it.
"""

import torch
from pyro.distributions import Normal

import minipyro as pyro

title = "Condition versus obs="


def scale_reading(guess, prefix=""):
    weight = pyro.sample(f"{prefix}weight", Normal(guess, 1.0))
    return pyro.sample(f"{prefix}measurement", Normal(weight, 0.75), obs=torch.tensor(9.5))


def model():
    scale_reading(8.5)
    conditioned = pyro.condition(scale_reading, data={"conditioned_weight": torch.tensor(9.0)})
    conditioned(8.5, prefix="conditioned_")
