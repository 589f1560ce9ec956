"""Selection: the clinician's judgements and the strongest candidate, as compiled experta rules.

For every single-valued template (position, strategy, pairing, pattern, stage, relationship stage) the
engine adds, within the layer that concludes it: a rule that retracts a candidate the clinician
rejected, a rule that asserts the clinician's override with certainty 1, a rule that drops candidates
below the template's minimum certainty, and a pairwise rule that retracts the weaker of two candidates
for the same key (CLIPS's keep-the-maximum idiom), the clinician's value always winning.
"""

from __future__ import annotations

from .._compat import import_experta
from .compiler import (ANY_SIGNATURE, OFFSET_OVERRIDE, OFFSET_REJECT, OFFSET_SELECT, OFFSET_WEAK, Check,
                       fact_classes, layer_of, salience)
from ..knowledge.language import KnowledgeBase
from .trace import Origin, Status

CLINICIAN = Origin.CLINICIAN.value


def selection_rules(kb: KnowledgeBase) -> dict:
    """Compile the clinician-judgement and strongest-candidate rules for single-valued templates."""
    ex = import_experta()
    classes = fact_classes()
    Clin = classes["clinician"]
    rules = {}
    for name, t in kb.templates.items():
        if not t.single:
            continue
        layer = layer_of(kb, name)
        T = classes[name]
        keyed = {k: ex.W(f"k_{i}") for i, k in enumerate(t.key)}
        clin_key = ex.W("k_0") if t.key else ex.L("")

        def reject(*args, _t=t, **ctx):
            ctx_fact = ctx["c"]
            args[0].run_state.fired.append((len(args[0].run_state.fired) + 1, f"clinician-reject:{_t.name}", {}))
            args[0].take_back(ctx_fact, Status.REJECTED, f"rejected by the clinician: {ctx['r']}")

        def override(*args, _t=t, **ctx):
            st = args[0].run_state
            slots = {k: ctx[f"k_{i}"] for i, k in enumerate(_t.key)}
            slots[_t.value] = ctx["v"]
            st.fired.append((len(st.fired) + 1, f"clinician-override:{_t.name}", {}))
            args[0].conclude(_t.name, slots, 1.0, f"clinician-override:{_t.name}",
                             [f"clinician override: {ctx['r']}"], f"set by the clinician: {ctx['r']}",
                             origin=Origin.CLINICIAN)

        def weak(*args, _t=t, **ctx):
            fact = ctx["c"]
            args[0].take_back(fact, Status.TOO_WEAK, f"certainty {fact['cf']:.2f} is below the "
                              f"{_t.min_cf:.2f} needed to report a {_t.name}")

        def outrank(*args, _t=t, **ctx):
            a, b = ctx["a"], ctx["b"]
            args[0].take_back(b, Status.SET_ASIDE, f"'{a[_t.value]}' is stronger ({a['cf']:.2f} against "
                              f"{b['cf']:.2f})")

        for func in (reject, override, weak, outrank):
            func.__signature__ = ANY_SIGNATURE
        rules[f"sel_reject_{name}"] = ex.Rule(
            ex.AS.c << T(**keyed, **{t.value: ex.W("v")}),
            Clin(action="reject", conclusion=name, key=clin_key, value=ex.W("v"), reason=ex.W("r")),
            salience=salience(kb, layer, OFFSET_REJECT))(reject)
        override_key = {"key": ex.W("k_0")} if t.key else {"key": ex.L("")}
        rules[f"sel_override_{name}"] = ex.Rule(
            Clin(action="override", conclusion=name, value=ex.W("v"), reason=ex.W("r"), **override_key),
            salience=salience(kb, layer, OFFSET_OVERRIDE))(override)
        if t.min_cf > 0:
            rules[f"sel_weak_{name}"] = ex.Rule(
                ex.AS.c << T(cf=ex.P(lambda c, m=t.min_cf: c < m), origin=Origin.RULES.value),
                salience=salience(kb, layer, OFFSET_WEAK))(weak)
        beats = Check(["o1", "c1", "v1", "o2", "c2", "v2"],
                      lambda v: (v["o1"] == CLINICIAN, v["c1"], v["v2"]) > (v["o2"] == CLINICIAN, v["c2"], v["v1"]),
                      f"stronger {name}")
        rules[f"sel_outrank_{name}"] = ex.Rule(
            ex.AS.a << T(**keyed, **{t.value: ex.W("v1"), "cf": ex.W("c1"), "origin": ex.W("o1")}),
            ex.AS.b << T(**keyed, **{t.value: ex.W("v2"), "cf": ex.W("c2"), "origin": ex.W("o2")}),
            ex.TEST(beats), salience=salience(kb, layer, OFFSET_SELECT))(outrank)
    return rules
