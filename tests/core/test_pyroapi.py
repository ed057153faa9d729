"""pyroapi's own backend test suite, run against this core, and its models traced here and under Pyro."""

import pyro
import pytest
import torch
from pyroapi import handlers, pyro_backend
from pyroapi.testing import MODELS
from pyroapi.tests import *  # noqa: F401,F403  (the suite's tests, collected here)

import minipyro  # noqa: F401  (registers the "minipyro_studio" backend)


@pytest.fixture
def backend():
    with pyro_backend("minipyro_studio"):
        yield


def _site_shapes(backend_name, model_name):
    """name -> (type, is_observed, value shape, batch shape, event shape) of each site."""
    with pyro_backend(backend_name):
        spec = MODELS[model_name]()
        tr = handlers.trace(spec["model"]).get_trace(*spec.get("model_args", ()), **spec.get("model_kwargs", {}))
    def shapes(site):
        if type(site["fn"]).__name__ == "_Subsample":  # a plate: its indices are the site's value
            return ("plate", tuple(site["value"].shape))
        return (site["type"], site["is_observed"], tuple(site["value"].shape),
                tuple(site["fn"].batch_shape), tuple(site["fn"].event_shape))

    return {name: shapes(site) for name, site in tr.nodes.items() if site["type"] in ("sample", "param")}


@pytest.mark.parametrize("model_name", list(MODELS))
def test_pyroapi_models_trace_like_pyro(model_name):
    pyro.clear_param_store()
    expected = _site_shapes("pyro", model_name)
    actual = _site_shapes("minipyro_studio", model_name)
    assert list(actual) == list(expected)
    assert actual == expected


@pytest.mark.parametrize("model_name", list(MODELS))
def test_pyroapi_models_draw_the_same_values_as_pyro(model_name):
    def values(backend_name):
        with pyro_backend(backend_name):
            spec = MODELS[model_name]()
            tr = handlers.trace(spec["model"]).get_trace(*spec.get("model_args", ()),
                                                         **spec.get("model_kwargs", {}))
        return {name: site["value"] for name, site in tr.nodes.items() if site["type"] == "sample"}

    expected, actual = values("pyro"), values("minipyro_studio")
    assert list(actual) == list(expected)
    for name in expected:
        torch.testing.assert_close(actual[name], expected[name])
