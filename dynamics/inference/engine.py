"""Run the knowledge base over a case with experta and collect an explained Assessment.

Certainty: every fact carries a certainty factor (cf) in -1..1. A rule's conclusion gets the rule's cf
times the weakest cf among the facts it matched (MYCIN's rule of the weakest premise). When several rule
firings conclude the same fact, their certainties combine the MYCIN way: two positives a, b give
a + b - ab, two negatives a + b + ab, mixed signs (a + b) / (1 - min(|a|, |b|)). So independent
evidence raises confidence, and contrary evidence (a rule with a negative cf) lowers it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import threading

from .._compat import import_experta
from ..case.model import Case
from ..errors import InputError
from ..knowledge import labels
from ..knowledge.language import Rule, Var, load_knowledge
from .compiler import ANY_SIGNATURE, OFFSET_FLUSH, Compiler, fact_classes, forget_fact_classes, layer_of, salience
from . import judgements
from .coverage import coverage
from .facts import InputFact, combine, sessions_up_to, summarise
from .selection import selection_rules
from .trace import Contribution, Origin, Run, Status, Trace, fact_key
from .why import format_why

CLINICIAN = Origin.CLINICIAN



class DynamicsEngineBase:
    """Methods mixed into the generated experta engine class."""

    run_state: Run
    producer: dict[str, str]  # template -> the layer whose rules conclude it

    def conclude(self, template: str, slots: dict, cf: float, rule: str, premises: list,
                 why: str = "", origin: Origin = Origin.RULES, bindings: dict | None = None):
        """Assert a conclusion, combining its certainty with any earlier support for it."""
        st = self.run_state
        t = st.kb.templates[template]
        key = fact_key(t, slots)
        cf = round(max(-1.0, min(1.0, cf)), 4)
        trace = st.traces.get(key)
        if trace is None or (key not in st.live and key not in st.pending):
            trace = st.traces[key] = Trace(template, {s: slots.get(s) for s in t.slots})
            trace.cf, combined = cf, cf
        else:
            combined = round(combine(trace.cf, cf), 4) if origin != CLINICIAN else 1.0
            trace.cf = combined
        if origin == CLINICIAN:
            trace.origin, trace.cf, combined = CLINICIAN, 1.0, 1.0
        trace.contributions.append(Contribution(rule, cf, combined, premises, len(st.fired)))
        if why:
            entry = trace.reasons.setdefault(rule, (why, [], st.names))
            entry[1].append(dict(bindings or {}))
        cls = fact_classes()[template]
        values = {s: slots[s] for s in t.slots if slots.get(s) is not None}
        if st.producer.get(template) not in st.flushed and origin != CLINICIAN:
            # The layer's own rules are still firing: hold the combined fact back until they are done,
            # so the network sees each conclusion once instead of once per supporting rule.
            st.pending[key] = (cls, values, combined, trace.origin.value)
            return
        existing = st.live.get(key)
        if existing is not None:
            st.live[key] = self.modify(existing, cf=combined, origin=trace.origin.value)
        else:
            st.live[key] = self.declare(cls(**values, cf=combined, origin=trace.origin.value))

    def flush(self, layer: str) -> None:
        """Declare, all at once, the conclusions a layer's rules have accumulated."""
        st = self.run_state
        st.flushed.add(layer)
        held = [(key, st.pending.pop(key)) for key in list(st.pending)
                if st.producer.get(key[0]) == layer]
        if not held:
            return
        facts = [cls(**values, cf=cf, origin=origin) for _, (cls, values, cf, origin) in held]
        self.declare(*facts)
        for (key, _), fact in zip(held, facts):
            st.live[key] = fact

    def take_back(self, fact, status: Status, note: str) -> None:
        """Retract a fact and record why."""
        st = self.run_state
        template = fact.__class__.__name__[2:]
        key = fact_key(st.kb.templates[template], dict(fact))
        self.retract(fact)
        st.live.pop(key, None)
        if key in st.traces:
            st.traces[key].status = status
            st.traces[key].note = note


def _rule_action(rule: Rule):
    asserts = rule.asserts
    fact_slots = [f"f_{i}" for i, p in enumerate(rule.patterns) if not p.negated]
    binds = {p.bind: f"f_{i}" for i, p in enumerate(rule.patterns) if p.bind and not p.negated}

    def action(*args, **ctx):
        engine = args[0]
        st = engine.run_state
        matched = [ctx[name] for name in fact_slots if name in ctx]
        strength = min((f.get("cf", 1.0) for f in matched), default=1.0) if rule.weigh else 1.0
        bindings = {k: v for k, v in ctx.items() if not k.startswith(("f_", "t_"))}
        base = float(bindings[rule.cf.name]) if isinstance(rule.cf, Var) else rule.cf
        cf = max(-1.0, min(1.0, base)) * strength
        st.fired.append((len(st.fired) + 1, rule.id, bindings))
        premises = [st.key_of(f) for f in matched]
        why = rule.why
        for var in rule.retracts:
            fact = ctx.get(binds.get(var, ""))
            if fact is not None:
                engine.take_back(fact, Status.WITHHELD if rule.layer == "gate" else Status.RETRACTED,
                                 format_why(why, bindings, st.names) if why else rule.description)
        for template, slots in asserts:
            values = {k: (bindings.get(v.name) if isinstance(v, Var) else v) for k, v in slots}
            engine.conclude(template, values, cf, rule.id, premises, why, bindings=bindings)
    action.__name__ = rule.id.replace("-", "_")
    action.__signature__ = ANY_SIGNATURE  # experta inspects actions often; spare it the work
    return action


