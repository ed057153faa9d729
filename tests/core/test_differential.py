"""SVI on minipyro against full Pyro: same seed, same losses, same learned parameters."""

import pyro as full_pyro
import pytest
import torch
from pyroapi import infer, optim, pyro, pyro_backend

import minipyro  # noqa: F401  (registers the "minipyro_studio" backend)

from .differential_models import CASES

STEPS = 25


def run_svi(backend, case):
    with pyro_backend(backend):
        pyro.get_param_store().clear()
        pyro.set_rng_seed(0)
        elbo = getattr(infer, case.elbo)(**case.elbo_kwargs)
        svi = infer.SVI(case.model, case.guide, getattr(optim, case.optim)(dict(case.optim_args)), elbo)
        losses = [svi.step(*case.args, **case.kwargs) for _ in range(STEPS)]
        params = {name: value.detach().clone() for name, value in pyro.get_param_store().items()}
    return losses, params


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_svi_matches_full_pyro(case):
    with full_pyro.validation_enabled(True):
        expected_losses, expected_params = run_svi("pyro", case)
    losses, params = run_svi("minipyro_studio", case)

    torch.testing.assert_close(torch.tensor(losses, dtype=torch.float64),
                               torch.tensor(expected_losses, dtype=torch.float64), rtol=1e-4, atol=1e-4)
    assert sorted(params) == sorted(expected_params)
    for name, value in expected_params.items():
        torch.testing.assert_close(params[name], value, rtol=1e-4, atol=1e-5, msg=f"param {name}")


def test_the_cases_cover_every_elbo_and_optimiser():
    assert {case.elbo for case in CASES} == {"Trace_ELBO", "TraceMeanField_ELBO", "JitTrace_ELBO"}
    assert {case.optim for case in CASES} == {"Adam", "ClippedAdam", "SGD"}
    assert len(CASES) >= 12
