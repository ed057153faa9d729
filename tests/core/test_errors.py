"""A model the core cannot run fails with an error that names the site and the reason."""

import pytest
import torch
from pyro.distributions import Normal

import minipyro


def svi_step(model, guide, *args):
    minipyro.get_param_store().clear()
    svi = minipyro.SVI(model, guide, minipyro.Adam({"lr": 0.01}), minipyro.Trace_ELBO())
    return svi.step(*args)


def empty_guide(*args):
    pass


def test_duplicate_sample_names():
    def model():
        minipyro.sample("x", Normal(0.0, 1.0))
        minipyro.sample("x", Normal(0.0, 1.0), obs=torch.tensor(0.0))

    with pytest.raises(minipyro.SiteError, match="site 'x': .*unique name"):
        minipyro.trace(model).get_trace()


def test_param_read_before_initialisation():
    minipyro.get_param_store().clear()
    with pytest.raises(minipyro.SiteError, match="site 'w': param read before it was initialised"):
        minipyro.trace(lambda: minipyro.param("w")).get_trace()


def test_plate_size_that_contradicts_the_observed_value():
    def model():
        with minipyro.plate("data", 100):
            minipyro.sample("obs", Normal(0.0, 1.0), obs=torch.zeros(50))

    with pytest.raises(minipyro.SiteError, match=r"site 'obs': value of shape \(50,\) does not fit plate\('data'\)"):
        minipyro.trace(model).get_trace()


def test_plate_size_that_contradicts_the_distribution():
    def model():
        with minipyro.plate("data", 3):
            minipyro.sample("x", Normal(torch.zeros(4), 1.0))

    with pytest.raises(minipyro.SiteError, match=r"site 'x': shape mismatch inside plate\('data'\)"):
        minipyro.trace(model).get_trace()


def test_a_site_missing_from_the_guide_is_named_in_pyros_warning():
    def model():
        minipyro.sample("z", Normal(0.0, 1.0))

    with pytest.warns(UserWarning, match="Found vars in model but not guide: {'z'}"):
        svi_step(model, empty_guide)


def test_replay_of_a_site_observed_in_the_guide():
    def guide():
        minipyro.sample("z", Normal(0.0, 1.0), obs=torch.tensor(0.0))

    with pytest.raises(minipyro.SiteError, match="site 'z': replay needs this site to be sampled"):
        minipyro.replay(lambda: minipyro.sample("z", Normal(0.0, 1.0)),
                        trace=minipyro.trace(guide).get_trace())()


def test_unsupported_sample_argument():
    with pytest.raises(minipyro.SiteError, match="site 'x': sample\\(\\) got an unsupported argument: obs_mask"):
        with minipyro.trace():
            minipyro.sample("x", Normal(0.0, 1.0), obs_mask=torch.tensor(True))


def test_log_prob_failure_names_the_site_and_shapes():
    def model():
        minipyro.sample("y", Normal(torch.zeros(3), 1.0), obs=torch.zeros(2))

    with pytest.raises(minipyro.SiteError, match=r"site 'y': cannot compute log_prob .*batch_shape=\(3,\)"):
        svi_step(model, empty_guide)


def test_param_init_value_outside_its_constraint():
    minipyro.get_param_store().clear()
    with pytest.raises(minipyro.SiteError, match="site 's': param init_value lies outside"):
        minipyro.param("s", torch.tensor(-1.0), constraint=torch.distributions.constraints.positive)
    assert "s" not in minipyro.get_param_store()


def test_mean_field_elbo_refuses_a_non_reparameterised_guide():
    from pyro.distributions import Bernoulli

    def model():
        minipyro.sample("b", Bernoulli(0.5))

    def guide():
        minipyro.sample("b", Bernoulli(minipyro.param("p", torch.tensor(0.3))))

    minipyro.get_param_store().clear()
    svi = minipyro.SVI(model, guide, minipyro.Adam({"lr": 0.01}), minipyro.TraceMeanField_ELBO())
    with pytest.raises(minipyro.SiteError, match="site 'b': TraceMeanField_ELBO needs a reparameterised"):
        svi.step()


def test_bad_handler_arguments_are_refused_up_front():
    with pytest.raises(ValueError, match="scale must be a positive number"):
        minipyro.scale(scale=-1.0)
    with pytest.raises(ValueError, match="mask must be a bool"):
        minipyro.mask(mask=torch.ones(2))
    with pytest.raises(ValueError, match="replay needs a trace or params"):
        minipyro.replay(lambda: None)
    with pytest.raises(TypeError, match="rng_seed must be an int"):
        minipyro.seed(rng_seed="0")


@pytest.mark.parametrize("recorded", [False, True])
def test_a_nan_loss_warning_names_the_line_that_called_svi_step(recorded):
    def model():
        minipyro.sample("x", Normal(0.0, 1.0), obs=torch.tensor(float("nan")))

    minipyro.get_param_store().clear()
    svi = minipyro.SVI(model, empty_guide, minipyro.Adam({"lr": 0.01}), minipyro.Trace_ELBO())
    minipyro.enable_validation(False)
    try:
        with pytest.warns(RuntimeWarning, match="Encountered NaN: loss") as warned:
            if recorded:  # the recorder's wrappers around the ELBO lie between
                with minipyro.record(detail="sites"):
                    svi.step()
            else:
                svi.step()
    finally:
        minipyro.enable_validation(True)
    assert warned[0].filename == __file__
