#!/usr/bin/python3
"""docs/cli.md and the tools' --help agree on every flag.

  check_cli_docs.py DOC TOOL=BINARY...          check DOC against each tool
  check_cli_docs.py --self-test DOC TOOL=BINARY...
      check that the check fails: on a copy of DOC with one of the first tool's flags removed, and
      on a copy with a flag the tool does not have added to its table

For each tool, the flags it accepts are the option names its --help lists (CLI11: lines that start
with the option's names, `-i,--input_network TEXT ...`). The flags the doc lists for it are the
`--flag` and `-f` names in the first column of the tables in its section, from the heading
`## <tool>` to the next `## ` heading. Every accepted flag must be listed there, and every listed
flag accepted. Exits 0 when both hold, 1 with each difference named, 2 on a usage error.
"""

import re
import subprocess
import sys
from pathlib import Path

# An option line of CLI11's help: indentation, then the names, comma-separated, e.g.
# "  -i,--input_network TEXT REQUIRED" or "  --quiet,-q". Continuation lines of a description
# (more indented text) do not start with '-'.
HELP_OPTION_LINE = re.compile(r"^\s+(-{1,2}[A-Za-z0-9][\w-]*(?:\s*,\s*-{1,2}[A-Za-z0-9][\w-]*)*)")
FLAG = re.compile(r"(?<![\w-])(-{1,2}[A-Za-z][\w-]*)")


def accepted_flags(binary: str) -> set:
    """The option names the tool's --help lists, up to its footer (the exit codes, an example)."""
    result = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"{binary} --help exited {result.returncode}: {result.stderr.strip()}")
    flags = set()
    for line in result.stdout.splitlines():
        if line.startswith(("Exit codes", "Example")):
            break
        match = HELP_OPTION_LINE.match(line)
        if match:
            flags.update(name.strip() for name in match.group(1).split(","))
    if "--help" not in flags:
        raise RuntimeError(f"{binary} --help: no option lines found (is this CLI11's help?)\n{result.stdout}")
    return flags


def tool_section(doc: str, tool: str) -> str:
    match = re.search(rf"^## {re.escape(tool)}[ \t]*\n(.*?)(?=^## |\Z)", doc, re.S | re.M)
    if not match:
        raise RuntimeError(f"no '## {tool}' section")
    return match.group(1)


def documented_flags(doc: str, tool: str) -> set:
    """The flags in the first column of the table rows of the tool's section."""
    flags = set()
    for line in tool_section(doc, tool).splitlines():
        if not line.startswith("|") or re.match(r"^\|[\s|:-]*$", line):
            continue  # not a table row, or a |---| separator
        first_cell = re.split(r"(?<!\\)\|", line)[1]
        flags.update(FLAG.findall(first_cell.replace("`", " ")))
    return flags


def differences(doc: str, tools: dict, accepted: dict) -> list:
    problems = []
    for tool in tools:
        try:
            documented = documented_flags(doc, tool)
        except RuntimeError as e:
            problems.append(f"docs/cli.md: {e}")
            continue
        for flag in sorted(accepted[tool] - documented):
            problems.append(f"{tool} accepts {flag}, but its section of docs/cli.md does not list it")
        for flag in sorted(documented - accepted[tool]):
            problems.append(f"docs/cli.md lists {flag} for {tool}, which its --help does not")
    return problems


def parse_tools(args: list) -> dict:
    tools = {}
    for arg in args:
        name, sep, binary = arg.partition("=")
        if not sep or not name or not binary:
            raise ValueError(f"expected TOOL=BINARY, got {arg!r}")
        tools[name] = binary
    return tools


def self_test(doc: str, tools: dict, accepted: dict) -> int:
    """The check must catch a flag dropped from the doc and a flag the tool lacks added to it."""
    if differences(doc, tools, accepted):
        print("self-test: the doc does not pass the check to begin with; run the check itself", file=sys.stderr)
        return 1
    tool = next(iter(tools))
    section = tool_section(doc, tool)
    # Drop the first table row of the section that names exactly one flag the tool accepts.
    victim_row = next(line for line in section.splitlines()
                      if line.startswith("|") and len(documented_flags(f"## {tool}\n{line}\n", tool)) == 1
                      and documented_flags(f"## {tool}\n{line}\n", tool) <= accepted[tool])
    (victim,) = documented_flags(f"## {tool}\n{victim_row}\n", tool)
    without = doc.replace(section, section.replace(victim_row + "\n", "", 1), 1)
    bogus = "--no_such_flag_in_any_tool"
    with_bogus = doc.replace(section, section.replace(victim_row + "\n", f"{victim_row}\n| `{bogus}` | x |\n", 1), 1)
    failed = 0
    for name, text, expected in (("a dropped flag", without, f"{tool} accepts {victim}, but"),
                                 ("an unknown flag", with_bogus, f"lists {bogus} for {tool}")):
        problems = differences(text, tools, accepted)
        if any(expected in p for p in problems):
            print(f"self-test: {name} is reported: {next(p for p in problems if expected in p)}")
        else:
            print(f"self-test: {name} ({victim if name == 'a dropped flag' else bogus}) was NOT reported; "
                  f"problems found: {problems}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def main(argv: list) -> int:
    selftest = bool(argv) and argv[0] == "--self-test"
    if selftest:
        argv = argv[1:]
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        tools = parse_tools(argv[1:])
    except ValueError as e:
        print(f"check_cli_docs.py: {e}", file=sys.stderr)
        return 2
    doc_path = Path(argv[0])
    doc = doc_path.read_text()
    accepted = {tool: accepted_flags(binary) for tool, binary in tools.items()}
    if selftest:
        return self_test(doc, tools, accepted)
    problems = differences(doc, tools, accepted)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"{len(problems)} difference(s) between the tools' --help and {doc_path}", file=sys.stderr)
        return 1
    for tool in tools:
        print(f"{tool}: {len(accepted[tool])} flags, each in {doc_path.name} and nothing more")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
