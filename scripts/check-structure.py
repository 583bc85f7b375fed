#!/usr/bin/env python3
"""Checks a tree's structure (docs/design.md), the plugin's (plugin/src) and the gateway's
(examples/gateway):
  1. its folders include each other without a cycle, so no folder includes one that includes it
     back;
  2. no function is longer than MAX_LINES lines, from the first line of its signature to its
     closing brace (lambdas and local blocks count towards the function holding them);
  3. with --layers, includes go one way only: a file includes files of its own layer's folder or
     of a lower layer, never of a higher one nor of another folder of the same layer. The spec
     lists layers from the bottom, '<' between layers and ',' between the folders of one layer;
     a folder may be a path (console/admin), and a file belongs to the longest one that holds it:
       --layers "base < config < http, store, rundeck < runtime < intake, dispatch < console"
  4. with --only HEADER=FOLDER (repeatable), HEADER (sqlite3.h) is included only below FOLDER.
Usage: check-structure.py SRC_DIR [MAX_LINES] [--layers SPEC] [--only HEADER=FOLDER ...].
Exit status 1 with a list of what is wrong.
"""
import argparse
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)/[^"]+"', re.M)
ANY_INCLUDE = re.compile(r'^\s*#\s*include\s+["<]([^">]+)[">]', re.M)
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


def parse_layers(spec):
    """{folder: rank} from 'a < b, c < d' (rank 0 at the bottom)."""
    ranks = {}
    for rank, layer in enumerate(spec.split('<')):
        for folder in layer.split(','):
            if folder.strip():
                ranks[folder.strip().strip('/')] = rank
    return ranks


def folder_in(ranks, relpath):
    """The longest folder of the spec that holds relpath, or None."""
    best = None
    for folder in ranks:
        if relpath.startswith(folder + '/') and (best is None or len(folder) > len(best)):
            best = folder
    return best


def layer_violations(root, ranks):
    problems = []
    for path in sources(root):
        rel = os.path.relpath(path, root)
        here = folder_in(ranks, rel)
        if here is None:
            problems.append(f'{rel}: in no folder of the layers')
            continue
        with open(path, encoding='utf-8') as f:
            text = f.read()
        for target in ANY_INCLUDE.findall(text):
            if not os.path.exists(os.path.join(root, target)):
                continue  # a system or another target's header
            there = folder_in(ranks, target)
            if there is None or there == here or ranks[there] < ranks[here]:
                continue
            how = 'a higher layer' if ranks[there] > ranks[here] else 'another folder of its own layer'
            problems.append(f'{rel}: includes {target}, {how} ({here} -> {there})')
    return problems


def header_violations(root, only):
    problems = []
    for rule in only:
        header, _, folder = rule.partition('=')
        for path in sources(root):
            rel = os.path.relpath(path, root)
            with open(path, encoding='utf-8') as f:
                included = ANY_INCLUDE.findall(f.read())
            if header in included and not rel.startswith(folder.strip('/') + '/'):
                problems.append(f'{rel}: includes {header}, which only {folder}/ may include')
    return problems


def main():
    parser = argparse.ArgumentParser(description='Checks a source tree\'s folders, includes and function lengths.')
    parser.add_argument('root')
    parser.add_argument('max_lines', nargs='?', type=int, default=50)
    parser.add_argument('--layers', help='the layers from the bottom: "a < b, c < d"')
    parser.add_argument('--only', action='append', default=[], metavar='HEADER=FOLDER')
    args = parser.parse_args()
    root, max_lines = args.root, args.max_lines
    problems = []
    if args.layers:
        problems += layer_violations(root, parse_layers(args.layers))
    problems += header_violations(root, args.only)
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
    checked = 'no include cycle between folders, no function over {} lines'.format(max_lines)
    if args.layers:
        checked += ', includes only downwards (' + args.layers + ')'
    for rule in args.only:
        checked += ', ' + rule.replace('=', ' only in ') + '/'
    print(checked)
    return 0


if __name__ == '__main__':
    sys.exit(main())
