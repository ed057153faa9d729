"""A small VAE as Pyro's tutorial writes it: pyro.module registers the decoder's weights."""

import pyro
import pyro.distributions as dist
import torch
from torch import nn

pyro.clear_param_store()
DATA = (torch.rand(16, 6) > 0.5).float()


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 8)
        self.fc2 = nn.Linear(8, 6)

    def forward(self, z):
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(z))))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        out = self.fc(x)
        return out[:, :2], torch.exp(out[:, 2:])


decoder, encoder = Decoder(), Encoder()


def model(x):
    pyro.module("decoder", decoder)
    with pyro.plate("data", x.shape[0]):
        z = pyro.sample("z", dist.Normal(torch.zeros(x.shape[0], 2), 1.0).to_event(1))
        pyro.sample("obs", dist.Bernoulli(decoder(z)).to_event(1), obs=x)


def guide(x):
    pyro.module("encoder", encoder)
    with pyro.plate("data", x.shape[0]):
        loc, scale = encoder(x)
        pyro.sample("z", dist.Normal(loc, scale).to_event(1))


args = (DATA,)
svi = {"steps": 20, "lr": 0.01}
