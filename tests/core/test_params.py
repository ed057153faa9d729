"""The param store: constrained reads, save/load that never unpickles objects."""

import os
import pickle

import pytest
import torch
from torch.distributions import constraints

import minipyro


@pytest.fixture
def store():
    store = minipyro.get_param_store()
    store.clear()
    yield store
    store.clear()


def test_values_are_constrained_and_stored_unconstrained(store):
    value = minipyro.param("scale", torch.tensor(2.0), constraint=constraints.positive)
    assert value.item() == pytest.approx(2.0)
    assert dict(store.named_parameters())["scale"].item() == pytest.approx(torch.log(torch.tensor(2.0)).item())
    assert value.unconstrained() is dict(store.named_parameters())["scale"]


def test_init_value_is_not_modified_by_training(store):
    init = torch.tensor(1.0)
    minipyro.param("w", init)
    with torch.no_grad():
        dict(store.named_parameters())["w"].add_(5.0)
    assert init.item() == 1.0


def test_save_and_load_round_trip(store, tmp_path):
    minipyro.param("loc", torch.tensor([1.0, 2.0]))
    minipyro.param("scale", torch.tensor(0.5), constraint=constraints.positive)
    minipyro.param("probs", torch.tensor([0.2, 0.8]), constraint=constraints.simplex)
    minipyro.param("rate", torch.tensor(0.3), constraint=constraints.interval(0.0, 2.0))
    saved = {name: value.detach().clone() for name, value in store.items()}
    path = tmp_path / "params.pt"
    store.save(path)
    store.clear()
    store.load(path)
    assert sorted(store.keys()) == sorted(saved)
    for name, value in saved.items():
        torch.testing.assert_close(store[name], value)
    assert store.constraint("rate").upper_bound == 2.0


class Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_load_never_unpickles_objects(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "hostile.pt"
    with open(path, "wb") as f:
        pickle.dump({"params": Exploit(), "constraints": {}}, f)
    with pytest.raises(ValueError, match="not a minipyro param file"):
        store.load(path)
    assert not (tmp_path / "pwned").exists()


def test_load_rejects_a_state_that_is_not_a_param_store(store, tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"params": {"w": torch.zeros(2)}, "constraints": {"w": {"name": "no_such_constraint"}}}, path)
    with pytest.raises(ValueError, match="param 'w': unknown constraint"):
        store.load(path)
    torch.save({"weights": torch.zeros(2)}, path)
    with pytest.raises(ValueError, match="expected the keys 'params' and 'constraints'"):
        store.load(path)
    assert len(store) == 0
