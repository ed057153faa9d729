"""A trace run calls the model (and the guide) once: its structure comes from that very run,
and equals what the engine's own provenance run gives, for every example on both engines."""

import textwrap
from pathlib import Path

import pytest

from minipyro.runner.controller import RunnerController
from minipyro.runner.engines import ENGINES
from minipyro.runner.modelfile import choose_engine, load_model_file

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*.py"))


@pytest.fixture(scope="module")
def controller():
    controller = RunnerController()
    controller.start()
    yield controller
    controller.close()


def traced(controller, path):
    controller.run(path, entry="trace", detail="sites")
    assert controller.wait_until("finished", timeout=120)
    assert controller.status == "ok", [e for e in controller.events if e["kind"] == "error"]
    return controller.events


@pytest.mark.parametrize("engine", ["minipyro", "pyro"])
def test_the_model_and_the_guide_are_called_once(controller, tmp_path, engine):
    calls = tmp_path / "calls.txt"
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent(f"""
        import torch
        import {engine} as ppl
        from pyro.distributions import Normal

        def model():
            open({str(calls)!r}, "a").write("model\\n")
            print("model called")
            a = ppl.sample("a", Normal(0.0, 1.0))
            with ppl.plate("data", 3):
                ppl.sample("obs", Normal(a, 1.0), obs=torch.zeros(3))

        def guide():
            open({str(calls)!r}, "a").write("guide\\n")
            ppl.sample("a", Normal(ppl.param("q", torch.tensor(0.0)), 1.0))
    """))
    events = traced(controller, path)
    assert calls.read_text() == "model\nguide\n"
    assert [e["text"] for e in events if e["kind"] == "output"] == ["model called\n"]
    model = next(e for e in events if e["kind"] == "structure" and e["which"] == "model")
    assert model["relations"]["sample_sample"] == {"a": [], "obs": ["a"]}
    assert model["plates"] == {"data": 3} and model["site_plates"]["obs"] == ["data"]


def engine_structure(path, which):
    """The structure as the engine's own provenance run finds it (Pyro's get_model_relations on Pyro)."""
    from minipyro.observe import pyro_mode
    from minipyro.structure import structure_fields

    name = choose_engine(path)
    engine = ENGINES[name]
    engine.reset(0)
    fields_of = pyro_mode.structure_fields if name == "pyro" else structure_fields
    with engine.loading(path, 0):  # a pyroapi-written file runs inside its backend
        model_file = load_model_file(path)
        return fields_of(getattr(model_file, which), model_file.args, model_file.kwargs)


def without_dependencies(relations: dict) -> dict:
    return {k: v for k, v in relations.items() if k not in ("sample_sample", "sample_param")}


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_the_structure_of_the_run_equals_the_engines_own(controller, example):
    events = traced(controller, example)
    structures = [e for e in events if e["kind"] == "structure"]
    assert structures
    for structure in structures:
        expected = engine_structure(example, structure["which"])
        if choose_engine(example) == "minipyro":
            assert {k: structure[k] for k in expected} == expected
            continue
        # Pyro's ProvenanceTensor loses a dependency or two that the runner's dataflow keeps
        # (AutoDiagonalNormal's latent depends on its loc as well as its scale): every one
        # Pyro finds is found, and all else is equal.
        shape = ("plates", "site_plates")
        assert {k: structure[k] for k in shape} == {k: expected[k] for k in shape}
        for key in [key for key in ("relations", "deterministic_relations") if key in expected]:
            found, pyro = structure[key], expected[key]
            assert without_dependencies(found) == without_dependencies(pyro)
            for kind in ("sample_sample", "sample_param"):
                assert found[kind].keys() == pyro[kind].keys()
                assert all(set(pyro[kind][site]) <= set(found[kind][site]) for site in pyro[kind])
