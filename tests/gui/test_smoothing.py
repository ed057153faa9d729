"""The SVI monitor's numbers, without Qt: TensorBoard's smoothing, the outlier-robust range,
and the runs built from a session's svi_step events."""

import math

import numpy as np
import pytest

from gui.models.session import Session
from gui.models.smoothing import robust_range
from minipyro.observe.history import smooth
from gui.models.svi_runs import SviRun, SviRuns


def tensorboard(values, weight):
    """TensorBoard's scalar smoothing (tf-line-chart's resmoothDataset), point by point."""
    last, count, out = 0.0, 0, []
    for v in values:
        if not math.isfinite(v):
            out.append(v)
            continue
        last = last * weight + (1 - weight) * v
        count += 1
        out.append(last / (1 - weight ** count) if weight != 1 else last)
    return out


def test_smoothing_by_hand():
    smoothed, _, _ = smooth(np.array([1.0, 2.0, 3.0]), 0.5)
    assert list(smoothed) == pytest.approx([1.0, 1.25 / 0.75, 2.125 / 0.875])


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.6, 0.9, 0.99])
def test_smoothing_is_tensorboards(weight):
    values = np.random.default_rng(1).normal(5.0, 2.0, 500)
    values[[3, 50, 51]] = [math.nan, math.inf, -math.inf]
    smoothed, _, _ = smooth(values, weight)
    expected = tensorboard(values.tolist(), weight)
    finite = np.isfinite(values)
    assert list(smoothed[finite]) == pytest.approx(list(np.array(expected)[finite]))
    assert np.isnan(smoothed[3]) and smoothed[50] == math.inf and smoothed[51] == -math.inf


def test_the_first_point_is_not_pulled_towards_zero_and_a_constant_stays_constant():
    smoothed, _, _ = smooth(np.full(50, 7.0), 0.9)
    assert list(smoothed) == pytest.approx([7.0] * 50)


def test_smoothing_a_growing_curve_piece_by_piece_equals_smoothing_it_whole():
    values = np.random.default_rng(2).normal(size=300)
    whole, _, _ = smooth(values, 0.8)
    pieces, last, count = [], 0.0, 0
    for start in range(0, 300, 37):
        piece, last, count = smooth(values[start:start + 37], 0.8, last, count)
        pieces.append(piece)
    assert list(np.concatenate(pieces)) == pytest.approx(list(whole))


def test_a_run_smooths_incrementally_and_again_for_a_new_weight():
    run = SviRun("run")
    losses = np.random.default_rng(3).normal(10.0, 1.0, 200)
    for step, loss in enumerate(losses[:120], 1):
        run.add({"step": step, "t": step * 0.01, "loss": float(loss)})
    run.smoothed_losses(0.6)
    for step, loss in enumerate(losses[120:], 121):
        run.add({"step": step, "t": step * 0.01, "loss": float(loss)})
    assert list(run.smoothed_losses(0.6)) == pytest.approx(tensorboard(losses.tolist(), 0.6))
    assert list(run.smoothed_losses(0.9)) == pytest.approx(tensorboard(losses.tolist(), 0.9))


def test_robust_range_ignores_outliers():
    values = np.concatenate([np.random.default_rng(4).uniform(0.0, 1.0, 1000), [1e6, -1e6]])
    low, high = robust_range(values)
    assert -0.2 < low < 0.1 and 0.9 < high < 1.2


def test_robust_range_of_nothing_finite_is_none_and_of_a_constant_is_not_empty():
    assert robust_range(np.array([math.nan, math.inf])) is None
    assert robust_range(np.array([])) is None
    low, high = robust_range(np.full(10, 3.0))
    assert low < 3.0 < high


def test_robust_range_of_a_long_curve_is_that_of_the_whole_curve():
    values = np.linspace(0.0, 100.0, 200_001)
    low, high = robust_range(values)
    assert low == pytest.approx(1.0 - 98 * 0.08, abs=0.05) and high == pytest.approx(99.0 + 98 * 0.08, abs=0.05)


def svi_step(seq, step, loss, loc):
    return {"seq": seq, "kind": "svi_step", "t": step * 0.01, "step": step, "loss": loss,
            "params": {"loc": {"shape": [2], "preview": [loc, -loc]}}, "grad_norms": {"loc": 0.5}}


def test_the_runs_of_a_window_one_per_training_run():
    session = Session()
    runs = SviRuns(session)
    added = []
    runs.sig_run_added.connect(added.append)
    runs.expect({"steps": 3, "lr": 0.05, "optimizer": "Adam", "elbo": "Trace_ELBO"})
    session.reset("/models/normal_normal.py")
    session.add_events([{"seq": 0, "kind": "run_start", "t": 0.0, "file": "m", "entry": "svi", "seed": 0,
                         "status": "running"}] + [svi_step(k, k, 10.0 - k, 0.1 * k) for k in (1, 2, 3)])
    first = runs.current
    assert added == [first] and first.label == "run 1: normal_normal.py (lr 0.05, Adam, Trace_ELBO, seed 0)"
    assert list(first.losses.values) == [9.0, 8.0, 7.0]
    assert list(first.params["loc[1]"].values) == pytest.approx([-0.1, -0.2, -0.3])
    assert first.decrease_percent() == pytest.approx(100 * 2 / 9)
    session.reset("/models/normal_normal.py")  # a second run: the first stays for comparison
    assert runs.current is None and runs.shown is first
    session.add_events([svi_step(0, 1, "nan", 0.0), svi_step(1, 2, 5.0, 0.0)])
    second = runs.current
    assert runs.runs == [first, second] and second.label == "run 2: normal_normal.py"
    assert second.nonfinite_steps == [1] and second.loss_ends()[0] == 5.0
    runs.set_visible(0, False)
    assert not first.visible


def test_a_run_is_labelled_with_the_settings_it_ran_with_not_the_panels():
    session = Session()
    runs = SviRuns(session)
    runs.expect({"steps": 3, "lr": 0.01, "optimizer": "Adam", "elbo": "Trace_ELBO"})  # the panel's
    session.reset("/runs/gaussian_mixture.mpr.jsonl")
    session.add_events([{"seq": 0, "kind": "run_start", "t": 0.0, "file": "m", "entry": "svi", "seed": 4,
                         "status": "running", "svi": {"steps": 3, "lr": 0.03, "optimizer": "ClippedAdam",
                                                      "elbo": "TraceMeanField_ELBO"}},
                        svi_step(1, 1, 3.0, 0.0)])
    assert runs.current.label == "run 1: gaussian_mixture.mpr.jsonl (lr 0.03, ClippedAdam, TraceMeanField_ELBO, seed 4)"
    assert runs.current.settings["lr"] == 0.03 and runs.current.seed == 4


def test_every_element_of_a_matrix_parameter_is_a_series_named_by_its_index():
    run = SviRun("run")
    for step in (1, 2):
        values = [step * 100 + i for i in range(40)]
        run.add({"step": step, "t": step * 0.1, "loss": 1.0, "grad_norms": {"p": 0.1},
                 "params": {"p": {"shape": [20, 2], "preview": values[:8], "values": values}}})
    assert len(run.params) == 40 and run.param_sizes["p"] == (40, 40)
    assert list(run.params["p[3,1]"].values) == [107.0, 207.0]
    assert list(run.params["p[19,0]"].values) == [138.0, 238.0]
