"""model_relations equals Pyro's get_model_relations; model_graph keeps edges through deterministic sites."""

import pytest
import torch
from pyro.infer.inspect import get_model_relations
from pyroapi import distributions as dist
from pyroapi import handlers, pyro, pyro_backend

import minipyro

DATA = torch.tensor([0.5, -1.0, 2.0, 0.3])


def normal_with_scale(data):
    m = pyro.sample("m", dist.Normal(0.0, 1.0))
    sd = pyro.sample("sd", dist.LogNormal(m, 1.0))
    with pyro.plate("N", len(data)):
        pyro.sample("obs", dist.Normal(m, sd), obs=data)


def nested_plates(data):
    with pyro.plate("outer", 2):
        a = pyro.sample("a", dist.HalfCauchy(1.0))
        with pyro.plate("inner", 3):
            b = pyro.sample("b", dist.Beta(a, 2.0))
            with pyro.plate("data", len(data)):
                pyro.sample("y", dist.Bernoulli(b), obs=torch.ones(len(data), 3, 2))


def conditioned(data):
    def inner():
        z = pyro.sample("z", dist.Normal(0.0, 1.0))
        with pyro.plate("N", len(data)):
            pyro.sample("x", dist.Normal(z, 1.0))
    handlers.condition(inner, data={"x": data})()


def with_deterministic(data):
    a = pyro.sample("a", dist.Normal(0.0, 1.0))
    b = pyro.deterministic("b", a * 2)
    pyro.sample("c", dist.Normal(b, 1.0), obs=data[0])


def with_params(data):
    loc = pyro.param("loc", torch.tensor(0.0))
    scale = pyro.param("scale", torch.tensor(1.0), constraint=dist.constraints.positive)
    z = pyro.sample("z", dist.Normal(loc, scale))
    with pyro.plate("N", len(data)):
        pyro.sample("x", dist.Normal(z, scale), obs=data)


def overlapping_plates(data):
    rows, cols = pyro.plate("rows", 2, dim=-2), pyro.plate("cols", 3, dim=-1)
    with rows:
        r = pyro.sample("r", dist.Normal(0.0, 1.0))
    with cols:
        c = pyro.sample("c", dist.Normal(0.0, 1.0))
    with rows, cols:
        pyro.sample("cell", dist.Normal(r + c, 1.0), obs=torch.zeros(2, 3))


def eight_schools(data):
    sigma = torch.tensor([15.0, 10.0, 16.0, 11.0])
    mu = pyro.sample("mu", dist.Normal(0.0, 5.0))
    tau = pyro.sample("tau", dist.HalfCauchy(5.0))
    with pyro.plate("schools", len(data)):
        theta = pyro.sample("theta", dist.Normal(mu, tau))
        pyro.sample("obs", dist.Normal(theta, sigma), obs=data)


def sequential_plate(data):
    loc = pyro.sample("loc", dist.Normal(0.0, 1.0))
    for i in pyro.plate("items", 3):
        pyro.sample(f"x_{i}", dist.Normal(loc, 1.0), obs=data[i])


def masked_and_factor(data):
    z = pyro.sample("z", dist.Normal(0.0, 1.0))
    with handlers.mask(mask=False):
        pyro.sample("ignored", dist.Normal(z, 1.0), obs=data[0])
    pyro.factor("penalty", -z**2)
    with pyro.plate("N", len(data), subsample_size=2):
        pyro.sample("x", dist.Normal(z, 1.0))


MODELS = [normal_with_scale, nested_plates, conditioned, with_deterministic, with_params,
          overlapping_plates, eight_schools, sequential_plate, masked_and_factor]


def pyro_relations(model, **options):
    with pyro_backend("pyro"):
        return get_model_relations(model, (DATA,), **options)


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_model_relations_equal_pyros(model):
    expected = pyro_relations(model)
    with pyro_backend("minipyro_studio"):
        actual = minipyro.model_relations(model, DATA)
    assert actual == expected


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_model_graph_follows_the_relations(model):
    expected = pyro_relations(model, include_deterministic=True)
    with pyro_backend("minipyro_studio"):
        graph = minipyro.model_graph(model, DATA)
    edges = {(s, t) for t, sources in expected["sample_sample"].items() for s in sources} | \
            {(s, t) for t, sources in expected["sample_param"].items() for s in sources}
    assert set(graph.edges) == edges
    for name, dist_name in expected["sample_dist"].items():
        node = graph.nodes[name]
        assert node["dist"] == dist_name and node["observed"] == (name in expected["observed"])
        assert node["type"] == ("deterministic" if dist_name == "Deterministic" else "sample")
    for plate, sites in expected["plate_sample"].items():
        for site in sites:  # Pyro splits overlapping plates into "__CLONE"s; the graph keeps the true plates
            assert plate.split("__CLONE")[0] in graph.nodes[site]["plates"]
    for name in expected["param_constraint"]:
        assert graph.nodes[name]["type"] == "param"


def test_edges_through_deterministic_sites_are_kept():
    with pyro_backend("minipyro_studio"):
        graph = minipyro.model_graph(with_deterministic, DATA)
        relations = minipyro.model_relations(with_deterministic, DATA)
    assert set(graph.edges) == {("a", "b"), ("b", "c")}
    assert relations["sample_sample"]["c"] == ["a"]  # Pyro's default relations skip b


def test_plate_sizes_are_on_the_graph():
    with pyro_backend("minipyro_studio"):
        graph = minipyro.model_graph(nested_plates, DATA)
    assert graph.graph["plates"] == {"outer": 2, "inner": 3, "data": 4}
    assert graph.nodes["y"]["plates"] == ["outer", "inner", "data"]


def test_relations_do_not_disturb_the_random_state():
    minipyro.set_rng_seed(5)
    expected = torch.rand(())
    minipyro.set_rng_seed(5)
    with pyro_backend("minipyro_studio"):
        minipyro.model_relations(normal_with_scale, DATA)
    assert torch.rand(()) == expected
