"""The short algorithms a lesson reads are the ones the core computes with."""

import torch
from pyro.distributions import Normal
from torch.distributions import constraints

import minipyro


def model(data):
    loc = minipyro.sample("loc", Normal(0.0, 10.0))
    scale = minipyro.sample("scale", Normal(0.0, 1.0)).exp()
    with minipyro.plate("data", len(data), subsample_size=4) as idx:
        with minipyro.scale(scale=0.5):
            minipyro.sample("obs", Normal(loc, scale), obs=data[idx])


def guide(data):
    q_loc = minipyro.param("q_loc", torch.tensor([0.3, 0.1]))
    q_scale = minipyro.param("q_scale", torch.tensor(0.7), constraint=constraints.positive)
    minipyro.sample("loc", Normal(q_loc[0], q_scale))
    minipyro.sample("scale", Normal(q_loc[0] * 0.1, 1.0))


DATA = torch.linspace(-1.0, 3.0, 10)


def value_and_grads(loss_fn):
    minipyro.set_rng_seed(7)
    loss = loss_fn(model, guide, DATA)
    params = [value for _, value in minipyro.get_param_store().named_parameters()]
    grads = torch.autograd.grad(loss, params)
    return loss.item(), grads


def test_minipyros_elbo_equals_trace_elbo_in_value_and_gradient():
    minipyro.get_param_store().clear()
    short_value, short_grads = value_and_grads(minipyro.elbo)
    fast_value, fast_grads = value_and_grads(minipyro.Trace_ELBO().differentiable_loss)
    assert abs(short_value - fast_value) <= 1e-5 * abs(fast_value)
    for short, fast in zip(short_grads, fast_grads):
        assert torch.allclose(short, fast, rtol=1e-5, atol=1e-6)


def test_an_svi_can_be_reused_after_the_param_store_is_cleared():
    """The optimiser once compared tuples of vector params with ``!=`` and raised."""
    svi = minipyro.SVI(model, guide, minipyro.Adam({"lr": 0.1}), minipyro.Trace_ELBO())
    minipyro.get_param_store().clear()
    svi.step(DATA)
    minipyro.get_param_store().clear()
    svi.step(DATA)  # new param tensors, a vector among them
    assert minipyro.get_param_store()["q_loc"].shape == (2,)


def test_trace_log_prob_sum_is_the_elbos_model_term():
    minipyro.get_param_store().clear()
    tr = minipyro.trace(model).get_trace(DATA)
    total = sum(minipyro.handlers.site_log_prob(site).sum() for site in tr.values()
                if site["type"] == "sample" and not minipyro.primitives.is_subsample_site(site))
    assert torch.allclose(tr.log_prob_sum(), total)
