"""Case-file reading: check located YAML nodes against format version 1 and build the Case."""

from __future__ import annotations

import datetime as dt
import re

from ..knowledge import labels
from .model import (_ANNOTATION_KEYS, ANNOTATION_KINDS, CASE_ID, COVERED_ALL, DEFAULT_EPISODE_LABEL, DEFAULT_FREQUENCY,
                    WITHDRAWABLE,
                    DEFAULT_SOURCE, FORMAT_VERSION, ISO_DATE, PARTNER_ID, Annotation, Case, Episode, Observation,
                    Partner, Relationship, Session, Step)
from ..errors import CaseError, one_of, shorten, suggest
from .instruments import INSTRUMENTS
from ..knowledge.vocabulary import vocabulary
from ..yamlnodes import MAX_BYTES, Node, decode, parse, too_large


class _Reader:
    """Check located nodes against the format, raising CaseError at the first problem."""

    def __init__(self, filename: str):
        self.file = filename

    def fail(self, node: Node | None, message: str, hint: str | None = None, *, at_key: bool = False):
        """Raise CaseError at the node (or its key), with the node's value and a hint."""
        line = column = None
        if node is not None:
            if at_key and node.key_line is not None:
                line, column = node.key_line, node.key_column
            else:
                line, column = node.line, node.column
        raise CaseError(message, file=self.file, line=line, column=column,
                        value=getattr(node, "value", None), hint=hint)

    def mapping(self, node: Node, what: str, required: tuple[str, ...], optional: tuple[str, ...]):
        """Return the node's key-value mapping, rejecting unknown keys and missing required ones."""
        if node.kind != "mapping":
            self.fail(node, f"{what} should be a mapping of keys to values, not {_describe(node)}",
                      f"write it as 'key: value' lines ({', '.join(required + optional)})")
        allowed = required + optional
        for key, value in node.value.items():
            if key not in allowed:
                hint = suggest(key, allowed) or f"allowed keys are {', '.join(allowed)}"
                place = node.keys[key]
                raise CaseError(f"unknown key '{shorten(key)}' in {what}", file=self.file, line=place.line,
                                column=place.column, value=key, hint=hint)
        for key in required:
            if key not in node.value:
                self.fail(node, f"{what} is missing the required key '{key}'", f"add '{key}:' to it")
        return node.value

    def sequence(self, node: Node, what: str, hint: str) -> list[Node]:
        """Return the node's items, or fail if it is not a list."""
        if node.kind != "sequence":
            self.fail(node, f"{what} should be a list, not {_describe(node)}", hint)
        return node.value

    def string(self, node: Node, what: str, hint: str = "write some text") -> str:
        """Return the node as text, exactly as written: YAML 1.1 would read `12:30` as the number 750,
        `1e3` as 1000.0 and `no` as false, but a text field keeps the characters typed."""
        if node.kind != "scalar" or node.value is None or isinstance(node.value, (list, dict)):
            self.fail(node, f"{what} should be text, not {_describe(node)}", hint)
        if isinstance(node.value, str):
            return node.value
        return node.raw if node.raw is not None else str(node.value)

    def integer(self, node: Node, what: str, minimum: int | None = None,
                hint: str = "write a whole number such as 12, without quotes") -> int:
        """Return the node as a whole number written in decimal digits, at least minimum when one is given.

        YAML 1.1 also reads 1:30 (base 60), 0x1e, 0o17, 017 and 1_000 as numbers; a person who types
        them into a case file rarely means that, so they are refused rather than silently converted.
        """
        if node.kind != "scalar" or isinstance(node.value, bool) or not isinstance(node.value, int):
            self.fail(node, f"{what} should be a whole number, not {_describe(node)}", hint)
        if node.raw is not None and not _DECIMAL.match(node.raw):
            self.fail(node, f"{what} '{shorten(node.raw)}' is not written as a plain whole number",
                      "write it in decimal digits only, such as 12 or 90")
        if minimum is not None and node.value < minimum:
            self.fail(node, f"{what} should be at least {minimum}, not {node.value}",
                      f"use a number of {minimum} or more")
        return node.value

    def boolean(self, node: Node, what: str) -> bool:
        """Return the node as true or false."""
        if node.kind != "scalar" or not isinstance(node.value, bool):
            self.fail(node, f"{what} should be true or false, not {_describe(node)}",
                      "write true or false")
        return node.value

    def date(self, node: Node, what: str) -> dt.date:
        """Return the node as a date written YYYY-MM-DD, without a time."""
        value = node.value
        if isinstance(value, str):
            try:
                if not ISO_DATE.match(value.strip()):
                    raise ValueError(value)
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                self.fail(node, f"{what} '{shorten(value)}' is not a valid date",
                          "write a real day as YYYY-MM-DD, for example 2026-09-14")
        if isinstance(value, dt.datetime):
            self.fail(node, f"{what} should be a date without a time", "write it as YYYY-MM-DD")
        if not isinstance(value, dt.date):
            self.fail(node, f"{what} should be a date, not {_describe(node)}", "write it as YYYY-MM-DD")
        return value

    def choice(self, node: Node, what: str, choices: tuple[str, ...], hint_all: str | None = None) -> str:
        """Return the node's text if it is one of the choices, suggesting the nearest if not."""
        if node.kind == "scalar" and isinstance(node.value, bool):
            self.fail(node, f"{what} '{node.raw}' was read by YAML as a true/false value",
                      f"quote it: '{node.raw}'")
        value = self.string(node, what, hint_all or one_of(choices))
        if value not in choices:
            hint = suggest(value, choices) or hint_all or one_of(choices)
            self.fail(node, f"unknown {what} '{shorten(value)}'", hint)
        return value

    def partner_id(self, node: Node, what: str, known: tuple[str, ...] | None) -> str:
        """Return a partner id: a new valid id when known is None, else one of the known ids."""
        if node.kind == "scalar" and isinstance(node.value, bool):
            self.fail(node, f"{what} '{node.raw}' was read by YAML as a true/false value",
                      f"quote it: '{node.raw}'")
        value = self.string(node, what)
        if known is None:
            if not PARTNER_ID.match(value):
                self.fail(node, f"partner id '{shorten(value)}' is not a valid id",
                          "use a letter followed by letters, digits, '-' or '_' (for example A or maya)")
            return value
        if value not in known:
            hint = suggest(value, known) or f"use one of the partner ids {', '.join(map(shorten, known))}"
            self.fail(node, f"unknown partner '{shorten(value)}'", hint)
        return value


