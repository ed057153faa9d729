"""A Pyro program as Pyro's tutorials write it: pyro.clear_param_store, an AutoNormal guide,
a PyroModule regression and ClippedAdam, run unchanged in Pyro mode."""

import pyro
import pyro.distributions as dist
import torch
from pyro.infer.autoguide import AutoNormal
from pyro.nn import PyroModule, PyroSample

pyro.clear_param_store()

X = torch.linspace(-2.0, 2.0, 30).unsqueeze(-1)
Y = 1.5 * X.squeeze(-1) - 0.5 + 0.3 * torch.randn(30)


class Regression(PyroModule):
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


model = Regression()
guide = AutoNormal(model)
args = (X, Y)
svi = {"steps": 30, "lr": 0.05, "optimizer": "ClippedAdam", "optimizer_kwargs": {"clip_norm": 5.0}}
