"""Pyro mode's linear-time structure equals ``get_model_relations`` exactly, and so does minipyro's."""

import pytest
from hypothesis import HealthCheck, given, settings
from pyro import poutine
from pyro.infer.inspect import get_model_relations
from pyro.poutine.util import site_is_subsample
from pyroapi import pyro_backend

import minipyro
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
def test_structure_fields_are_pyros_relations_and_plates(model):
    with pyro_backend("pyro"):
        fields = structure_fields(model, (DATA,))
        assert fields["relations"] == get_model_relations(model, (DATA,))
        trace = poutine.trace(model).get_trace(DATA)
    samples = {name: site for name, site in trace.nodes.items()
               if site["type"] == "sample" and not site_is_subsample(site)}
    assert fields["site_plates"] == {name: [f.name for f in site["cond_indep_stack"] if f.vectorized]
                                     for name, site in samples.items()}
    assert fields["plates"] == {f.name: f.full_size or f.size for site in samples.values()  # before subsampling
                                for f in site["cond_indep_stack"] if f.vectorized}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(site_specs())
def test_random_models_give_pyros_relations_on_both_engines(specs):
    model = model_of(specs)
    with pyro_backend("pyro"):
        expected = get_model_relations(model)
        assert pyro_relations(model) == expected
    with pyro_backend("minipyro_studio"):
        assert minipyro.model_relations(model) == expected
