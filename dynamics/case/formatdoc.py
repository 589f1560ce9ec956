"""Generate the case-file format reference (docs/case-format.md) from the code, so it cannot drift.

Keys, types, what is required, id patterns and annotation kinds are read from the JSON Schema
(`case_schema()`); defaults from the model; limits from `yamlnodes`; the sample error messages come from
running the loader on broken copies of the example; `formatvocab` adds the vocabulary's frequencies,
sources and behaviours and the ECR-R scoring. Only prose is written by hand (`formattext`): a key
without a meaning there, or a meaning for a key the schema lacks, stops the generation.
"""

from __future__ import annotations

from .. import yamlnodes
from ..errors import CaseError
from ..knowledge import labels
from . import formattext as words
from .formattime import over_time
from .formattext import FormatDocError, cell, code, slug
from .formatvocab import behaviours, ecr_r, frequencies, sources
from .model import FORMAT_VERSION, parse_case
from .schema import _conclusion, case_schema

COMMAND = "dynamics schema --format markdown -o docs/case-format.md"

# The schema objects with keys, in the order the reference shows them: (schema definition, heading).
_SECTIONS = (("partner", "partners"), ("relationship", "relationship"), ("session", "sessions"),
             ("observation", "observations"), ("episode", "episodes"), ("step", "steps"),
             ("measures", "measures"))
_SECTION_OF = dict(_SECTIONS) | {"annotation": "annotations"}
_SCALAR_REFS = {"date": "[date](#ids-and-dates)", "partner_id": "[partner id](#ids-and-dates)",
                "behavior": "[behaviour id](#behaviours)", "frequency": "[frequency](#frequency-scale)",
                "source": "[source](#sources)", "group": "[behaviour group](#behaviours)"}


def _count(schema: dict) -> str:
    low, high = schema.get("minItems"), schema.get("maxItems")
    if low is not None and low == high:
        return f"exactly {low}"
    if low and high is not None:
        return f"{low} to {high}"
    if low:
        return f"at least {low}"
    return f"at most {high}" if high is not None else ""


def _type(schema: dict, root: dict) -> str:
    """Describe a property's schema in a few words, linking to where its values are listed."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in _SCALAR_REFS:
            return _SCALAR_REFS[name]
        if name in _SECTION_OF:
            return f"mapping, see [{_SECTION_OF[name]}](#{slug(_SECTION_OF[name])})"
        raise FormatDocError(f"no words for the schema definition '{name}'")
    if schema == _conclusion():
        return "[conclusion path](#conclusions)"
    if "anyOf" in schema:
        kinds = [alt for alt in schema["anyOf"] if alt != {"type": "null"}]
        if len(kinds) == 1 and len(schema["anyOf"]) == 2:
            return _type(kinds[0], root) + ", or empty"
        return " or ".join(_type(kind, root) for kind in kinds)
    if "const" in schema:
        return f"`{schema['const']}`" if isinstance(schema["const"], str) else \
            f"whole number, always `{schema['const']}`"
    kinds = schema.get("type")
    if isinstance(kinds, list):
        rest = [k for k in kinds if k != "null"]
        if len(rest) != 1:
            raise FormatDocError(f"no words for the types {kinds}")
        return _type({**schema, "type": rest[0]}, root) + (", or empty" if "null" in kinds else "")
    if kinds == "array":
        items = schema.get("items", {})
        if "$ref" in items and items["$ref"].rsplit("/", 1)[-1] in _SECTION_OF:
            heading = _SECTION_OF[items["$ref"].rsplit("/", 1)[-1]]
            what = f"list of [{heading}](#{slug(heading)})"
        else:
            what = "list of " + _plural(_type(items, root))
        count = _count(schema)
        return what + (f", {count}" if count else "")
    if kinds == "object" and "propertyNames" in schema:
        return f"{_type(schema['propertyNames'], root)} → {_type(schema['additionalProperties'], root)}"
    if kinds == "object":
        return "mapping"
    if kinds == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            return f"whole number from {low} to {high}"
        return "whole number" + (f" ≥ {low}" if low is not None else "")
    if kinds == "boolean":
        return "`true` or `false`"
    if kinds == "string":
        if "pattern" in schema:
            return "[id](#ids-and-dates)"
        return "text"
    raise FormatDocError(f"no words for the schema {schema}")


def _plural(words: str) -> str:
    return words.replace("whole number", "whole numbers", 1)


def _meaning(section: str, key: str) -> str:
    try:
        return words.MEANINGS[section][key]
    except KeyError:
        raise FormatDocError(f"the key '{key}' of '{section or 'the case'}' has no meaning in "
                             "dynamics/case/formatdoc.py: add one") from None


def _key_table(section: str, schema: dict, root: dict) -> list[str]:
    """Return the table of a mapping's keys: type, required, default and meaning."""
    properties = schema["properties"]
    stale = set(words.MEANINGS[section]) - set(properties)
    if stale and section != "annotation":
        raise FormatDocError(f"meanings for keys the schema does not have: {sorted(stale)}")
    required = schema.get("required", ())
    out = ["| key | type | required | default | meaning |", "|---|---|---|---|---|"]
    for key, sub in properties.items():
        if key in required:
            default = "-"
        elif (section, key) in words.DEFAULTS:
            default = words.DEFAULTS[(section, key)]
        else:
            raise FormatDocError(f"the optional key '{key}' of '{section or 'the case'}' has no default in "
                                 "dynamics/case/formatdoc.py: add one")
        out.append(f"| `{key}` | {cell(_type(sub, root))} | {'yes' if key in required else 'no'} | "
                   f"{cell(default)} | {cell(_meaning(section, key))} |")
    return out + [""]


