"""Students inside classrooms inside schools: how plates pick their dims.

What to watch:
1. ``plate("schools", 3)`` takes dim -1 (the rightmost) and ``plate("classes", 4)``, entered
   inside it, takes dim -2: automatic dims count from the right, skipping taken ones.
2. ``sample("class_effect")`` is in both plates: its batch shape is [4, 3];
   ``sample("school_effect")`` only in the outer one: [3]. Broadcasting lines them up.
3. ``sample("score")`` is inside all three plates, observed with shape [5, 4, 3].
"""

import torch
from pyro.distributions import Normal

import minipyro as pyro

title = "Nested plates"

scores = torch.randn(5, 4, 3, generator=torch.Generator().manual_seed(1)) + 70.0
args = (scores,)


def model(scores):
    overall = pyro.sample("overall", Normal(70.0, 10.0))
    with pyro.plate("schools", scores.shape[-1]):
        school_effect = pyro.sample("school_effect", Normal(0.0, 5.0))
        with pyro.plate("classes", scores.shape[-2]):
            class_effect = pyro.sample("class_effect", Normal(school_effect, 2.0))
            with pyro.plate("students", scores.shape[-3]):
                pyro.sample("score", Normal(overall + class_effect, 3.0), obs=scores)
