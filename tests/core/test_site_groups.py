"""Repeated sites group by name pattern, kind, distribution, plates and pattern of parents; the
relations behind a group stay exactly Pyro's."""

import copy

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from pyro.distributions import Bernoulli, Beta, Normal

import minipyro
from minipyro.observe.site_groups import group_sites, plate_hints, split_name


def coin_loop(data):
    f = minipyro.sample("latent_fairness", Beta(10.0, 10.0))
    for i in range(len(data)):
        minipyro.sample(f"obs_{i}", Bernoulli(f), obs=data[i])


def test_a_loop_of_observations_is_one_group():
    data = torch.ones(50)
    relations = minipyro.model_relations(coin_loop, data)
    before = copy.deepcopy(relations)
    (group,) = group_sites(relations)
    assert group.members == tuple(f"obs_{i}" for i in range(50))
    assert (group.label, group.size, group.span, group.index_range()) == ("obs_i", 50, "obs_0 … obs_49", "i = 0 … 49")
    assert group.observed and group.dist == "Bernoulli" and group.chain == ()
    assert relations == before  # a view, never a change


def test_name_patterns():
    assert split_name("z_3_7") == ("z_{}_{}", (3, 7))
    assert split_name("latent.local[5].id") == ("latent.local[{}].id", (5,))
    assert split_name("x[3]") == ("x[{}]", (3,))
    names = [f"z_{i}_{j}" for i in range(3) for j in range(4)]
    relations = {"sample_sample": {n: [] for n in names}, "sample_param": {n: [] for n in names},
                 "sample_dist": {n: "Normal" for n in names}, "param_constraint": {},
                 "plate_sample": {}, "observed": []}
    (group,) = group_sites(relations)
    assert group.label == "z_i_j" and group.index_range() == "i = 0 … 2, j = 0 … 3"


def test_different_distributions_plates_or_observedness_never_group():
    def model():
        for i in range(6):
            minipyro.sample(f"a_{i}", Normal(0.0, 1.0) if i % 2 else Beta(1.0, 1.0))
        with minipyro.plate("p", 2):
            for i in range(3):
                minipyro.sample(f"b_{i}", Normal(0.0, 1.0).expand([2]))
        for i in range(3, 6):
            minipyro.sample(f"b_{i}", Normal(0.0, 1.0))
        for i in range(6):
            minipyro.sample(f"c_{i}", Normal(0.0, 1.0), obs=torch.tensor(0.0) if i < 3 else None)
    groups = {(g.label, g.members) for g in group_sites(minipyro.model_relations(model))}
    assert groups == {("a_i", ("a_1", "a_3", "a_5")), ("a_i", ("a_0", "a_2", "a_4")),
                      ("b_i", ("b_0", "b_1", "b_2")), ("b_i", ("b_3", "b_4", "b_5")),
                      ("c_i", ("c_0", "c_1", "c_2")), ("c_i", ("c_3", "c_4", "c_5"))}


def test_different_parents_never_group_but_matching_offsets_do():
    def model():
        m = minipyro.sample("m", Normal(0.0, 1.0))
        s = minipyro.sample("s", Normal(0.0, 1.0))
        for i in range(4):
            z = minipyro.sample(f"z_{i}", Normal(0.0, 1.0))
            minipyro.sample(f"y_{i}", Normal(z + (m if i < 2 else s), 1.0))
    groups = {g.label: g.members for g in group_sites(minipyro.model_relations(model), min_size=2)}
    assert groups["z_i"] == ("z_0", "z_1", "z_2", "z_3")
    assert sorted(g.members for g in group_sites(minipyro.model_relations(model), min_size=2)
                  if g.label == "y_i") == [("y_0", "y_1"), ("y_2", "y_3")]


def test_a_chain_is_one_group_that_depends_on_the_previous():
    def model():
        x = minipyro.sample("x_0", Normal(0.0, 1.0))
        for i in range(1, 20):
            x = minipyro.sample(f"x_{i}", Normal(x, 1.0))
    (group,) = group_sites(minipyro.model_relations(model))
    assert group.size == 20 and group.chain == ((-1,),)
    assert plate_hints([group]) == []  # a chain is no plate


def test_the_hint_names_the_group_and_the_fix():
    names = [f"obs_{i}" for i in range(10000)]  # the relations of coin_loop on 10 000 flips
    relations = {"sample_sample": {"latent_fairness": [], **{n: ["latent_fairness"] for n in names}},
                 "sample_param": {n: [] for n in ["latent_fairness"] + names},
                 "sample_dist": {"latent_fairness": "Beta", **{n: "Bernoulli" for n in names}},
                 "param_constraint": {}, "plate_sample": {}, "observed": names}
    ((group, hint),) = plate_hints(group_sites(relations))
    assert hint == ("10 000 sites obs_0 … obs_9999 have the same distribution and no dependence on each "
                    "other: a `plate` vectorises them")
    shapes = {name: (1,) if name == "obs_7" else () for name in group.members}
    assert plate_hints([group], shapes) == []  # differently shaped: not a plate


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["x", "y"]), st.sampled_from(["Normal", "Beta"]),
                          st.booleans()), min_size=1, max_size=30))
def test_groups_partition_like_sites_only(specs):
    names = [f"{prefix}_{i}" for i, (prefix, _, _) in enumerate(specs)]
    relations = {"sample_sample": {n: [] for n in names}, "sample_param": {n: [] for n in names},
                 "sample_dist": {n: d for n, (_, d, _) in zip(names, specs)}, "param_constraint": {},
                 "plate_sample": {}, "observed": [n for n, (_, _, o) in zip(names, specs) if o]}
    seen = set()
    for group in group_sites(relations):
        assert not seen & set(group.members)
        seen |= set(group.members)
        kinds = {(n.split("_")[0], relations["sample_dist"][n], n in relations["observed"]) for n in group.members}
        assert len(kinds) == 1 and group.size >= 3
    for name in set(names) - seen:  # a site left alone has fewer than 3 like it
        like = [n for n in names if (n.split("_")[0], relations["sample_dist"][n], n in relations["observed"])
                == (name.split("_")[0], relations["sample_dist"][name], name in relations["observed"])]
        assert len(like) < 3
