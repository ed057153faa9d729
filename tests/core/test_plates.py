"""Plates: dims allocated as Pyro allocates them, distributions broadcast to Pyro's shapes."""

import contextlib

import pyro
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from pyro.distributions import Normal

import minipyro


def nested_plates(P, sizes_and_dims, batch_shape):
    """Enter one plate per (size, dim), then sample; return each site's frames and shapes."""

    def model():
        with contextlib.ExitStack() as stack:
            for i, (size, dim) in enumerate(sizes_and_dims):
                stack.enter_context(P.plate(f"p{i}", size, dim=dim))
            return P.sample("x", Normal(torch.zeros(batch_shape), 1.0))

    return model


def pyro_site(model):
    tr = pyro.poutine.trace(model).get_trace()
    site = tr.nodes["x"]
    return site


def minipyro_site(model):
    return minipyro.trace(model).get_trace()["x"]


plate_specs = st.lists(st.tuples(st.none() | st.integers(2, 4), st.sampled_from([None, -1, -2, -3])), min_size=1, max_size=3)


@settings(max_examples=60, deadline=None)
@given(plate_specs, st.lists(st.sampled_from([1, 2, 3, 4]), max_size=3))
def test_dims_and_broadcast_shapes_equal_pyros(specs, batch_shape):
    try:
        expected = pyro_site(nested_plates(pyro, specs, batch_shape))
    except (ValueError, RuntimeError):
        with pytest.raises(ValueError):
            minipyro_site(nested_plates(minipyro, specs, batch_shape))
        return
    actual = minipyro_site(nested_plates(minipyro, specs, batch_shape))
    assert actual["fn"].batch_shape == expected["fn"].batch_shape
    assert actual["value"].shape == expected["value"].shape
    assert [(f.name, f.dim, f.size) for f in actual["cond_indep_stack"]] == \
           [(f.name, f.dim, f.size) for f in expected["cond_indep_stack"]]


def test_a_plate_is_a_site_of_the_trace_as_in_pyro_and_draws_only_the_random_numbers_pyro_draws():
    def model(P):
        with P.plate("groups", 3):
            with P.plate("data", 10, subsample_size=4), P.plate("any"):
                P.sample("x", Normal(0.0, 1.0))
        for i in P.plate("items", 2):
            P.sample(f"y{i}", Normal(0.0, 1.0))

    pyro.set_rng_seed(0)
    expected = pyro.poutine.trace(model).get_trace(pyro).nodes
    expected_next = torch.rand(())
    minipyro.set_rng_seed(0)
    actual = minipyro.trace(model).get_trace(minipyro)
    assert list(actual) == ["groups", "data", "x", "items", "y0", "y1"]
    assert list(actual) == [name for name in expected if name not in ("_INPUT", "_RETURN")]
    for name in actual:
        assert torch.equal(actual[name]["value"], expected[name]["value"]), name
    assert torch.equal(torch.rand(()), expected_next)


def test_a_plate_without_a_size_allocates_a_dim_and_broadcasts_nothing():
    with minipyro.trace() as tr, minipyro.plate("any") as indices:
        minipyro.sample("x", Normal(torch.zeros(5), 1.0))
    assert list(tr) == ["x"] and indices.shape == (0,)
    assert [(f.name, f.dim, f.size) for f in tr["x"]["cond_indep_stack"]] == [("any", -1, -1)]
    assert tr["x"]["value"].shape == (5,) and tr["x"]["scale"] == 1.0


def test_automatic_dims_count_from_the_right_and_skip_taken_ones():
    with minipyro.trace() as tr:
        with minipyro.plate("a", 2, dim=-1), minipyro.plate("b", 3), minipyro.plate("c", 4):
            minipyro.sample("x", Normal(0.0, 1.0))
    assert [(f.name, f.dim) for f in tr["x"]["cond_indep_stack"]] == [("a", -1), ("b", -2), ("c", -3)]
    assert tr["x"]["value"].shape == (4, 3, 2)


def test_plate_returns_its_indices_and_subsample_scales_log_density():
    minipyro.set_rng_seed(0)
    with minipyro.trace() as tr:
        with minipyro.plate("data", 10, subsample_size=4) as idx:
            minipyro.sample("x", Normal(0.0, 1.0))
    assert idx.shape == (4,) and len(set(idx.tolist())) == 4
    assert tr["x"]["scale"] == 2.5 and tr["x"]["value"].shape == (4,)


def test_sequential_plate_gives_each_iteration_its_own_frame():
    with minipyro.trace() as tr:
        for i in minipyro.plate("items", 3):
            minipyro.sample(f"x{i}", Normal(0.0, 1.0))
    frames = [tr[f"x{i}"]["cond_indep_stack"][0] for i in range(3)]
    assert [f.dim for f in frames] == [None] * 3
    assert len({f.counter for f in frames}) == 3


def test_colliding_plate_dims_name_both_plates():
    with pytest.raises(ValueError, match="'b' and 'a' collide at dim=-1"):
        with minipyro.plate("a", 2, dim=-1), minipyro.plate("b", 3, dim=-1):
            pass
    assert minipyro.PYRO_STACK == []
