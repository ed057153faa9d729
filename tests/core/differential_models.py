"""Model/guide pairs written against pyroapi, so each runs unchanged on full Pyro and on minipyro.

Together they cover every handler, every plate form (automatic and explicit
dims, nested, subsampled, sequential), every ELBO and every optimiser.
"""

from dataclasses import dataclass, field
from typing import Callable

import torch
from pyroapi import distributions as dist
from pyroapi import handlers, pyro

constraints = torch.distributions.constraints
_data = torch.Generator().manual_seed(123)


def _randn(*shape):
    return torch.randn(*shape, generator=_data)


@dataclass
class Case:
    name: str
    model: Callable
    guide: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    elbo: str = "Trace_ELBO"
    elbo_kwargs: dict = field(default_factory=dict)
    optim: str = "Adam"
    optim_args: dict = field(default_factory=lambda: {"lr": 0.05})


CASES: list[Case] = []


def case(**options):
    def register(pair):
        model, guide = pair()
        CASES.append(Case(pair.__name__, model, guide, **options))
        return pair
    return register


NORMAL_DATA = 3.0 + _randn(100)


@case(args=(NORMAL_DATA,))
def normal_normal():
    def model(data):
        loc = pyro.sample("loc", dist.Normal(0.0, 10.0))
        with pyro.plate("data", len(data)):
            pyro.sample("obs", dist.Normal(loc, 1.0), obs=data)

    def guide(data):
        q_loc = pyro.param("q_loc", torch.tensor(0.0))
        q_scale = pyro.param("q_scale", torch.tensor(1.0), constraint=constraints.positive)
        pyro.sample("loc", dist.Normal(q_loc, q_scale))

    return model, guide


GROUPED = _randn(4, 6) + torch.arange(6.0)


@case(args=(GROUPED,), optim="ClippedAdam", optim_args={"lr": 0.05, "lrd": 0.99, "clip_norm": 5.0})
def nested_plates_automatic_dims():
    def model(data):
        scale = pyro.sample("scale", dist.LogNormal(0.0, 1.0))
        with pyro.plate("groups", data.shape[-1]):
            mu = pyro.sample("mu", dist.Normal(0.0, 5.0))
            with pyro.plate("members", data.shape[-2]):
                pyro.sample("obs", dist.Normal(mu, scale), obs=data)

    def guide(data):
        s_loc = pyro.param("s_loc", torch.tensor(0.0))
        pyro.sample("scale", dist.LogNormal(s_loc, 0.3))
        mu_loc = pyro.param("mu_loc", torch.zeros(data.shape[-1]))
        mu_scale = pyro.param("mu_scale", torch.ones(data.shape[-1]), constraint=constraints.positive)
        with pyro.plate("groups", data.shape[-1]):
            pyro.sample("mu", dist.Normal(mu_loc, mu_scale))

    return model, guide


REGRESSION_X = _randn(50, 3)
REGRESSION_Y = REGRESSION_X @ torch.tensor([1.0, -2.0, 0.5]) + 0.1 * _randn(50)


@case(args=(REGRESSION_X, REGRESSION_Y), optim="SGD", optim_args={"lr": 0.001, "momentum": 0.9})
def subsampled_plate_explicit_dim():
    def model(x, y):
        w = pyro.sample("w", dist.Normal(torch.zeros(3), 1.0).to_event(1))
        with pyro.plate("data", len(x), subsample_size=10, dim=-1) as idx:
            pyro.sample("y", dist.Normal(x[idx] @ w, 0.1), obs=y[idx])

    def guide(x, y):
        w_loc = pyro.param("w_loc", torch.zeros(3))
        pyro.sample("w", dist.Normal(w_loc, 0.1).to_event(1))
        with pyro.plate("data", len(x), subsample_size=10, dim=-1):
            pass

    return model, guide


LOCAL_DATA = _randn(20) * 2


@case(args=(LOCAL_DATA,))
def local_param_in_subsampled_plate():
    def model(data):
        with pyro.plate("data", len(data), subsample_size=5) as idx:
            z = pyro.sample("z", dist.Normal(0.0, 3.0))
            pyro.sample("obs", dist.Normal(z, 1.0), obs=data[idx])

    def guide(data):
        with pyro.plate("data", len(data), subsample_size=5):
            z_loc = pyro.param("z_loc", torch.zeros(len(data)), event_dim=0)
            pyro.sample("z", dist.Normal(z_loc, 0.5))

    return model, guide


