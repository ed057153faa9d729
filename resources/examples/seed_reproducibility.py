"""A handler on the stack like any other, which makes random draws repeatable.

``seed(rng_seed=0)`` seeds torch, ``random`` and numpy when it is entered and puts
the old random state back when it exits. In minipyro it sits on the handler stack
like every other handler, so you can see where it applies.

What to watch:
1. ``sample("first")`` and ``sample("again")`` run under ``seed`` with the same seed:
   step to their ``default`` steps and compare the values.
2. ``sample("unseeded")`` runs outside it and draws something else.
"""

from pyro.distributions import Normal

import minipyro as pyro

title = "Seed: the same draws every time"


def draw(name):
    return pyro.sample(name, Normal(0.0, 1.0))


def model():
    first = pyro.seed(draw, rng_seed=0)("first")
    again = pyro.seed(draw, rng_seed=0)("again")
    other = draw("unseeded")
    print(f"first {first.item():.4f}, again {again.item():.4f}, unseeded {other.item():.4f}")
