"""The simplest useful handler changes nothing and writes down every site.

``trace`` is the simplest useful handler: it changes nothing on the way down, and
on the way back up (``postprocess_message``) it records each site, after every
other handler has had its say.

What to watch:
1. Every message reaches ``trace`` at the bottom of the stack; its badge stays empty:
   it does not change the message.
2. ``sample("x")`` is sampled by the default behaviour, then ``sample("y")`` uses it.
3. The runner's trace is the outermost handler; the model adds its own ``trace``
   around ``sample("y")``, so that message passes two of them.
"""

from pyro.distributions import Normal

import minipyro as pyro

title = "Trace: recording a run"


def model():
    x = pyro.sample("x", Normal(0.0, 1.0))
    with pyro.trace() as inner:
        y = pyro.sample("y", Normal(x, 0.5))
    print("the inner trace recorded:", list(inner))
    return y