def _keys(root: dict) -> list[str]:
    defs = root["$defs"]
    documented = {name for name, _ in _SECTIONS} | {"annotation"}
    objects = {name for name, d in defs.items() if d.get("type") == "object" and "properties" in d}
    missing = objects - documented
    if missing:
        raise FormatDocError(f"schema definitions without a section: {sorted(missing)}")
    out = ["## Keys", "",
           "Each table lists the keys one mapping may hold. A key that is not listed is an error "
           "([unknown keys](#unknown-keys)); an optional key that is left out takes the default shown.",
           "", "### The case", "", "The top level of the file.", ""]
    out += _key_table("", root, root)
    for name, heading in _SECTIONS:
        schema = defs[name]
        out += [f"### {heading}", ""]
        intro = {"partners": "Each entry of `partners`.", "sessions": "Each entry of `sessions`.",
                 "observations": "Each entry of a session's `observations`.",
                 "episodes": "Each entry of a session's `episodes`.",
                 "steps": "Each entry of an episode's `steps`, often written on one line as "
                          "`{partner: A, behavior: bid}`.",
                 "relationship": "", "measures": "A session's `measures`."}[heading]
        text = " ".join(part for part in (intro, schema.get("description", "")) if part)
        if text:
            out += [text, ""]
        out += _key_table(name, schema, root)
    return out


