"""Training in processes forked by torch.multiprocessing, beside one worker that never calls Pyro."""

import torch.multiprocessing as mp

import pyro
import pyro.distributions as dist
from pyro.infer import SVI, Trace_ELBO
from pyro.infer.autoguide import AutoNormal
from pyro.optim import Adam


def model():
    pyro.sample("z", dist.Normal(0.0, 1.0))


def train(seed):
    pyro.set_rng_seed(seed)
    svi = SVI(model, AutoNormal(model), Adam({"lr": 0.1}), Trace_ELBO())
    for step in range(3):
        print(f"worker {seed} step {step} loss {svi.step()!r}", flush=True)


def idle():
    print("a worker without Pyro", flush=True)


if __name__ == "__main__":
    context = mp.get_context("fork")
    workers = [context.Process(target=train, args=(seed,)) for seed in (1, 2)] + [context.Process(target=idle)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
