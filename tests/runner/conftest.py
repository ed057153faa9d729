# The model files here are inputs for the runner (some deliberately broken), not tests.
collect_ignore_glob = ["models/*"]
