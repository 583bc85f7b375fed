#!/usr/bin/env python3
"""Checks the plugin's structure (docs/design.md):
  1. the folders of plugin/src include each other without a cycle (base <- json <- rules <-
     providers <- pipeline <- abi), so no folder includes one that includes it back;
  2. no function in plugin/ is longer than 50 lines, from the first line of its signature to its
     closing brace (lambdas and local blocks count towards the function holding them).
Usage: check-structure.py PLUGIN_SRC_DIR [MAX_LINES]. Exit status 1 with a list of what is wrong.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)/[^"]+"', re.M)
CONTROL = re.compile(r'\b(if|for|while|switch|catch|do|else|try)\s*(\(|$)')


def sources(root):
    for folder, _, files in os.walk(root):
        for name in sorted(files):
            if name.endswith(('.cpp', '.hpp', '.h')):
                yield os.path.join(folder, name)


def folder_of(root, path):
    return os.path.relpath(path, root).split(os.sep)[0]


def include_cycles(root):
    edges = {}
    for path in sources(root):
        here = folder_of(root, path)
        with open(path, encoding='utf-8') as f:
            for target in INCLUDE.findall(f.read()):
                if target != here and os.path.isdir(os.path.join(root, target)):
                    edges.setdefault(here, set()).add(target)
    cycles, state = [], {}

    def visit(node, trail):
        state[node] = 'open'
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 'open':
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 'done'

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return edges, cycles


def code_only(text):
    """The text with comments, strings and character literals blanked (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('//', i):
            j = text.find('\n', i)
            i = n if j < 0 else j
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j]))
            i = j
        elif text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == '_')):
            delim = text[i + 2:text.find('(', i)]
            j = text.find(')' + delim + '"', i)
            j = n if j < 0 else j + len(delim) + 2
            out.append('""' + re.sub(r'[^\n]', '', text[i:j]))
            i = j
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def long_functions(path, max_lines):
    with open(path, encoding='utf-8') as f:
        code = code_only(f.read())
    found, stack = [], []  # stack of (kind, start line)
    statement_start, line = None, 1
    statement = ''
    for c in code:
        if c == '\n':
            line += 1
        if c == '{':
            inside_function = any(kind == 'function' for kind, _ in stack)
            head = statement.strip()
            is_function = (not inside_function and re.search(r'\)[\w\s:&*<>,()\[\]\-]*$', head)
                           and not CONTROL.search(head) and not head.startswith(('namespace', 'struct', 'class', 'enum'))
                           and '=' not in head.split('(')[0])
            stack.append(('function' if is_function else 'block', statement_start or line))
            statement, statement_start = '', None
        elif c == '}':
            if stack:
                kind, start = stack.pop()
                if kind == 'function' and line - start + 1 > max_lines:
                    found.append((start, line - start + 1))
            statement, statement_start = '', None
        elif c == ';':
            statement, statement_start = '', None
        else:
            if not c.isspace() and statement_start is None:
                statement_start = line
            statement += c
            if c == '#':  # a preprocessor line is not part of a declaration
                statement, statement_start = '', None
    return found


def main():
    root = sys.argv[1]
    max_lines = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    problems = []
    edges, cycles = include_cycles(root)
    for cycle in cycles:
        problems.append('include cycle between folders: ' + ' -> '.join(cycle))
    for path in sources(root):
        for start, length in long_functions(path, max_lines):
            problems.append(f'{os.path.relpath(path, root)}:{start}: a function of {length} lines (over {max_lines})')
    print('folders include: ' + '; '.join(f'{a} -> {", ".join(sorted(b))}' for a, b in sorted(edges.items())))
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f'no include cycle between folders, no function over {max_lines} lines')
    return 0


if __name__ == '__main__':
    sys.exit(main())