@case(args=(torch.tensor([0.5, -1.0, 2.0]),))
def sequential_plate():
    def model(data):
        loc = pyro.sample("loc", dist.Normal(0.0, 2.0))
        for i in pyro.plate("items", len(data)):
            pyro.sample(f"obs_{i}", dist.Normal(loc, 1.0), obs=data[i])

    def guide(data):
        q_loc = pyro.param("q_loc", torch.tensor(0.3))
        pyro.sample("loc", dist.Normal(q_loc, 0.7))

    return model, guide


MIXTURE_DATA = torch.cat([_randn(10) - 3.0, _randn(10) + 3.0])


@case(args=(MIXTURE_DATA,))
def discrete_latent_score_function():
    def model(data):
        locs = pyro.param("locs", torch.tensor([-1.0, 1.0]))
        weights = pyro.param("weights", torch.tensor([0.5, 0.5]), constraint=constraints.simplex)
        with pyro.plate("data", len(data)):
            k = pyro.sample("k", dist.Categorical(weights))
            pyro.sample("obs", dist.Normal(locs[k], 1.0), obs=data)

    def guide(data):
        probs = pyro.param("assignment", torch.full((len(data), 2), 0.5), constraint=constraints.simplex)
        with pyro.plate("data", len(data)):
            pyro.sample("k", dist.Categorical(probs))

    return model, guide


