"""What Pyro's tutorials do first works on minipyro too, with Pyro's numbers; what minipyro
leaves to full Pyro fails at once, saying so."""

import warnings

import pyro
import pyro.distributions as dist
import pyro.infer
import pyro.optim
import pytest
import torch

import minipyro


def svi_losses(engine, model, guide, steps=6, lr=0.1):
    """The same program on either engine: clear, seed, train; the losses and the warnings."""
    core = pyro if engine == "pyro" else minipyro
    core.clear_param_store()
    core.set_rng_seed(0)
    if engine == "pyro":
        svi = pyro.infer.SVI(model(core), guide(core), pyro.optim.Adam({"lr": lr}), pyro.infer.Trace_ELBO())
    else:
        svi = minipyro.SVI(model(core), guide(core), minipyro.Adam({"lr": lr}), minipyro.Trace_ELBO())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses = [svi.step() for _ in range(steps)]
    return losses, [str(w.message) for w in caught if "model but not guide" in str(w.message)]


def chain_model(core):
    def model():
        a = core.sample("a", dist.Normal(0.0, 1.0))
        b = core.sample("b", dist.Normal(a, 1.0))
        core.sample("obs", dist.Normal(b, 1.0), obs=torch.tensor(2.0))
    return model


def forgetful_guide(core):
    def guide():
        core.sample("a", dist.Normal(core.param("q", torch.tensor(0.0)), 1.0))
    return guide


def test_a_latent_the_guide_forgot_is_drawn_from_its_prior_with_pyros_warning():
    pyro_losses, pyro_warning = svi_losses("pyro", chain_model, forgetful_guide)
    mini_losses, mini_warning = svi_losses("minipyro", chain_model, forgetful_guide)
    assert mini_losses == pytest.approx(pyro_losses, rel=1e-6)
    assert mini_warning[:1] == pyro_warning[:1] == ["Found vars in model but not guide: {'b'}"]


def module_model(core):
    torch.manual_seed(1)
    net = torch.nn.Linear(2, 1)

    def model():
        core.module("net", net)
        x = torch.tensor([[0.5, -1.0], [1.5, 0.3], [-0.2, 0.8]])
        with core.plate("data", 3):
            core.sample("y", dist.Normal(net(x).squeeze(-1), 1.0), obs=torch.tensor([1.0, 2.0, 0.0]))
    model.net = net
    return model


def empty_guide(core):
    return lambda: None


def test_module_registers_and_trains_an_nn_module_like_pyro_module():
    pyro_losses, _ = svi_losses("pyro", module_model, empty_guide)
    mini_losses, _ = svi_losses("minipyro", module_model, empty_guide)
    assert mini_losses == pytest.approx(pyro_losses, rel=1e-6)
    assert mini_losses[-1] < mini_losses[0]
    assert set(minipyro.get_param_store().keys()) == {"net$$$weight", "net$$$bias"}


def test_an_unknown_param_is_a_key_error_as_in_pyro():
    minipyro.clear_param_store()
    with pytest.raises(KeyError, match="param read before it was initialised"):
        minipyro.param("never_made")


@pytest.mark.parametrize("name", ["markov", "config_enumerate", "TraceEnum_ELBO", "AutoNormal", "Predictive"])
def test_what_minipyro_lacks_fails_at_once_naming_the_way_out(name):
    with pytest.raises(AttributeError, match="--engine pyro"):
        getattr(minipyro, name)


def test_validation_can_be_switched_off_and_on():
    minipyro.enable_validation(False)
    try:
        dist.Normal(0.0, -1.0)  # no check while validation is off
    finally:
        minipyro.enable_validation(True)
    with pytest.raises(ValueError):
        dist.Normal(0.0, -1.0)


def test_an_enumerated_site_fails_at_once_naming_the_way_out():
    with pytest.raises(minipyro.SiteError, match="site 'k': enumeration .* --engine pyro"):
        with minipyro.trace():
            minipyro.sample("k", dist.Categorical(torch.ones(3)), infer={"enumerate": "parallel"})


def test_a_plain_pyro_training_loop_streams_its_events_to_a_file(tmp_path):
    path = tmp_path / "loop.mpr.jsonl"

    def model():
        pyro.sample("x", dist.Normal(0.0, 1.0))

    def guide():
        pyro.sample("x", dist.Normal(pyro.param("q", torch.tensor(0.5)), 1.0))

    pyro.clear_param_store()
    svi = pyro.infer.SVI(model, guide, pyro.optim.Adam({"lr": 0.1}), pyro.infer.Trace_ELBO())
    with minipyro.record(path=path, detail="sites"):
        losses = [svi.step() for _ in range(4)]
    recording = minipyro.load_recording(path)
    assert [e["loss"] for e in recording if e.kind == "svi_step"] == losses
    assert {e["name"] for e in recording if e.kind == "msg_start"} >= {"x", "q"}
