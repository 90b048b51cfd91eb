"""The Markdown of README.md and docs/: every relative link and every
backticked repository path names a file that exists, and every table renders
(a header separator row, the same column count on every row, no blank line
inside). No network, no build."""

import glob
import os
import re

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCS = [os.path.join(ROOT, "README.md")] + sorted(
    glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True))
# A backticked path is checked when it starts at one of the repository's
# own top-level entries (contracts/*.md, in ../shared, does not).
TOP = {entry for entry in os.listdir(ROOT) if not entry.startswith("build")} \
    - {".git", ".cache", ".venv"}
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
PATHLIKE = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/?$")


def name(path):
    return os.path.relpath(path, ROOT)


def prose_lines(path):
    """(line number, text) outside fenced code blocks."""
    fenced = False
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            if not fenced:
                yield number, line.rstrip("\n")


def split_row(line):
    cells = re.split(r"(?<!\\)\|", line.strip())
    return cells[1:-1] if line.strip().endswith("|") else cells[1:]


def tables(path):
    """Each table as a list of (line number, text); a table ends at the
    first line that does not start with '|'."""
    current = []
    for number, line in prose_lines(path):
        if line.lstrip().startswith("|"):
            current.append((number, line))
        elif current:
            yield current, line
            current = []
    if current:
        yield current, ""


def inline_code(line):
    # Code spans inside a table cell may hold escaped pipes.
    return [m.replace("\\|", "|") for m in CODE.findall(line)]


@pytest.mark.parametrize("path", DOCS, ids=name)
def test_relative_links_exist(path):
    missing = []
    for number, line in prose_lines(path):
        for target in LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or \
                    target.startswith("#"):
                continue
            file_part = target.split("#", 1)[0]
            resolved = os.path.normpath(
                os.path.join(os.path.dirname(path), file_part))
            if not os.path.exists(resolved):
                missing.append(f"{name(path)}:{number}: {target}")
    assert not missing, "links to missing files:\n" + "\n".join(missing)


@pytest.mark.parametrize("path", DOCS, ids=name)
def test_backticked_repository_paths_exist(path):
    missing = []
    for number, line in prose_lines(path):
        for span in inline_code(line):
            span = span.strip()
            if not PATHLIKE.match(span) or "/" not in span and \
                    "." not in span:
                continue
            first = span.split("/", 1)[0]
            if first not in TOP:
                continue
            last = span.rstrip("/").rsplit("/", 1)[-1]
            looks_like_file = "." in last or span.endswith("/") or \
                first in ("scripts", "bench", "tools", "docs") or \
                os.path.isdir(os.path.join(ROOT, first))
            if looks_like_file and \
                    not os.path.exists(os.path.join(ROOT, span)):
                missing.append(f"{name(path)}:{number}: `{span}`")
    assert not missing, "named files that do not exist:\n" + "\n".join(
        missing)


@pytest.mark.parametrize("path", DOCS, ids=name)
def test_tables_render(path):
    problems = []
    for rows, after in tables(path):
        first_number = rows[0][0]
        where = f"{name(path)}:{first_number}"
        if len(rows) < 2 or not re.fullmatch(
                r"\s*\|?(\s*:?-{3,}:?\s*\|)+\s*:?(-{3,}:?)?\s*",
                rows[1][1]):
            problems.append(f"{where}: no header separator row")
            continue
        width = len(split_row(rows[0][1]))
        for number, line in rows:
            if len(split_row(line)) != width:
                problems.append(f"{name(path)}:{number}: "
                                f"{len(split_row(line))} columns, "
                                f"the header has {width}")
    # A blank line followed by more rows splits a table: the rows after it
    # render as text, so a table must not be followed by a blank line and
    # then a line starting with '|' that is not a new table's header.
    lines = list(prose_lines(path))
    for i, (number, line) in enumerate(lines[:-2]):
        if line.lstrip().startswith("|") and lines[i + 1][1].strip() == "":
            j = i + 1
            while j < len(lines) and lines[j][1].strip() == "":
                j += 1
            if j < len(lines) and lines[j][1].lstrip().startswith("|"):
                following = lines[j + 1][1] if j + 1 < len(lines) else ""
                if not re.fullmatch(r"\s*\|?(\s*:?-{3,}:?\s*\|)+.*",
                                    following):
                    problems.append(f"{name(path)}:{lines[j][0]}: table "
                                    "rows after a blank line")
    assert not problems, "tables that do not render:\n" + "\n".join(problems)


def test_every_document_is_checked():
    assert name(DOCS[0]) == "README.md"
    assert any(p.endswith(os.path.join("docs", "internals",
                                       "leaderboards.md")) for p in DOCS)
