"""Posterior predictive draws after training.

Fit a line with an ``AutoNormal`` guide, then ask for the posterior predictive: what ``y`` the
fitted model expects at each ``x``. The ``predictive`` entry of the svi settings makes the runner
call ``Predictive(model, guide=guide, num_samples=200, parallel=True)(x, y=None)`` once the last
step is done, as a script would after its training loop.

What to watch (Train, then step through the messages after the last SVI step):
1. Predictive runs the guide three times. Twice under ``InitMessenger`` and ``TraceMessenger``,
   only to learn its plates and shapes; then inside the ``PlateMessenger``
   ``_num_predictive_samples``, which gives every latent a new leftmost dim of 200 draws:
   ``sample("slope_unconstrained")`` ends with shape (200,).
2. Then the model, three times too. In the last run ``ConditionMessenger`` hands
   ``sample("slope")``, ``sample("intercept")`` and ``sample("noise")`` their 200 guide draws:
   watch ``value set`` there, and the plate now at dim -2, left of ``plate("data")``.
3. ``sample("obs")`` has no data (``y=None``), so it is sampled: 200 rows of 40, the predictions.
   The console prints each site's shape, mean and sd.
"""

import pyro
import pyro.distributions as dist
import torch
from pyro.infer.autoguide import AutoNormal

title = "Pyro mode: Predictive"

generator = torch.Generator().manual_seed(1)
x = torch.linspace(0.0, 4.0, 40)
y = 0.8 * x + 1.0 + 0.4 * torch.randn(40, generator=generator)
args = (x,)
kwargs = {"y": y}
svi = {"steps": 600, "lr": 0.05,
       "predictive": {"num_samples": 200, "parallel": True, "kwargs": {"y": None}}}


def model(x, y=None):
    slope = pyro.sample("slope", dist.Normal(0.0, 2.0))
    intercept = pyro.sample("intercept", dist.Normal(0.0, 2.0))
    noise = pyro.sample("noise", dist.HalfNormal(1.0))
    with pyro.plate("data", len(x)):
        return pyro.sample("obs", dist.Normal(slope * x + intercept, noise), obs=y)


guide = AutoNormal(model)
