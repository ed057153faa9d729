"""A noise scale learned without a constraint steps below zero, and the loss turns NaN silently.

The model learns the noise of its observations as a plain ``param("noise")``. Adam moves it
by about the learning rate each step, from 1.0 down towards the data's spread; nothing keeps
it above zero. Validation is off, as it often is for speed, so the ``Normal`` with a negative
scale raises nothing: its log-density is NaN, the loss is NaN, and training goes on silently.

What to watch:
1. Run SVI (Ctrl+Shift+R). "per-site ELBO" is ticked (this file's ``svi`` dict asks for it):
   every step's sites are watched. Step 10 takes ``param("noise")`` from 0.094 to just below
   zero; at step 11 (seed 0) the run pauses at the first non-finite value (Run > Pause at the
   first NaN or Inf): ``sample("obs")``'s end, its log-density NaN.
2. The Problems panel names it: log_prob of 'obs' is NaN at step 11: Normal scale = -0.000295,
   from param 'noise'. A click travels to that step: the inspector shows the problem and the
   Model graph marks ``obs``. The per-site ELBO plot shows ``obs`` climbing as the noise shrinks
   (a narrower Normal gives the data more density) until the scale crosses zero.
3. The fix the panel suggests: ``param("noise", ..., constraint=constraints.positive)``
   (``fixed_model`` here). The optimiser then works on log(noise), and the run stays finite:
   ``python main.py check`` finds nothing in it.
``python main.py check debugging_a_nan.py`` reports the same without a window; this file
declares the NaN as its lesson (``expected_problems``), so the check lists it as expected.
"""

import torch
from pyro.distributions import Normal, enable_validation
from torch.distributions import constraints

import minipyro as pyro

title = "Debugging a NaN"

enable_validation(False)  # as people do for speed: no error, a silent NaN
data = 3.0 + 0.05 * torch.linspace(-1.0, 1.0, 100)
args = (data,)
svi = {"steps": 40, "lr": 0.1, "site_elbo": True, "stop_on_nonfinite": False}
expected_problems = [{"kind": "nan", "site": "obs"}]  # what this lesson is about: `check` lists it as expected


def model(data):
    loc = pyro.sample("loc", Normal(0.0, 10.0))
    noise = pyro.param("noise", torch.tensor(1.0))  # the bug: nothing keeps it positive
    with pyro.plate("data", len(data)):
        pyro.sample("obs", Normal(loc, noise), obs=data)


def fixed_model(data):
    loc = pyro.sample("loc", Normal(0.0, 10.0))
    noise = pyro.param("noise", torch.tensor(1.0), constraint=constraints.positive)
    with pyro.plate("data", len(data)):
        pyro.sample("obs", Normal(loc, noise), obs=data)


def guide(data):
    q_loc = pyro.param("q_loc", torch.tensor(3.0))
    q_scale = pyro.param("q_scale", torch.tensor(0.05), constraint=constraints.positive)
    pyro.sample("loc", Normal(q_loc, q_scale))
