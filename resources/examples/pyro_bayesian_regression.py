"""Bayesian linear regression with PyroModule and PyroSample priors.

A ``PyroModule[nn.Linear]`` whose weight and bias are ``PyroSample`` priors: reading
``self.linear.weight`` inside ``forward`` is a sample site. ``AutoDiagonalNormal`` fits one
Gaussian over all latents at once.

What to watch:
1. ``sample("linear.weight")`` and ``sample("linear.bias")``: the module's attributes become
   sites named by their path in the module.
2. ``sample("sigma")`` is the noise scale; ``sample("obs")`` scores the data inside ``plate("data")``.
3. The guide draws one vector, ``sample("_AutoDiagonalNormal_latent")``, and splits it into the
   sites above.
"""

import pyro
import pyro.distributions as dist
import torch
from pyro.infer.autoguide import AutoDiagonalNormal
from pyro.nn import PyroModule, PyroSample

title = "Pyro mode: PyroModule regression"

generator = torch.Generator().manual_seed(0)
x = torch.linspace(-2.0, 2.0, 40).unsqueeze(-1)
y = 1.5 * x.squeeze(-1) - 0.5 + 0.3 * torch.randn(40, generator=generator)
args = (x, y)
svi = {"steps": 500, "lr": 0.05}


class BayesianRegression(PyroModule):
    def __init__(self):
        super().__init__()
        self.linear = PyroModule[torch.nn.Linear](1, 1)
        self.linear.weight = PyroSample(dist.Normal(0.0, 1.0).expand([1, 1]).to_event(2))
        self.linear.bias = PyroSample(dist.Normal(0.0, 10.0).expand([1]).to_event(1))

    def forward(self, x, y=None):
        sigma = pyro.sample("sigma", dist.Uniform(0.0, 1.0))
        mean = self.linear(x).squeeze(-1)
        with pyro.plate("data", x.shape[0]):
            return pyro.sample("obs", dist.Normal(mean, sigma), obs=y)


model = BayesianRegression()
guide = AutoDiagonalNormal(model)
