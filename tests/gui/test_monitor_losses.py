"""A training loop with a torch optimiser (an ELBO module, no SVI.step) is monitored like SVI:
its ``loss`` events fill the SVI monitor's curve."""

import pyro
import torch
from pyro.infer import Trace_ELBO

import minipyro
from tests.pyro_seed_model import guide, model




def test_loss_events_fill_the_svi_monitor(qtbot, own_window, tmp_path):
    path = tmp_path / "torch_loop.mpr.jsonl"
    data = torch.arange(6.0)
    pyro.clear_param_store()
    printed = []
    with minipyro.record(path=path, detail="svi"):
        loss_fn = Trace_ELBO()(model, guide)
        loss_fn(data)
        optimizer = torch.optim.Adam([pyro.param("q_loc").unconstrained()], lr=0.1)
        for _ in range(20):
            optimizer.zero_grad()
            loss = loss_fn(data)
            loss.backward()
            optimizer.step()
            printed.append(loss.item())

    assert own_window.open_recording(path)
    qtbot.waitUntil(lambda: own_window.svi.current is not None and len(own_window.svi.current) == 21,
                    timeout=10000)
    run = own_window.svi.current
    assert list(run.losses.values[1:]) == printed
    assert list(run.steps.values) == list(range(21))


def test_a_folder_of_ranks_recording_losses_shows_a_run_per_rank(qtbot, own_window, tmp_path):
    # As a DDP job leaves them: one recording per process, each with its own loss events.
    data = torch.arange(6.0)
    for stem in ("job", "job.rank1"):
        pyro.clear_param_store()
        with minipyro.record(path=tmp_path / f"{stem}.mpr.jsonl", detail="svi"):
            loss_fn = Trace_ELBO()(model, guide)
            for _ in range(5):
                loss_fn(data)
    own_window.open_folder(tmp_path)
    qtbot.waitUntil(lambda: own_window.svi.run_list.count() == 2, timeout=10000)
    names = [own_window.svi.run_list.item(i).text() for i in range(2)]
    assert ["job" in names[0], "job.rank1" in names[1]] == [True, True]
    assert [len(run) for run in own_window.svi.runs] == [5, 5]
    own_window.svi.redraw()
    legend = own_window.svi.loss_legend
    assert [legend.item(i).text() for i in range(legend.count())] == ["run 1: job", "run 2: job.rank1"]
    assert own_window.svi.plots.widget(1).isHidden()  # no parameters in loss events: the loss takes the height
