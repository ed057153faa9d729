"""Three handlers, each doing one thing to the same message.

The model runs three sites inside ``replay``, ``block`` and ``plate``:

What to watch:
1. ``sample("z")`` goes down the stack: ``plate`` broadcasts its distribution to
   3 copies and adds itself to ``cond_indep_stack``; ``block`` lets it pass;
   ``replay`` sets its ``value`` to the proposal's value, so the default
   behaviour keeps that value instead of sampling.
2. ``sample("noise")`` is hidden by ``block(hide=["noise"])``: block sets
   ``stop``, so ``replay`` and the runner's ``trace`` below never see it (they
   are greyed), and ``postprocess_message`` runs only on the handlers above.
3. ``sample("obs")`` is observed: ``replay`` leaves observed sites alone.
"""

import torch
from pyro.distributions import Normal

import minipyro as pyro

title = "Replay, block and plate together"

data = torch.tensor([0.5, 1.5, 1.0])
args = (data,)


def proposal(data):
    with pyro.plate("data", len(data)):
        pyro.sample("z", Normal(1.0, 0.1))


def model(data):
    proposal_trace = pyro.block(pyro.trace(proposal).get_trace)(data)
    with pyro.replay(trace=proposal_trace), pyro.block(hide=["noise"]), pyro.plate("data", len(data)):
        z = pyro.sample("z", Normal(0.0, 1.0))
        pyro.sample("noise", Normal(0.0, 1.0))
        pyro.sample("obs", Normal(z, 1.0), obs=data)
