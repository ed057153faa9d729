"""Repeated sites, grouped: a view over a model's relations for drawing and listing big models.

Sites whose names differ only by their numbers (``obs_0`` … ``obs_9999``, ``x[3]``, ``z_3_7``,
``latent.local[5].id``) and that share their type, distribution class, observed-ness, plates and
pattern of parents form a group, drawn and listed as one ("obs_i ×10 000"). The pattern of
parents compares each parent by name (a shared parent), or, for a parent that is itself
numbered, by the offset between its numbers and the site's (``y_i`` ← ``z_i``). A site whose
parent is a member of its own group with a fixed offset (``x_{i+1}`` ← ``x_i``) is a chain: one
group with a self-loop, "each depends on the previous". Nothing here changes the relations:
a group only names the sites it stands for. Plain data in and out, no torch, no Qt.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

MIN_GROUP_SIZE = 3  # fewer repeated sites than this are drawn one by one
CHAIN_LABEL = "each depends on the previous"
_NUMBER = re.compile(r"\d+")
_INDEX_LETTERS = "ijklmn"


def split_name(name: str) -> tuple:
    """(template, numbers): ``"z_3_7"`` → ``("z_{}_{}", (3, 7))``."""
    return _NUMBER.sub("{}", name.replace("{", "{{").replace("}", "}}")), \
        tuple(int(n) for n in _NUMBER.findall(name))


@dataclass(frozen=True)
class SiteGroup:
    """Sites drawn as one. ``members`` in trace order; ``chain``: the offsets at which each member
    depends on another member (``((-1,),)``: on the previous one)."""

    template: str
    members: tuple
    numbers: tuple  # each member's numbers, as in its name
    type: str  # "sample", "deterministic" or "param"
    dist: str  # the distribution's class name, or a param's constraint
    observed: bool
    plates: tuple
    chain: tuple = ()

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def label(self) -> str:
        """The name with the numbers that vary as letters, those that do not as they are: ``obs_i``."""
        varying = [len({numbers[k] for numbers in self.numbers}) > 1 for k in range(len(self.numbers[0]))]
        letters = iter(_INDEX_LETTERS)
        parts = [next(letters, "i") if vary else str(self.numbers[0][k]) for k, vary in enumerate(varying)]
        return self.template.format(*parts)

    @property
    def span(self) -> str:
        """``obs_0 … obs_9999``: the first and last member."""
        return f"{self.members[0]} … {self.members[-1]}"

    def index_range(self) -> str:
        """Each varying number's range: ``i = 0 … 9999``."""
        ranges, letters = [], iter(_INDEX_LETTERS)
        for k in range(len(self.numbers[0])):
            values = {numbers[k] for numbers in self.numbers}
            if len(values) > 1:
                ranges.append(f"{next(letters, 'i')} = {min(values)} … {max(values)}")
        return ", ".join(ranges)


@dataclass(frozen=True)
class _Site:
    name: str
    type: str
    dist: str
    observed: bool
    plates: tuple
    parents: tuple


def sites_of_relations(relations: dict, site_plates: dict | None = None) -> list:
    """Every site of a relations dict (Pyro's ``get_model_relations`` schema), params first."""
    plates_of = site_plates if site_plates is not None else _plates_from_relations(relations)
    observed = set(relations.get("observed", ()))
    sites = [_Site(name, "param", constraint, False, (), ())
             for name, constraint in relations.get("param_constraint", {}).items()]
    for name, dist in relations["sample_dist"].items():
        parents = tuple(relations["sample_sample"].get(name, ())) + tuple(relations["sample_param"].get(name, ()))
        sites.append(_Site(name, "deterministic" if dist == "Deterministic" else "sample", dist,
                           name in observed, tuple(plates_of.get(name, ())), parents))
    return sites