def _annotations(root: dict) -> list[str]:
    annotation = root["$defs"]["annotation"]
    kinds = annotation["oneOf"]
    common = ("kind", "date", "by")
    named = [k["properties"]["kind"]["const"] for k in kinds]
    if set(named) != set(words.KINDS):
        raise FormatDocError(f"annotation kinds in the schema {named} differ from those described "
                             f"{list(words.KINDS)}")
    out = ["## Annotations", "",
           "Annotations are the clinician's record inside the case file: notes, additions and judgements. "
           "Each entry is one mapping under `annotations`, in the order written. `dynamics annotate` "
           "writes them (see 'Annotate a case' in the README); entries written by hand are checked the "
           "same way.", "",
           "Every entry has these keys:", "",
           "| key | type | meaning |", "|---|---|---|"]
    first = kinds[0]["properties"]
    for key in common:
        if any(key not in k.get("required", ()) for k in kinds):
            raise FormatDocError(f"'{key}' is not required in every annotation kind")
        kind_type = "one of " + code(named) if key == "kind" else _type(first[key], root)
        out.append(f"| `{key}` | {cell(kind_type)} | {cell(_meaning('annotation', key))} |")
    out += ["", "The kind decides which other keys an entry needs and allows:", "",
            "| kind | what it records | required keys | optional keys |", "|---|---|---|---|"]
    others: dict[str, dict] = {}
    for schema in kinds:
        kind = schema["properties"]["kind"]["const"]
        required = [k for k in schema["required"] if k not in common]
        optional = [k for k in schema["properties"] if k not in common and k not in required]
        for key in required + optional:
            others.setdefault(key, schema["properties"][key])
        out.append(f"| `{kind}` | {cell(words.KINDS[kind])} | {code(required) or '-'} | {code(optional) or '-'} |")
    stale = set(words.MEANINGS["annotation"]) - set(others) - set(common)
    if stale:
        raise FormatDocError(f"meanings for annotation keys the schema does not have: {sorted(stale)}")
    out += ["", "What the other keys hold (optional keys have no default):", "",
            "| key | type | meaning |", "|---|---|---|"]
    for key in sorted(others):
        out.append(f"| `{key}` | {cell(_type(others[key], root))} | {cell(_meaning('annotation', key))} |")
    # judgements name a conclusion; the records of what was added to a session name that session
    judgements = [k["properties"]["kind"]["const"] for k in kinds if "conclusion" in k["properties"]]
    records = [k["properties"]["kind"]["const"] for k in kinds
               if "session" in k["properties"] and "conclusion" not in k["properties"]]
    out += ["", f"Entries of kind {code(records)} only "
            "record what was added: the evidence is the observation, episode or session itself, in "
            "`sessions`, so such an entry written by hand adds nothing to the assessment. How the "
            f"{code(judgements)} entries act on the assessment, and how they age, is in "
            "[Judgements over time](#judgements-over-time).", "",
            "### Conclusions", "",
            "The conclusions an entry may judge, and the labels each may take. `<id>` is one of the two "
            "partner ids.", "", "| conclusion | labels |", "|---|---|"]
    for path, allowed in labels.CONCLUSIONS.items():
        out.append(f"| `{path.replace('*', '<id>')}` | {code(allowed)} |")
    return out + [""]


def _mistake(name: str) -> str:
    """Return the loader's message for one broken copy of the example."""
    _, old, new = words.MISTAKES[name]
    if words.EXAMPLE.count(old) != 1:
        raise FormatDocError(f"the example mistake '{name}' no longer fits the example")
    try:
        parse_case(words.EXAMPLE.replace(old, new), "case.yaml")
    except CaseError as exc:
        return f"`{cell(exc)}`"
    raise FormatDocError(f"the example mistake '{name}' is accepted by the loader")


def _shows(name: str) -> list[str]:
    what, old, new = words.MISTAKES[name]
    return [f"For example, {what} in the example above (`{new.strip()}`) is reported as:", "", _mistake(name), ""]


def _boolean_words() -> list[str]:
    """Return the lower-case words YAML reads as true/false, checking their capitalised forms too."""
    words = []
    for word in ("yes", "no", "on", "off", "true", "false", "y", "n"):
        forms = [yamlnodes.parse(form, "-").value for form in (word, word.capitalize(), word.upper())]
        if all(isinstance(value, bool) for value in forms):
            words.append(word)
        elif any(isinstance(value, bool) for value in forms):
            raise FormatDocError(f"YAML reads only some spellings of '{word}' as true/false")
    return words


