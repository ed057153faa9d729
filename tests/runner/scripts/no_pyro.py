"""A script that never calls Pyro, and fails at the end."""
import sys

print("working without Pyro")
print("a warning", file=sys.stderr)


def fail():
    raise RuntimeError("the script's own error")


fail()
