"""Hide a site from the handlers outside it, and watch them miss it.

``block(hide=["secret"])`` sets ``stop`` on the message of ``sample("secret")``: the
handlers below block (outside it) never see the message, and only block and those above
it get ``postprocess_message``.

What to watch:
1. ``sample("public")`` passes ``block`` and reaches the runner's ``trace``.
2. ``sample("secret")`` is stopped by ``block``: the ``trace`` below is greyed, and the
   site is missing from the trace.
3. ``block(expose=["public2"])`` hides every site but ``public2`` the same way: ``hidden2``
   is stopped.
"""

from pyro.distributions import Normal

import minipyro as pyro

title = "Block: hiding sites"


def model():
    with pyro.block(hide=["secret"]):
        pyro.sample("public", Normal(0.0, 1.0))
        pyro.sample("secret", Normal(0.0, 1.0))
    with pyro.block(expose=["public2"]):
        pyro.sample("public2", Normal(0.0, 1.0))
        pyro.sample("hidden2", Normal(0.0, 1.0))
