"""The process boundary: model files run in a child process, driven over its pipes.

Child side: ``protocol`` (the channel and commands), ``capture`` (the user's output),
``debugger`` (where to pause; pure step targets), ``breakpoints``, ``breakin`` (a pause that
reaches plain Python), ``entries`` (a run: trace or SVI), ``modelfile`` (loading model files),
``__main__`` (``python -m minipyro.runner``).
Parent side, torch-free: ``controller`` (starts the child and talks to it) and ``cli``
(``main.py run``).
"""