_DECIMAL = re.compile(r"[-+]?(0|[1-9][0-9]*)\Z")


def _describe(node: Node) -> str:
    """Describe what a node holds, for a message: 'a mapping', 'the number 3', 'empty', ..."""
    if node.kind == "mapping":
        return "a mapping"
    if node.kind == "sequence":
        return "a list"
    value = node.value
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"true/false ({node.raw})"
    if isinstance(value, (int, float)):
        return f"the number {node.raw}"
    if isinstance(value, dt.date):
        return f"the date {node.raw}"
    return f"'{shorten(value)}'"


def read_case(data: bytes | str, filename: str) -> Case:
    """Decode, parse and check case-file data; return the Case or raise CaseError at the first problem."""
    text = decode(data, filename) if isinstance(data, bytes) else data
    if isinstance(data, str) and len(data) > MAX_BYTES // 4 and \
            len(data.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise too_large(filename, len(data.encode("utf-8", "surrogatepass")))
    root = parse(text, filename)
    reader = _Reader(filename)
    if root is None or (root.kind == "scalar" and root.value is None):
        raise CaseError("file is empty", file=filename, line=1, column=1,
                        hint="a case needs version, case_id, partners and sessions (see cases/ for examples)")
    top = reader.mapping(root, "the case", ("version", "case_id", "partners", "sessions"),
                         ("relationship", "annotations"))
    version = reader.integer(top["version"], "version", hint=f"write 'version: {FORMAT_VERSION}'")
    if version != FORMAT_VERSION:
        reader.fail(top["version"], f"format version {version} is not supported",
                    f"this dynamics reads version {FORMAT_VERSION}")
    case_id = reader.string(top["case_id"], "case_id")
    if not CASE_ID.match(case_id):
        reader.fail(top["case_id"], f"case_id '{shorten(case_id)}' is not a valid id",
                    "use lowercase letters, digits, '-' and '_', starting with a letter or digit")
    partners = _partners(reader, top["partners"])
    ids = tuple(p.id for p in partners)
    relationship = _relationship(reader, top["relationship"]) if "relationship" in top else Relationship()
    sessions = _sessions(reader, top["sessions"], ids)
    annotations = _annotations(reader, top["annotations"], ids) if "annotations" in top else ()
    return Case(case_id, partners, sessions, relationship, annotations, version, filename)


def _partners(reader: _Reader, node: Node) -> tuple[Partner, Partner]:
    """Check the partners list and return its two partners."""
    items = reader.sequence(node, "partners", "list the two partners, each with '- id: A'")
    if len(items) != 2:
        reader.fail(node, f"partners should list exactly two partners, not {len(items)}",
                    "a case describes one couple: give two entries with '- id: ...'")
    result = []
    for item in items:
        fields = reader.mapping(item, "a partner", ("id",), ("name",))
        pid = reader.partner_id(fields["id"], "partner id", None)
        if any(p.id == pid for p in result):
            reader.fail(fields["id"], f"partner id '{shorten(pid)}' is used twice",
                        "give each partner its own id")
        name = reader.string(fields["name"], "name") if "name" in fields else pid
        result.append(Partner(pid, name, item.line))
    return (result[0], result[1])


def _relationship(reader: _Reader, node: Node) -> Relationship:
    """Check the relationship section and return its facts."""
    if node.kind == "scalar" and node.value is None:
        return Relationship()
    fields = reader.mapping(node, "relationship", (), ("months_together", "living_together"))
    months = reader.integer(fields["months_together"], "months_together", 0) \
        if "months_together" in fields else None
    living = reader.boolean(fields["living_together"], "living_together") \
        if "living_together" in fields else None
    return Relationship(months, living)


def _sessions(reader: _Reader, node: Node, ids: tuple[str, ...]) -> tuple[Session, ...]:
    """Check the sessions list and return the sessions, oldest first."""
    items = reader.sequence(node, "sessions", "list sessions, each starting with '- date: YYYY-MM-DD'")
    if not items:
        reader.fail(node, "sessions is empty", "add at least one session with a date")
    result: list[Session] = []
    for item in items:
        fields = reader.mapping(item, "a session", ("date",), ("observations", "episodes", "measures", "covered"))
        date = reader.date(fields["date"], "session date")
        if result and date <= result[-1].date:
            reader.fail(fields["date"], f"session date {date} is not after the previous session's "
                        f"({result[-1].date})", "list sessions oldest first, one per date")
        observations = tuple(_observation(reader, o, ids) for o in
                             _list_or_empty(reader, fields.get("observations"), "observations",
                                            "list observations, each starting with '- partner: A'"))
        episodes = tuple(_episode(reader, e, ids) for e in
                         _list_or_empty(reader, fields.get("episodes"), "episodes",
                                        "list episodes, each with a label and steps"))
        measures = _measures(reader, fields["measures"], ids) if "measures" in fields else {}
        covered = _covered(reader, fields["covered"]) if "covered" in fields else None
        result.append(Session(date, observations, episodes, measures, item.line, covered))
    return tuple(result)


def _covered(reader: _Reader, node: Node) -> tuple[str, ...]:
    """Return the behaviour groups a session says it looked at (`all`, or a list of group ids)."""
    groups = tuple(vocabulary().groups)
    hint = f"write 'covered: {COVERED_ALL}' or a list of groups such as [{', '.join(groups[:4])}]"
    if node.kind == "scalar" and node.value == COVERED_ALL:
        return groups
    chosen = [reader.choice(item, "behaviour group", groups, hint)
              for item in reader.sequence(node, "covered", hint)]
    return tuple(g for g in groups if g in chosen)


def _list_or_empty(reader: _Reader, node: Node | None, what: str, hint: str) -> list[Node]:
    """Return the node's items, or none when the key is absent or empty."""
    if node is None or (node.kind == "scalar" and node.value is None):
        return []
    return reader.sequence(node, what, hint)


def _behavior(reader: _Reader, node: Node) -> str:
    """Return a behaviour id from the vocabulary."""
    return reader.choice(node, "behavior", tuple(vocabulary().behaviors),
                         "run 'dynamics rules vocabulary' to see the behaviour ids")


def _observation(reader: _Reader, node: Node, ids: tuple[str, ...]) -> Observation:
    """Check one observation and return it with its defaults filled in."""
    fields = reader.mapping(node, "an observation", ("partner", "behavior"),
                            ("frequency", "source", "note"))
    partner = reader.partner_id(fields["partner"], "partner", ids)
    behavior = _behavior(reader, fields["behavior"])
    vocab = vocabulary()
    frequency = reader.choice(fields["frequency"], "frequency", vocab.frequency_ids) \
        if "frequency" in fields else DEFAULT_FREQUENCY
    source = reader.choice(fields["source"], "source", tuple(vocab.reporter_weight)) \
        if "source" in fields else DEFAULT_SOURCE
    note = reader.string(fields["note"], "note") if "note" in fields and fields["note"].value is not None \
        else None
    return Observation(partner, behavior, frequency, source, note, node.line, node.column)


def _episode(reader: _Reader, node: Node, ids: tuple[str, ...]) -> Episode:
    """Check one episode and return it with its steps in order."""
    fields = reader.mapping(node, "an episode", ("steps",), ("label",))
    label = reader.string(fields["label"], "episode label") if "label" in fields \
        else DEFAULT_EPISODE_LABEL.format(line=node.line)
    steps = []
    for step in reader.sequence(fields["steps"], "episode steps",
                                "list the moves in order, each as '- {partner: A, behavior: bid}'"):
        sf = reader.mapping(step, "an episode step", ("partner", "behavior"), ())
        steps.append(Step(reader.partner_id(sf["partner"], "partner", ids), _behavior(reader, sf["behavior"]),
                          step.line, step.column))
    if not steps:
        reader.fail(fields["steps"], "an episode needs at least one step", "list the moves in order")
    return Episode(label, tuple(steps), node.line)


def _measures(reader: _Reader, node: Node, ids: tuple[str, ...]) -> dict:
    """Check a session's instrument responses and return them per instrument and partner."""
    fields = reader.mapping(node, "measures", (), tuple(INSTRUMENTS))
    result = {}
    for name, per_partner in fields.items():
        length, (low, high) = INSTRUMENTS[name]
        answers = reader.mapping(per_partner, name, (), ids)
        scores = {}
        for pid, values in answers.items():
            items = reader.sequence(values, f"{name} responses for {pid}",
                                    f"give {length} numbers from {low} to {high} in brackets")
            if len(items) != length:
                reader.fail(values, f"{name} for {pid} has {len(items)} responses, not {length}",
                            f"give all {length} responses, {low} to {high}, in the published item order")
            numbers = []
            for index, item in enumerate(items, start=1):
                if item.kind != "scalar" or isinstance(item.value, bool) or not isinstance(item.value, int) \
                        or not low <= item.value <= high or not _DECIMAL.match(item.raw or ""):
                    reader.fail(item, f"{name} item {index} for {pid} is {_describe(item)}, "
                                f"not a whole number from {low} to {high}",
                                f"use a response from {low} to {high}")
                numbers.append(item.value)
            scores[pid] = tuple(numbers)
        result[name] = scores
    return result


def _annotations(reader: _Reader, node: Node, ids: tuple[str, ...]) -> tuple[Annotation, ...]:
    """Check the annotations list and return the annotations in file order."""
    items = _list_or_empty(reader, node, "annotations", "use 'dynamics annotate' to add annotations")
    result = []
    for item in items:
        if item.kind != "mapping":
            reader.mapping(item, "an annotation", ("kind",), ())
        if "kind" not in item.value:
            reader.fail(item, "an annotation is missing the required key 'kind'",
                        f"add 'kind:' with one of {', '.join(ANNOTATION_KINDS)}")
        kind = reader.choice(item.value["kind"], "annotation kind", ANNOTATION_KINDS)
        required, optional = _ANNOTATION_KEYS[kind]
        fields = reader.mapping(item, f"a '{kind}' annotation", ("kind", "date", "by") + required, optional)
        values = {"kind": kind, "date": reader.date(fields["date"], "annotation date"),
                  "by": reader.string(fields["by"], "annotation author"), "line": item.line}
        for key in required + optional:
            if key not in fields:
                continue
            sub = fields[key]
            if key == "partner":
                values[key] = reader.partner_id(sub, "partner", ids)
            elif key == "behavior":
                values[key] = _behavior(reader, sub)
            elif key == "frequency":
                values[key] = reader.choice(sub, "frequency", vocabulary().frequency_ids)
            elif key == "session":
                values[key] = reader.date(sub, "session date")
            elif key == "conclusion":
                values[key] = _conclusion_path(reader, sub, ids)
            elif key == "source":
                values[key] = reader.choice(sub, "source", tuple(vocabulary().reporter_weight))
            elif key == "entry":
                values[key] = _withdrawn_entry(reader, sub, result)
            else:
                values[key] = reader.string(sub, key)
        if kind in labels.JUDGEMENTS and values.get("value") is not None:
            allowed = labels.CONCLUSIONS[labels.conclusion_key(values["conclusion"])]
            reader.choice(fields["value"], f"value for {values['conclusion']}", allowed,
                          "use one of " + ", ".join(allowed))
        result.append(Annotation(**values))
    return tuple(result)


def _withdrawn_entry(reader: _Reader, node: Node, earlier: list[Annotation]) -> int:
    """Return the number of the earlier note or judgement a withdraw entry takes back."""
    number = reader.integer(node, "entry", 1, hint="give the entry's number as 'dynamics history' shows it")
    if number > len(earlier):
        reader.fail(node, f"entry {number} is not an earlier annotation (there are {len(earlier)} before it)",
                    "give the number 'dynamics history' shows for the entry to withdraw")
    kind = earlier[number - 1].kind
    if kind not in WITHDRAWABLE:
        reader.fail(node, f"entry {number} is {'a' if kind[0] not in 'aeiou' else 'an'} {kind} entry, "
                    "which cannot be withdrawn",
                    "withdraw a note or a judgement; to take back an observation, edit its session")
    return number


def _conclusion_path(reader: _Reader, node: Node, ids: tuple[str, ...]) -> str:
    """Return a conclusion path: a partner's strategy or a couple-level conclusion."""
    return reader.choice(node, "conclusion", labels.conclusion_paths(ids))