def _checks(root: dict) -> list[str]:
    defs = root["$defs"]
    tags = sorted("!!" + tag.rsplit(":", 1)[-1] for tag in yamlnodes._STANDARD_TAGS)
    mib = yamlnodes.MAX_BYTES // (1024 * 1024)
    out = ["## Checks beyond the schema", "",
           "`dynamics validate` (and every command that reads a case) checks more than the JSON Schema "
           "can say. It stops at the first problem with one line: file, line and column, what is wrong, "
           "and how to fix it.", "",
           "### Ids and dates", "",
           f"- A case id is lowercase letters, digits, `-` and `_`, starting with a letter or digit: "
           f"`{root['properties']['case_id']['pattern']}`.",
           f"- A partner id starts with a letter, followed by letters, digits, `-` or `_`: "
           f"`{defs['partner_id']['pattern']}`. The two ids must differ.",
           f"- A date is written `YYYY-MM-DD` (`{defs['date']['pattern']}`) and must be a real day, "
           "without a time: `2026-02-30` is refused.",
           "- Session dates strictly increase: list sessions oldest first, one per date.", ""]
    out += _shows("date-order")
    out += ["### Partners are declared", "",
            "Every partner id used in the file must be one of the two under `partners`: in observations, "
            "in episode steps, under an instrument in `measures`, in annotations and in a "
            "`partners.<id>.strategy` conclusion.", ""]
    out += _shows("undeclared")
    words = _boolean_words()
    out += ["### Unquoted true/false words", "",
            f"YAML reads the unquoted words {code(words)} (also Capitalised or in CAPITALS) as true or "
            "false, and reads some unquoted text as numbers or dates (`12:30` as the number 750, `1e3` as "
            "1000.0). Where free text is expected (a name, a note, a label) the loader keeps exactly what you "
            "wrote: `note: 12:30` stays `12:30`. A whole number must be written in decimal digits: YAML's "
            "other spellings (`1:30` in base 60, `0x1e`, `017`, `1_000`) are refused, not converted. "
            "Where an id or one of a fixed set of values is expected (a partner id, a behaviour id, a "
            "frequency, a source, an annotation's kind, conclusion or value) it stops and asks you to "
            "quote the word: `id: 'no'`.", ""]
    out += _shows("true-false")
    out += ["### Unknown keys", "",
            "A key the format does not know is an error, never silently skipped; the message names the "
            "nearest known key. A misspelt value from a fixed set gets the same help.", ""]
    out += _shows("unknown-key") + _shows("unknown-behavior")
    out += ["### YAML the loader refuses", "",
            "The loader reads YAML through libyaml's event stream and refuses, before building anything:", "",
            "- anything that is not a regular file (a folder, a named pipe, a device), before opening it "
            "to read;",
            "- more than one YAML document in a file;",
            "- text that is not UTF-8 (a UTF-8 byte-order mark is fine), NUL bytes and control characters;",
            "- anchors and aliases (`&name`, `*name`);",
            f"- tags other than YAML's standard ones ({code(tags)}), and a scalar's tag on a list or a "
            "mapping (`observations: !!bool` over a list);",
            "- the same key twice in one mapping;",
            f"- values nested more than {yamlnodes.MAX_DEPTH} levels deep, files over {mib} MiB, and more "
            f"than {yamlnodes.MAX_NODES:,} values in one file.", ""]
    return out


def format_reference() -> str:
    """Return the Markdown reference of the case-file format."""
    root = case_schema()
    out = [f"# Case-file format, version {FORMAT_VERSION}", "",
           f"Generated from the code by `{COMMAND}`; do not edit by hand. A test fails when this page and "
           "the code disagree.", "",
           "A case file holds one couple: the two partners, the sessions with the behaviours seen or "
           "reported at each, and the clinician's annotations. It is YAML, saved as UTF-8, one case per "
           "file, named `*.yaml`. `dynamics validate FILE` checks a file. The files in `cases/` are full-"
           "sized examples. For completion and hover help in an editor, use the JSON Schema that "
           "`dynamics schema` prints (see 'Editor support' in the README); this page says the same in "
           "prose and adds what a schema cannot check.", "",
           "## Example", "", "```yaml", words.EXAMPLE.rstrip("\n"), "```", ""]
    out += _keys(root)
    out += _annotations(root)
    out += over_time()
    out += _checks(root)
    out += frequencies() + sources() + ecr_r() + behaviours()
    return "\n".join(out).rstrip("\n") + "\n"