SCHOOLS_Y = torch.tensor([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SCHOOLS_SIGMA = torch.tensor([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])


@case(args=(SCHOOLS_SIGMA, SCHOOLS_Y), elbo="TraceMeanField_ELBO")
def eight_schools_mean_field():
    def model(sigma, y):
        mu = pyro.sample("mu", dist.Normal(0.0, 5.0))
        tau = pyro.sample("tau", dist.HalfCauchy(5.0))
        with pyro.plate("schools", len(y)):
            theta = pyro.sample("theta", dist.Normal(mu, tau))
            pyro.sample("obs", dist.Normal(theta, sigma), obs=y)

    def guide(sigma, y):
        pyro.sample("mu", dist.Normal(pyro.param("mu_loc", torch.tensor(0.0)), 1.0))
        tau_loc = pyro.param("tau_loc", torch.tensor(1.0))
        pyro.sample("tau", dist.LogNormal(tau_loc, 0.5))
        theta_loc = pyro.param("theta_loc", torch.zeros(len(y)))
        theta_scale = pyro.param("theta_scale", torch.ones(len(y)), constraint=constraints.positive)
        with pyro.plate("schools", len(y)):
            pyro.sample("theta", dist.Normal(theta_loc, theta_scale))

    return model, guide


@case(args=(NORMAL_DATA,), elbo="JitTrace_ELBO")
def jit_normal_normal():
    return normal_normal()


@case(args=(NORMAL_DATA,), kwargs={"prior_scale": 3.0, "plate_name": "obs_plate"}, elbo="JitTrace_ELBO")
def jit_with_keyword_arguments():
    def model(data, prior_scale=10.0, plate_name="data"):
        loc = pyro.sample("loc", dist.Normal(0.0, prior_scale))
        with pyro.plate(plate_name, len(data)):
            pyro.sample("obs", dist.Normal(loc, 1.0), obs=data)

    def guide(data, prior_scale=10.0, plate_name="data"):
        q_loc = pyro.param("q_loc", torch.tensor(0.0))
        q_scale = pyro.param("q_scale", torch.tensor(1.0), constraint=constraints.positive)
        pyro.sample("loc", dist.Normal(q_loc, q_scale))

    return model, guide


COIN_FLIPS = (torch.rand(30, generator=_data) < 0.7).float()


@case(args=(COIN_FLIPS,), elbo_kwargs={"num_particles": 3})
def coin_beta_condition_handler():
    def flips(n):
        p = pyro.sample("p", dist.Beta(2.0, 2.0))
        with pyro.plate("flips", n):
            pyro.sample("flip", dist.Bernoulli(p))

    def model(data):
        handlers.condition(flips, data={"flip": data})(len(data))

    def guide(data):
        a = pyro.param("a", torch.tensor(3.0), constraint=constraints.positive)
        b = pyro.param("b", torch.tensor(3.0), constraint=constraints.positive)
        pyro.sample("p", dist.Beta(a, b))

    return model, guide


MASKED_DATA = _randn(12) + 1.0
MASK = torch.arange(12) % 3 != 0


@case(args=(MASKED_DATA,))
def scale_and_mask_handlers():
    def model(data):
        loc = pyro.sample("loc", dist.Normal(0.0, 3.0))
        with handlers.scale(scale=0.5), pyro.plate("data", len(data)):
            with handlers.mask(mask=MASK):
                pyro.sample("obs", dist.Normal(loc, 1.0), obs=data)

    def guide(data):
        with handlers.scale(scale=2.0):
            pyro.sample("loc", dist.Normal(pyro.param("q_loc", torch.tensor(0.0)), 0.5))

    return model, guide


@case(args=(NORMAL_DATA[:20],))
def block_deterministic_and_factor():
    def model(data):
        loc = pyro.sample("loc", dist.Normal(0.0, 10.0))
        shifted = pyro.deterministic("shifted", loc + 1.0)
        # A nuisance draw that no inference should see.
        with handlers.block(hide=["noise"]):
            pyro.sample("noise", dist.Normal(0.0, 1.0))
        pyro.factor("prefer_small", -0.1 * shifted**2)
        with pyro.plate("data", len(data)):
            pyro.sample("obs", dist.Normal(loc, 1.0), obs=data)

    def guide(data):
        pyro.sample("loc", dist.Normal(pyro.param("q_loc", torch.tensor(0.0)), 0.5))

    return model, guide


@case(args=(NORMAL_DATA[:10],))
def substitute_do_uncondition():
    def inner(data):
        scale = pyro.param("scale", torch.tensor(2.0), constraint=constraints.positive)
        loc = pyro.sample("loc", dist.Normal(0.0, scale))
        offset = pyro.sample("offset", dist.Normal(0.0, 1.0))
        hidden = pyro.sample("hidden", dist.Normal(loc, 1.0), obs=torch.tensor(0.0))
        with pyro.plate("inner_data", len(data)):
            pyro.sample("obs", dist.Normal(loc + offset + hidden, 1.0), obs=data)

    def model(data):
        shared_scale = pyro.param("shared_scale", torch.tensor(5.0), constraint=constraints.positive)
        fixed_scale = handlers.substitute(inner, data={"scale": shared_scale})
        intervened = handlers.do(fixed_scale, data={"offset": torch.tensor(0.25)})
        unconditioned = handlers.uncondition(handlers.block(intervened, hide=["obs"]))
        with pyro.plate("data", len(data)):
            pyro.sample("obs", dist.Normal(0.0, 5.0), obs=data)
        return unconditioned(data)

    def guide(data):
        pyro.sample("loc", dist.Normal(pyro.param("q_loc", torch.tensor(0.0)), 0.5))
        pyro.sample("offset", dist.Normal(pyro.param("q_offset", torch.tensor(0.0)), 0.5))
        pyro.sample("hidden", dist.Normal(pyro.param("q_hidden", torch.tensor(0.0)), 0.5))

    return model, guide


@case(args=(), optim="Adam", optim_args={"lr": 0.1, "betas": (0.8, 0.99)})
def replay_inside_model():
    def proposal():
        return pyro.sample("z", dist.Normal(1.0, 1.0))

    def model():
        z = pyro.sample("z", dist.Normal(0.0, 1.0))
        pyro.sample("x", dist.Normal(z, 0.5), obs=torch.tensor(2.0))

    def guide():
        # A guide that re-uses another program's value through replay.
        q = pyro.param("q", torch.tensor(0.0))
        proposal_trace = handlers.block(handlers.trace(proposal).get_trace)()
        z = handlers.replay(lambda: pyro.sample("z", dist.Normal(q, 1.0)), trace=proposal_trace)()
        return z

    return model, guide
