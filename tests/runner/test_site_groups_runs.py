"""Repeated sites in a real run: a glob breakpoint stops at every member of a group, and the
command line's site table lists a group as one row unless asked for every site."""

import argparse
import io
from pathlib import Path

from minipyro.observe.site_groups import group_sites
from minipyro.runner import cli
from minipyro.runner.controller import RunnerController

MODEL = Path(__file__).parent / "models" / "coin_loop.py"


def test_a_glob_breakpoint_stops_at_every_member_of_a_group():
    controller = RunnerController()
    try:
        controller.run(MODEL, breakpoints=[{"site": "obs_*"}])
        hits = []
        while controller.wait_until("paused", "finished", timeout=60) and controller.state == "paused":
            hits.append(controller.events[-1]["name"])
            controller.continue_()
        assert controller.status == "ok"
        structure = next(e for e in controller.events if e["kind"] == "structure" and e["which"] == "model")
    finally:
        controller.close()
    groups = {group.label: group for group in group_sites(structure["relations"], structure["site_plates"])}
    assert hits == list(groups["obs_i"].members) == [f"obs_{i}" for i in range(8)]
    assert groups["x_i"].chain == ((-1,),)


def run_table(*flags):
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    out = io.StringIO()
    assert cli.run(parser.parse_args([str(MODEL), *flags]), stdout=out, stderr=io.StringIO()) == 0
    return [line.split()[0] for line in out.getvalue().strip().splitlines()[2:]]


def test_the_site_table_collapses_groups_unless_all_sites():
    assert run_table() == ["latent_fairness", "obs_i", "x_i"]
    assert run_table("--all-sites") == ["latent_fairness", *(f"obs_{i}" for i in range(8)),
                                        *(f"x_{i}" for i in range(5))]
