"""Problems found in a run's events, as a linter or ``flutter doctor`` reports them.

:class:`ProblemFinder` reads events (plain dicts, DESIGN section 3, plus the NaN watch's
``msg_end`` fields of :mod:`.watch`) one at a time, and reports each problem once per kind and
site, with the step it appeared at, the user's ``file:line``, one sentence of cause and one of
fix. It never needs the model: what only live tensors tell (log-densities, the arguments that
made a NaN, supports) the watch has written into the events. No torch, no Qt: the app and the
``check`` command share it.

Kinds: ``nan``, ``error``, ``shape``, ``missing_in_guide``, ``missing_in_model``, ``support``
(problems) and ``loop`` (a hint: a loop of sites a ``plate`` would vectorise).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .frames import is_user_code
from .site_groups import group_sites, plate_hints

KINDS = ("nan", "error", "shape", "missing_in_guide", "missing_in_model", "support", "loop")
HINT_KINDS = ("loop",)
_SITE_IN_MESSAGE = re.compile(r"""site ["']([^"']+)["']""")
NON_FINITE = ("nan", "inf", "-inf")
_PLATE_SIZE_WORDS = "give the value the plate's shape (e.g. `y.squeeze(-1)` or `y.reshape(-1)`)"


@dataclass(frozen=True)
class Problem:
    kind: str
    site: str | None
    step: int
    source: str | None  # the user's "file:line"
    message: str  # the cause, then the fix
    seq: int  # the event it was found at: where the app travels to
    offending: str | None = None  # the field that shows it ("log_prob", "value", "loss", "grad_norms", ...)
    details: dict = field(default_factory=dict, compare=False)  # e.g. a shape finding's dim and plate

    @property
    def is_hint(self) -> bool:
        return self.kind in HINT_KINDS

    def to_json(self) -> dict:
        return {"kind": self.kind, "site": self.site, "step": self.step, "source": self.source,
                "message": self.message}


def is_non_finite(value) -> bool:
    """A float or a JSON summary (scalar, or a tensor's min/mean/max) that is NaN or infinite."""
    if isinstance(value, float):
        return value != value or value in (float("inf"), float("-inf"))
    if isinstance(value, str):
        return value in NON_FINITE
    if isinstance(value, dict):
        return any(value.get(key) in NON_FINITE for key in ("min", "mean", "max")) or \
            value.get("preview") in NON_FINITE
    return False


def _word(value) -> str:
    """'NaN', 'inf' or '-inf' for a non-finite float or summary."""
    if isinstance(value, dict):
        value = next((value[key] for key in ("mean", "min", "max", "preview") if value.get(key) in NON_FINITE),
                     "nan")
    text = str(value)
    return "NaN" if text == "nan" else text


def _plates_shape(by_dim: dict) -> list:
    """The batch shape the plates ask for: each plate's size at its dim, 1 between them."""
    return [by_dim[dim]["size"] if dim in by_dim else 1 for dim in range(min(by_dim, default=0), 0)]


def _fits(batch: list, by_dim: dict) -> bool:
    """Whether a batch shape lies within the plates: each dim 1 or its plate's size."""
    return all(size == 1 or (dim in by_dim and by_dim[dim].get("size") == size)
               for dim, size in zip(range(-len(batch), 0), batch))


def _shape(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _number(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _names(names) -> str:
    return ", ".join(f"'{name}'" for name in names)


class ProblemFinder:
    """Feed it a run's events in order; ``problems`` holds what it found so far."""

    def __init__(self):
        self.problems: list[Problem] = []
        self._reported: set = set()  # (kind, site)
        self._messages: dict = {}  # msg_id -> (name, source)
        self._sources: dict = {}  # site name -> the user's line of its first message
        self._step_sources: dict = {}  # site name -> its first message's line in this step
        self._structure: dict = {}  # "model"/"guide" -> relations
        self._site_plates: dict = {}
        self._flags: dict = {}  # site name -> its infer flags (watch)
        self._enumerating = False
        self._non_finite_seen = False
        self._watched = False  # a NaN watch's log-densities were seen
        self.step = 0

    # Feeding ---------------------------------------------------------------------
    def feed(self, event: dict) -> list[Problem]:
        """The problems ``event`` reveals (also appended to ``problems``)."""
        before = len(self.problems)
        handler = getattr(self, "_on_" + event["kind"], None)
        if handler is not None:
            handler(event)
        return self.problems[before:]

    def feed_all(self, events) -> list[Problem]:
        for event in events:
            self.feed(event)
        return self.problems

    def _report(self, kind, site, event, message, source=None, offending=None, **details) -> None:
        if (kind, site) in self._reported:
            return
        self._reported.add((kind, site))
        if source is None and site is not None:
            source = self._sources.get(site)
        self.problems.append(Problem(kind, site, self.step, source, message, event["seq"], offending, details))

    def _on_run_start(self, event: dict) -> None:
        self.step = 1 if event.get("entry") == "svi" else 0
        elbo = str((event.get("svi") or {}).get("elbo", ""))
        self._enumerating = "Enum" in elbo

    def _on_msg_start(self, event: dict) -> None:
        name, source = event.get("name"), event.get("source")
        self._messages[event["msg_id"]] = (name, source)
        if name is not None:
            self._sources.setdefault(name, source)
            self._step_sources.setdefault(name, source)

    def _on_msg_end(self, event: dict) -> None:
        name, source = self._messages.get(event["msg_id"], (event.get("name"), None))
        self._watched = self._watched or "log_prob_sum" in event
        flags = event.get("infer")
        if isinstance(flags, dict):
            self._flags[name] = flags
            self._enumerating = self._enumerating or bool(flags.get("enumerate"))
        if not self._non_finite_seen:
            self._check_finite(event, name, source)
        if event.get("type") == "sample" and isinstance(event.get("plates"), list):  # (watched: plates known)
            self._check_shape(event, name, source, [f for f in event["plates"] if isinstance(f, dict)])
        elif event.get("type") == "sample":
            self._check_broadcast(event, name, source)
        outside = event.get("support_outside")
        if isinstance(outside, dict):
            self._report("support", name, event,
                         f"The guide's distribution for '{name}' has support {outside.get('guide')}, which is not "
                         f"inside the model's {outside.get('model')}: the guide proposes values the model gives "
                         "zero density, and the loss or a later site fails. Give the guide a distribution with the "
                         "model's support (e.g. LogNormal or a Gamma for a positive latent, Beta for one in (0, 1)), "
                         "or an autoguide, which transforms to the support itself.",
                         source=self._step_sources.get(name, source), offending="fn")

    def _check_finite(self, event: dict, name, source) -> None:
        where = "param" if event.get("type") == "param" else "site"
        cause = event.get("cause") if isinstance(event.get("cause"), dict) else {}
        if is_non_finite(event.get("value")):
            text = (f"The value of {where} '{name}' is {_word(event['value'])} at step {self.step}"
                    f"{self._cause_text(cause)}.")
            self._non_finite(event, name, source, text, "value", cause)
        elif is_non_finite(event.get("log_prob_sum")):
            text = (f"log_prob of '{name}' is {_word(event['log_prob_sum'])} at step {self.step}"
                    f"{self._cause_text(cause)}.")
            self._non_finite(event, name, source, text, "log_prob", cause)

    @staticmethod
    def _cause_text(cause: dict) -> str:
        bad = cause.get("bad_args") or {}
        if not bad:
            return ""
        args = ", ".join(f"{cause.get('dist', 'the distribution')} {arg} = {_number(value)}"
                         for arg, value in bad.items())
        params = cause.get("params") or []
        made = f", from param{'s' if len(params) > 1 else ''} {_names(params)}" if params else ""
        return f": {args}{made}"

    def _non_finite(self, event, name, source, text, field, cause) -> None:
        self._non_finite_seen = True
        bad, params = cause.get("bad_args") or {}, cause.get("params") or []
        if cause.get("validation") is False:
            text += (" Validation is off, so Pyro did not raise here and the loss went on silently; "
                     "`pyro.enable_validation(True)` stops at this site.")
        if bad:
            arg = next(iter(bad))
            on = f"param {_names(params)}" if params else f"the {arg} you pass"
            fix = (f"Fix: keep {arg} inside its constraint: give {on} a constraint "
                   "(`constraint=constraints.positive` for a scale or rate) or transform it (softplus, exp), "
                   "or lower the learning rate.")
        elif field == "log_prob":
            fix = ("Fix: the value lies outside the distribution's support, or its arguments overflowed: "
                   "check the data against the support and the arguments' ranges.")
        else:
            fix = "Fix: find where this value is computed; the arguments or the data feeding it are not finite."
        self._report("nan", name, event, f"{text} {fix}", source=source, offending=field,
                      bad_args=sorted(bad), params=list(params))

    def _check_shape(self, event: dict, name, source, plates) -> None:
        log_prob = event.get("log_prob")
        shape = log_prob.get("shape") if isinstance(log_prob, dict) else None
        if not isinstance(shape, list):
            self._check_broadcast(event, name, source)
            return
        by_dim = {frame.get("dim"): frame for frame in plates if isinstance(frame.get("dim"), int)}
        innermost = min(by_dim, default=0)
        for position, size in enumerate(shape):
            dim = position - len(shape)
            frame = by_dim.get(dim)
            expected = frame.get("size") if frame else 1
            if size in (1, expected):
                continue
            if frame is None and self._enumerating and dim < innermost:
                continue  # an enumerated site's own dim, left of the plates
            value_shape = (event.get("value") or {}).get("shape") if isinstance(event.get("value"), dict) else None
            fn = event.get("fn") if isinstance(event.get("fn"), dict) else {}
            plates_text = ", ".join(f"'{f.get('plate')}' (dim {f.get('dim')}, size {f.get('size')})" for f in plates) \
                or "none"
            if frame is None:
                cause = f"dim {dim} (size {size}) is not the dim of any plate around it; plates here: {plates_text}"
                declare = f"or declare the dim: a plate at dim={dim}, or `.to_event(1)` if it is part of one draw"
            else:
                cause = f"dim {dim} has size {size}, but plate '{frame.get('plate')}' there has size {expected}"
                declare = "or give the plate the data's size"
            made, fix = "", f"{_PLATE_SIZE_WORDS}, {declare}"
            batch = fn.get("batch_shape")
            if isinstance(value_shape, list) and isinstance(batch, list):
                value_batch = value_shape[:len(value_shape) - len(fn.get("event_shape") or [])]
                if value_batch != batch:
                    made = (f" (the value's shape {_shape(value_shape)} broadcasts against the distribution's batch "
                            f"shape {_shape(batch)}, silently)")
                wanted = _plates_shape(by_dim)
                if by_dim and _fits(batch, by_dim) and not _fits(value_batch, by_dim):
                    example = f" (e.g. `y.reshape{_shape(wanted)}`)" if math.prod(value_batch) == math.prod(wanted) else ""
                    fix = f"give the value the plates' shape {_shape(wanted)}{example}, {declare}"
                elif by_dim and _fits(value_batch, by_dim) and not _fits(batch, by_dim):
                    fix = (f"give the distribution's arguments the plates' shape {_shape(wanted)}: its batch shape "
                           f"{_shape(batch)} does not fit them, {declare}")
            self._report("shape", name, event,
                         f"log_prob of '{name}' has shape {_shape(shape)} at step {self.step}: {cause}{made}. "
                         f"Fix: {fix}.", source=source, offending="log_prob", dim=dim, size=size,
                         plate=frame.get("plate") if frame else None, shape=shape)
            return

    def _check_broadcast(self, event: dict, name, source) -> None:
        """A value whose shape does not broadcast with its distribution's batch shape at all."""
        value, fn = event.get("value"), event.get("fn")
        if not (isinstance(value, dict) and isinstance(fn, dict) and isinstance(value.get("shape"), list)
                and isinstance(fn.get("batch_shape"), list)):
            return
        batch = value["shape"][:len(value["shape"]) - len(fn.get("event_shape") or [])]
        for a, b in zip(reversed(batch), reversed(fn["batch_shape"])):
            if a != b and 1 not in (a, b):
                self._report("shape", name, event,
                             f"The value of '{name}' has shape {_shape(value['shape'])}, which does not broadcast "
                             f"with its {fn.get('dist', 'distribution')}'s batch shape {_shape(fn['batch_shape'])} "
                             f"at step {self.step}. Fix: {_PLATE_SIZE_WORDS}, or build the distribution with the "
                             "value's shape.", source=source, offending="value", shape=value["shape"])
                return

    def _on_svi_step(self, event: dict) -> None:
        grads = event.get("grad_norms") or {}
        params = event.get("params") or {}
        found = event.get("nonfinite_site")
        if not self._non_finite_seen and isinstance(found, dict):  # the lazy watch: where the NaN loss started
            name, cause = found.get("site"), found.get("cause") if isinstance(found.get("cause"), dict) else {}
            what = "log_prob of" if found.get("what") == "log_prob" else "The value of site"
            self._non_finite(event, name, self._sources.get(name),
                             f"{what} '{name}' is {_word(found.get('value'))} at step {event.get('step', self.step)}"
                             f"{self._cause_text(cause)}.", found.get("what"), cause)
        if not self._non_finite_seen:
            bad_grads = [name for name, norm in grads.items() if is_non_finite(norm)]
            step = event.get("step", self.step)
            if is_non_finite(event.get("loss")):
                made = f"; gradients not finite for {_names(bad_grads)}" if bad_grads else ""
                self._non_finite_seen = True
                sites = (" with every site's log_prob finite" if self._watched else
                         " (the run watched no site: `main.py check`, or the monitor's per-site ELBO, names the "
                         "site where it starts)")
                self._report("nan", None, event,
                             f"The loss is {_word(event['loss'])} at step {step}{sites}{made}. Fix: look at the "
                             "guide's entropy terms and at values that overflow (exp of a large number), or lower "
                             "the learning rate.", offending="loss")
            elif bad_grads:
                self._non_finite_seen = True
                sites = self._sites_depending_on(bad_grads)
                on = f"; sites whose log_prob depends on them: {_names(sites)}" if sites else ""
                self._report("nan", bad_grads[0], event,
                             f"The loss is finite at step {step} but the gradient of param{'s' if len(bad_grads) > 1 else ''} "
                             f"{_names(bad_grads)} is not (the NaN is in the backward pass only){on}. "
                             "Fix: look for a function whose derivative is not finite where it is evaluated "
                             "(sqrt or log at 0, a clamp's edge) at those sites.",
                             offending="grad_norms", params=bad_grads, sites=sites)
            else:
                for name, summary in params.items():
                    if is_non_finite(summary):
                        self._non_finite_seen = True
                        self._report("nan", name, event,
                                     f"Param '{name}' became {_word(summary)} after step {step}. Fix: lower the "
                                     "learning rate, or give the param a constraint.", offending="params")
                        break
        self.step = event.get("step", self.step) + 1
        self._step_sources = {}

    def _sites_depending_on(self, params: list) -> list:
        sites = []
        for which in ("model", "guide"):
            for site, names in (self._structure.get(which) or {}).get("sample_param", {}).items():
                if set(names) & set(params) and site not in sites:
                    sites.append(site)
        return sites

    def _on_error(self, event: dict) -> None:
        if event.get("step") is not None:  # the runner's stop at a non-finite loss, reported as nan
            return
        frames = [frame for frame in event.get("frames") or [] if is_user_code(str(frame.get("file")))]
        source = f"{frames[-1]['file']}:{frames[-1]['line']}" if frames else None
        site = None
        if event.get("msg_id") is not None:
            site, site_source = self._messages.get(event["msg_id"], (None, None))
            source = site_source or source
        if site is None:  # named in the message (Pyro's ELBO checks), or raised at a site's line (validation)
            named = _SITE_IN_MESSAGE.search(str(event.get("message", "")))
            site = named.group(1) if named else None  # (refused before its message began, it has no source)
            if site is None and source is not None:
                site = next((name for name, line in self._sources.items() if line == source), None)
            source = self._sources.get(site, source) if named and site else source
        if any((kind, site) in self._reported for kind in ("shape", "support")) and site is not None:
            return  # the validation error of a fault already reported, with its cause and fix
        # Pyro's messages start with where ("Error while computing log_prob at site 'obs':") and
        # say what on the next line: both, as one line; the trace's shapes Pyro adds are the table below.
        text = str(event.get("message", "")).split("\nTrace Shapes:", 1)[0]
        text = " ".join(line.strip() for line in text.splitlines() if line.strip())
        text = text if len(text) <= 300 else text[:299] + "…"
        where = f" at site '{site}'" if site else ""
        self._report("error", site, event, f"{event.get('type')}{where} at step {self.step}: {text}. "
                                           f"Fix: {_error_fix(event.get('type'), text)}",
                     source=source)

    def _on_structure(self, event: dict) -> None:
        which = event.get("which")
        self._structure[which] = event.get("relations") or {}
        if which == "model":
            self._site_plates = event.get("site_plates") or {}
            for group, text in plate_hints(group_sites(self._structure["model"], self._site_plates or None)):
                self._report("loop", group.label, event,
                             f"{text}. Fix: one site inside `with pyro.plate(...)` instead of a loop.",
                             source=self._sources.get(group.members[0]))
        if "model" in self._structure and "guide" in self._structure:
            self._check_match(event)

    def _check_match(self, event: dict) -> None:
        model, guide = self._structure["model"], self._structure["guide"]
        model_sites = set(model.get("sample_sample", {}))
        model_latent = [name for name in model.get("sample_sample", {}) if name not in set(model.get("observed", []))
                        and not self._flags.get(name, {}).get("enumerate")]
        guide_latent = [name for name in guide.get("sample_sample", {}) if name not in set(guide.get("observed", []))
                        and not self._flags.get(name, {}).get("is_auxiliary")]
        for name in model_latent:
            if name not in guide_latent:
                self._report("missing_in_guide", name, event,
                             f"The model's latent site '{name}' has no site in the guide: SVI samples it from the "
                             "prior at every step and never learns it. Fix: add "
                             f"`pyro.sample(\"{name}\", ...)` to the guide (or use an autoguide).")
        for name in guide_latent:
            if name not in model_sites:
                self._report("missing_in_model", name, event,
                             f"The guide samples '{name}', which the model does not have: its log q counts in the "
                             "loss but nothing in the model uses it. Fix: rename it to the model's site, or remove "
                             "it from the guide.")


def _error_fix(kind, text: str) -> str:
    lowered = text.lower()
    if kind == "ModelFileError":  # the file itself, not a line of it running
        return ("a model file defines `def model(...)` and, for SVI, `def guide(...)` at its top level "
                "(README: model files).")
    if "constraint" in lowered or "support" in lowered:
        return ("keep the argument inside its constraint: give the param a constraint or transform it "
                "(softplus, exp), or check the data against the support.")
    if "shape" in lowered or "size of tensor" in lowered or "broadcast" in lowered:
        return ("make the value's and the distribution's shapes fit the plates around the site "
                "(the Model graph's shapes table shows each site's shapes).")
    return "read the traceback at the line shown; this exception stopped the run."
