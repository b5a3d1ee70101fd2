#!/usr/bin/env python3
"""Renders every template (*.jinja) of this folder with every conversation of conversations.json
the way transformers' apply_chat_template does: jinja2's ImmutableSandboxedEnvironment with
trim_blocks=True, lstrip_blocks=True, the loopcontrols extension and the generation tag; tojson replaced by
json.dumps(x, ensure_ascii=False, indent, separators, sort_keys); raise_exception and
strftime_now as globals; render(messages=..., tools=..., documents=None, add_generation_prompt=...,
**special tokens of special_tokens.json). strftime_now reads a fixed clock (FIXED_NOW) so that the
output is reproducible; the C++ test uses the same instant.

Also each snippet of snippets.json ({name: {template, vars}}: one feature each) with its vars.

Output: JSON {"<template>/<conversation>": {"text": ...} or {"error": ...}}, sorted, to stdout or
(with --write) to expected.json. Run with Debian's python3-jinja2 (/usr/bin/python3).
Usage: render_with_jinja2.py [--write] [FOLDER]
"""
import datetime
import json
import os
import sys

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

FIXED_NOW = datetime.datetime(2024, 7, 26, 9, 30, 5)


class GenerationTag(jinja2.ext.Extension):
    """{% generation %}...{% endgeneration %}, which transformers' AssistantTracker extension adds
    (it records where assistant text is; the output is the body unchanged)."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_body", []), [], [], body).set_lineno(lineno)

    def _body(self, caller):
        return caller()


def environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return FIXED_NOW.strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render_all(folder):
    with open(os.path.join(folder, "conversations.json"), encoding="utf-8") as f:
        conversations = json.load(f)
    with open(os.path.join(folder, "special_tokens.json"), encoding="utf-8") as f:
        special = json.load(f)
    env = environment()
    out = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".jinja"):
            continue
        family = name[: -len(".jinja")]
        with open(os.path.join(folder, name), encoding="utf-8", newline="") as f:
            source = f.read()
        template = env.from_string(source)
        for conv_name, conv in conversations.items():
            try:
                text = template.render(messages=conv["messages"], tools=conv.get("tools"), documents=None,
                                       add_generation_prompt=conv["add_generation_prompt"], **special.get(family, {}))
                out[family + "/" + conv_name] = {"text": text}
            except Exception as error:  # any failure: the C++ renderer must fail too
                out[family + "/" + conv_name] = {"error": type(error).__name__ + ": " + str(error)}
    with open(os.path.join(folder, "snippets.json"), encoding="utf-8") as f:
        snippets = json.load(f)
    for name, snippet in snippets.items():
        try:
            out["snippet/" + name] = {"text": env.from_string(snippet["template"]).render(**snippet["vars"])}
        except Exception as error:  # any failure: the C++ renderer must fail too
            out["snippet/" + name] = {"error": type(error).__name__ + ": " + str(error)}
    return out


def main():
    args = [a for a in sys.argv[1:] if a != "--write"]
    folder = args[0] if args else os.path.dirname(os.path.abspath(__file__))
    text = json.dumps(render_all(folder), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if "--write" in sys.argv:
        with open(os.path.join(folder, "expected.json"), "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
