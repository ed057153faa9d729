"""A variational autoencoder whose networks are registered with pyro.module.

The decoder and encoder are plain ``torch.nn`` networks. ``pyro.module`` registers their
weights in Pyro's param store, so SVI trains them: each weight is a param site of its own.

What to watch:
1. ``param("decoder$$$fc1.weight")``: ``pyro.module("decoder", ...)`` sends one param message
   per weight, named ``module$$$weight``.
2. ``sample("z")`` in the guide: the encoder maps each image to a location and scale, and the
   latent code is drawn inside ``plate("data")`` with ``to_event(1)`` (a 2-dim event).
3. ``sample("obs")`` in the model: the decoder's pixel probabilities score the data.
"""

import pyro
import pyro.distributions as dist
import torch
from torch import nn

title = "Pyro mode: a VAE"

generator = torch.Generator().manual_seed(0)
images = (torch.rand(32, 8, generator=generator) > 0.5).float()
args = (images,)
svi = {"steps": 300, "lr": 0.01}


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 16)
        self.fc2 = nn.Linear(16, 8)

    def forward(self, z):
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(z))))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

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