_BUILD = threading.Lock()
_CLASS: list = []
_LOCAL = threading.local()


@contextlib.contextmanager
def _gc_paused():
    """Hold off the cycle collector while tens of thousands of long-lived objects are made at once."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def engine_class():
    """Return the experta engine class compiled from the knowledge base (built once per process)."""
    if _CLASS:
        return _CLASS[0]
    with _BUILD:
        if not _CLASS:
            with _gc_paused():
                _CLASS.append(_build_class())
    return _CLASS[0]


def _build_class(reference: bool = False):
    """Compile the knowledge base into an engine class; `reference` runs it on experta's stock matcher."""
    ex = import_experta()
    from . import matcher
    kb = load_knowledge()
    compiler = Compiler(kb, fact_classes())
    attrs = {f"rule_{i:03d}_{r.id.replace('-', '_')}": compiler.compile_rule(r, _rule_action(r))
             for i, r in enumerate(kb.rules)}
    attrs.update(selection_rules(kb))
    for layer in kb.layers:
        def flush(*args, _layer=layer, **ctx):
            args[0].flush(_layer)
        flush.__signature__ = ANY_SIGNATURE
        attrs[f"flush_{layer.replace('-', '_')}"] = ex.Rule(
            ex.InitialFact(), salience=salience(kb, layer, OFFSET_FLUSH))(flush)
    for position, compiled in enumerate(attrs.values()):
        compiled._wrapped.order = position  # the agenda's tie-break (matcher.Ordered)
    attrs["producer"] = {name: layer_of(kb, name) for name, t in kb.templates.items() if not t.input}
    attrs["__matcher__"] = matcher.STOCK if reference else matcher.FastRete
    attrs["__strategy__"] = matcher.Ordered
    return type("DynamicsEngine", (DynamicsEngineBase, ex.KnowledgeEngine), attrs)


def _engine():
    """Return this thread's engine: experta engines hold the run's facts, so threads never share one."""
    engine = getattr(_LOCAL, "engine", None)
    if engine is None:
        cls = engine_class()
        with _gc_paused():
            engine = _LOCAL.engine = cls()  # experta builds the Rete network here
    return engine


def reference_engine():
    """Return a new engine on experta's stock Rete matcher, to check the fast one against (tests)."""
    return _build_class(reference=True)()


def reset_engines() -> None:
    """Forget the compiled engine (after the knowledge base changed, as tests that edit rules/ do)."""
    with _BUILD:
        _CLASS.clear()
        forget_fact_classes()
    _LOCAL.__dict__.clear()


def clinician_facts(found: list[judgements.Entry]) -> list[InputFact]:
    """Return the overrides and rejects that act on this run as input facts (see `judgements`)."""
    kb = load_knowledge()
    by_path = {t.conclusion: t for t in kb.templates.values() if t.conclusion}
    facts = []
    for entry in judgements.acting(found):
        note, path = entry.note, entry.note.conclusion
        key = labels.partner_in(path)
        template = by_path[labels.STRATEGY_PATH] if key is not None else by_path[path]
        if note.value is None:
            continue
        facts.append(InputFact("clinician", {
            "action": note.kind, "conclusion": template.name, "key": key or "", "value": note.value,
            "reason": note.reason or "", "by": note.by, "date": note.date.isoformat()},
            origin=[f"line {note.line}: #{entry.number} {note.kind} {path} = {note.value} by {note.by} "
                    f"on {note.date}, about the session of {entry.session}"]))
    return facts


def run(case: Case, as_of: dt.date | None = None, engine=None) -> Run:
    """Run the engine on a case and return the finished Run with its traces (safe from any thread).

    `engine` is for tests that compare engines; by default each thread uses its own.
    """
    sessions = sessions_up_to(case, as_of)
    if not sessions:
        raise InputError(f"no session on or before {as_of}", file=case.path,
                         hint=f"use a date on or after the first session ({case.sessions[0].date})")
    kb = load_knowledge()
    engine = engine if engine is not None else _engine()
    state = Run(kb, case, engine.producer, sessions, as_of)
    state.coverage = coverage(sessions, case.partner_ids)
    full = [c.session.date for c in state.coverage if c.full]
    state.judgements = judgements.entries(case, sessions, full[-1] if full else None)
    engine.run_state = state
    engine.reset()
    inputs = summarise(case, sessions) + clinician_facts(state.judgements)
    for entry_id, entry in sorted(kb.interventions.items()):
        inputs.append(InputFact("catalog", {"intervention": entry_id, "conjoint": bool(entry["conjoint"]),
                                            "priority": int(entry["priority"])}))
    classes = fact_classes()
    declared = []
    for item in inputs:
        t = kb.templates[item.template]
        key = fact_key(t, item.slots)
        state.traces[key] = Trace(item.template, dict(item.slots), item.cf, origin=Origin.CASE,
                                  input_origin=item.origin)
        values = {k: v for k, v in item.slots.items() if v is not None}
        declared.append((key, classes[item.template](**values, cf=item.cf, origin=Origin.CASE.value)))
    # One declare for all input facts: experta recomputes the agenda once, not once per fact.
    engine.declare(*(fact for _, fact in declared))
    for key, fact in declared:
        state.live[key] = fact
    engine.run()
    engine.run_state = None  # the finished run belongs to the caller alone
    return state