def _plates_from_relations(relations: dict) -> dict:
    plates_of: dict = {}
    for plate, names in relations.get("plate_sample", {}).items():
        for name in names:
            plates_of.setdefault(name, []).append(plate)
    return plates_of


def group_sites(relations: dict, site_plates: dict | None = None, min_size: int = MIN_GROUP_SIZE) -> list:
    """The groups of repeated sites in ``relations`` (each of at least ``min_size`` members),
    in the order of their first members."""
    sites = sites_of_relations(relations, site_plates)
    split = {site.name: split_name(site.name) for site in sites}
    candidates = defaultdict(list)
    for site in sites:
        template, numbers = split[site.name]
        if numbers:
            candidates[(template, len(numbers), site.type, site.dist, site.observed, site.plates)].append(site)
    groups = []
    for (template, _, type_, dist, observed, plates), members in candidates.items():
        if len(members) < min_size:
            continue
        for chain, subgroup in _by_parent_pattern(template, members, split):
            if len(subgroup) >= min_size:
                groups.append(SiteGroup(template, tuple(s.name for s in subgroup),
                                        tuple(split[s.name][1] for s in subgroup), type_, dist, observed,
                                        plates, chain))
    order = {site.name: i for i, site in enumerate(sites)}
    return sorted(groups, key=lambda group: order[group.members[0]])


def _by_parent_pattern(template: str, members: list, split: dict) -> list:
    """Split sites of one template and kind by their pattern of parents: [(chain, sites)]."""
    # A numbered parent named the same for every member (``z_0`` for all) is compared by name,
    # any other numbered parent by its offset from the member's own numbers.
    names_by_template = defaultdict(set)
    for site in members:
        for parent in site.parents:
            names_by_template[split_name(parent)[0]].add(parent)

    def pattern(site):
        own = split[site.name][1]
        outside, inside = set(), set()
        for parent in site.parents:
            parent_template, numbers = split_name(parent)
            relative = numbers and len(numbers) == len(own) and len(names_by_template[parent_template]) > 1
            descriptor = tuple(p - o for p, o in zip(numbers, own)) if relative else parent
            (inside if parent_template == template and relative else outside).add((parent_template, descriptor))
        return frozenset(outside), frozenset(offset for _, offset in inside)

    by_outside = defaultdict(list)
    patterns = {}
    for site in members:
        patterns[site.name] = pattern(site)
        by_outside[patterns[site.name][0]].append(site)
    result = []
    for sites in by_outside.values():
        chain = frozenset().union(*(patterns[s.name][1] for s in sites))
        if _chain_is_regular(sites, chain, split, patterns):
            result.append((tuple(sorted(chain)), sites))
        else:  # members that depend on other members irregularly: grouped only with their exact likes
            exact = defaultdict(list)
            for site in sites:
                exact[patterns[site.name][1]].append(site)
            result.extend((tuple(sorted(offsets)) if len(group) > 1 else (), group)
                          for offsets, group in exact.items())
    return result


def _chain_is_regular(sites, chain, split, patterns) -> bool:
    """Each member depends on the member at each chain offset exactly when that member exists."""
    present = {split[s.name][1] for s in sites}
    for site in sites:
        own = split[site.name][1]
        for offset in chain:
            target = tuple(o + d for o, d in zip(own, offset))
            if (target in present) != (offset in patterns[site.name][1]):
                return False
    return True


def plate_hints(groups: list, shapes: dict | None = None) -> list:
    """The teaching hint for each group that a ``plate`` would vectorise: sample sites with the
    same distribution, no dependence on each other, and (when ``shapes`` says) the same shape."""
    hints = []
    for group in groups:
        if group.type != "sample" or group.chain:
            continue
        if shapes is not None and len({shapes.get(name) for name in group.members}) > 1:
            continue
        count = f"{group.size:,}".replace(",", " ")
        hints.append((group, f"{count} sites {group.span} have the same distribution and no "
                             "dependence on each other: a `plate` vectorises them"))
    return hints
