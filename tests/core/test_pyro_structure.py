"""Pyro mode's linear-time structure equals ``get_model_relations`` exactly, and so does minipyro's."""

import pytest
from hypothesis import HealthCheck, given, settings
from pyro.infer.inspect import get_model_relations
from pyroapi import pyro_backend

import minipyro
from minipyro.observe import pyro_mode
from minipyro.observe.pyro_structure import pyro_relations, structure_fields

from .random_models import model_of, site_specs
from .test_structure import DATA, MODELS


def loop_of(n):
    def model(data):
        from pyroapi import distributions as dist
        from pyroapi import pyro

        f = pyro.sample("fairness", dist.Beta(10.0, 10.0))
        x = f
        for i in range(n):
            x = pyro.sample(f"x_{i}", dist.Normal(x, 1.0))
            pyro.sample(f"obs_{i}", dist.Bernoulli(f), obs=(DATA[i % 4] > 0).float())
    return model


CASES = MODELS + [loop_of(30)]


@pytest.mark.parametrize("model", CASES, ids=[getattr(m, "__name__", "loop") for m in CASES])
def test_pyro_relations_equal_get_model_relations(model):
    with pyro_backend("pyro"):
        assert pyro_relations(model, (DATA,)) == get_model_relations(model, (DATA,))


@pytest.mark.parametrize("model", CASES, ids=[getattr(m, "__name__", "loop") for m in CASES])
def test_structure_fields_equal_pyro_modes(model):
    with pyro_backend("pyro"):
        expected = pyro_mode.structure_fields(model, (DATA,))
        assert expected.pop("deterministic_relations") == expected["relations"]  # the same, sent once here
        assert structure_fields(model, (DATA,)) == expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(site_specs())
def test_random_models_give_pyros_relations_on_both_engines(specs):
    model = model_of(specs)
    with pyro_backend("pyro"):
        expected = get_model_relations(model)
        assert pyro_relations(model) == expected
    with pyro_backend("minipyro_studio"):
        assert minipyro.model_relations(model) == expected
