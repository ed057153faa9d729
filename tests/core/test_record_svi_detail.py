"""``record(detail="svi")``: SVI steps, ELBO evaluations outside SVI.step (``loss`` events) and
structure, on either engine, passively; ``first_step="sites"`` adds every site up to the first step."""

import pyro
import pyro.distributions as dist
import pytest
import torch
from pyro.infer import SVI, Trace_ELBO, TraceMeanField_ELBO
from pyro.optim import Adam

import minipyro
from minipyro.observe import pyro_mode
from tests.pyro_seed_model import guide, model




def training(data):
    """Pyro's three ways of using an ELBO: SVI.step, elbo.loss, an ELBO module with torch's optimiser."""
    pyro.clear_param_store()
    pyro.set_rng_seed(0)
    svi = SVI(model, guide, Adam({"lr": 0.1}), Trace_ELBO())
    step_losses = [svi.step(data) for _ in range(3)]
    evaluated = Trace_ELBO().loss(model, guide, data)
    module = TraceMeanField_ELBO()(model, guide)
    optimizer = torch.optim.SGD([pyro.param("q_loc").unconstrained()], lr=0.01)
    module_losses = []
    for _ in range(2):
        optimizer.zero_grad()
        loss = module(data)
        loss.backward()
        optimizer.step()
        module_losses.append(loss.item())
    return step_losses, evaluated, module_losses, torch.rand(())


def test_svi_detail_records_what_the_script_computes_and_nothing_else():
    data = torch.arange(5.0)
    unrecorded = training(data)
    with minipyro.record(detail="svi") as rec:
        recorded = training(data)
    assert recorded[:3] == unrecorded[:3]
    assert torch.equal(recorded[3], unrecorded[3])  # no random number drawn for the recording

    step_losses, evaluated, module_losses, _ = recorded
    kinds = {event.kind for event in rec}
    assert kinds == {"svi_step", "loss", "structure"}
    assert [event["loss"] for event in rec if event.kind == "svi_step"] == step_losses
    losses = [event for event in rec if event.kind == "loss"]
    assert [event["value"] for event in losses] == [evaluated, *module_losses]
    assert [event["n"] for event in losses] == [0, 1, 2]
    assert [event["elbo"] for event in losses] == ["Trace_ELBO", "TraceMeanField_ELBO", "TraceMeanField_ELBO"]
    structures = [event for event in rec if event.kind == "structure"]
    assert structures and structures[0]["relations"]["sample_sample"] == {"loc": [], "obs": ["loc"]}


def test_first_step_detail_shows_every_site_up_to_the_first_step_only():
    data = torch.arange(5.0)
    with minipyro.record(detail="svi", first_step="sites") as rec:
        training(data)
    kinds = [event.kind for event in rec]
    first_step = kinds.index("svi_step")
    assert {"handler_enter", "msg_start", "msg_end"} <= set(kinds[:first_step])
    assert {"svi_step", "loss", "structure"} >= set(kinds[first_step:])
    assert len([k for k in kinds if k == "svi_step"]) == 3


def test_pyro_is_left_as_it_was():
    originals = (pyro.poutine.runtime.apply_stack, SVI.step, Trace_ELBO.loss, Trace_ELBO.differentiable_loss)
    with minipyro.record(detail="svi", first_step="sites"):
        assert pyro.poutine.runtime.apply_stack is not originals[0]  # sites for the first step
        training(torch.arange(3.0))
        assert pyro.poutine.runtime.apply_stack is originals[0]  # svi from then on: Pyro's own
    assert (pyro.poutine.runtime.apply_stack, SVI.step, Trace_ELBO.loss, Trace_ELBO.differentiable_loss) == originals
    assert not pyro_mode._originals


def minipyro_model(data):
    loc = minipyro.sample("loc", dist.Normal(0.0, 10.0))
    with minipyro.plate("data", len(data)):
        minipyro.sample("obs", dist.Normal(loc, 1.0), obs=data)


def minipyro_guide(data):
    minipyro.sample("loc", dist.Normal(minipyro.param("q_loc", torch.tensor(0.0)), 1.0))


@pytest.mark.parametrize("detail", ["svi", "sites"])
def test_minipyro_reports_steps_and_evaluations_too(detail):
    data = torch.arange(4.0)
    minipyro.get_param_store().clear()
    minipyro.set_rng_seed(1)
    with minipyro.record(detail=detail) as rec:
        svi = minipyro.SVI(minipyro_model, minipyro_guide, minipyro.Adam({"lr": 0.1}), minipyro.Trace_ELBO())
        step_loss = svi.step(data)
        evaluated = svi.evaluate_loss(data)
    assert [event["loss"] for event in rec if event.kind == "svi_step"] == [step_loss]
    assert [event["value"] for event in rec if event.kind == "loss"] == [evaluated]
    assert ("msg_end" in {event.kind for event in rec}) == (detail == "sites")
