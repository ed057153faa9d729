# The model files and scripts here are inputs for the runner (some deliberately broken), not tests.
collect_ignore_glob = ["models/*", "scripts/*"]
