#!/usr/bin/env python3
"""Regenerates the seed corpora in corpus/ from the project's test data: the bundled deliveries
(examples/deliveries), the example Rundeck configs (examples/rundeck) and the integration cases
(test/integration/cases). A developer tool: run it when that data changes and commit the result
(the hardening script and the replay tests use the committed seeds, so they need no Python).

Each seed is named after its source, so a crash in a seed points back at the test data."""
import glob
import hashlib
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))

# fuzz_request.cpp's handlers: 0 V3 signed, 1 V3 unsigned, 2 V2, 3 advanced (batch), 4 advanced {}
HANDLER = {'pagerduty-V3-run-job': [0, 1], 'pagerduty-run-job': [2], 'advanced-run-job': [3, 4]}
SMALL_DOC = '{"event":{"id":"E1","event_type":"incident.triggered","data":{"id":"P1","urgency":"high",' \
            '"title":"DB down","teams":[{"id":"T1","summary":"Eng"}],"tags":["db",1,null]}}}'


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode('utf-8')
    name = re.sub(r'[^A-Za-z0-9_.-]', '_', name)[:80]
    path = os.path.join(HERE, 'corpus', target, name)
    with open(path, 'wb') as f:
        f.write(data)


def read(path):
    with open(os.path.join(ROOT, path), 'rb') as f:
        return f.read()


def request_seed(handler, flags, headers, body):
    head = ''.join(h + '\n' for h in headers)
    return bytes([handler, flags]) + (head + '\n').encode() + body


def walk_strings(value, key=None):
    """Yields (key, string) for every string in a JSON value."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk_strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from walk_strings(v, key)
    elif isinstance(value, str):
        yield key, value


def main():
    for target in ('request', 'signature', 'jsonpath', 'template', 'config'):
        d = os.path.join(HERE, 'corpus', target)
        os.makedirs(d, exist_ok=True)
        for f in glob.glob(os.path.join(d, '*')):
            os.remove(f)

    paths, templates, configs, signatures = set(), set(), [], set()

    for f in sorted(glob.glob(os.path.join(ROOT, 'examples/deliveries/*.json'))):
        body = read(f)
        base = os.path.basename(f)
        if base.startswith('v3-'):
            write('request', 'delivery-signed-' + base, request_seed(0, 2 | 1, ['X-Webhook-Id: wh-1'], body))
            write('request', 'delivery-unsigned-' + base, request_seed(1, 4, [], body))
        else:
            write('request', 'delivery-' + base, request_seed(2, 1 | 4, [], body))
            write('request', 'delivery-adv-' + base, request_seed(4, 0, [], body))

    for f in sorted(glob.glob(os.path.join(ROOT, 'examples/rundeck/*.json'))):
        configs.append(('rundeck-' + os.path.basename(f), read(f)))

    for f in sorted(glob.glob(os.path.join(ROOT, 'test/integration/cases/*.json'))):
        case = json.load(open(f))
        name = os.path.splitext(os.path.basename(f))[0]
        if 'config' in case:
            configs.append(('case-' + name, json.dumps(case['config']).encode()))
        elif 'configFile' in case:
            configs.append(('case-' + name, read(case['configFile'])))
        body = None
        if 'body' in case:
            body = json.dumps(case['body']).encode()
        elif 'bodyText' in case:
            body = case['bodyText'].encode()
        elif 'bodyFile' in case:
            body = read(case['bodyFile'])
        headers = [h for h in case.get('headers', []) if isinstance(h, str)]
        for h in headers:
            if h.lower().startswith('x-pagerduty-signature:'):
                signatures.add(h.split(':', 1)[1].strip())
        if body is not None and case.get('provider') in HANDLER:
            for handler in HANDLER[case['provider']]:
                flags = 2 if handler == 0 else 0
                write('request', 'case-%s-%d' % (name, handler), request_seed(handler, flags, headers, body))
        cfg = case.get('config')
        if isinstance(cfg, dict):
            for key, s in walk_strings(cfg):
                if key in ('path', 'batchKey', 'eventIdKey') and s:
                    paths.add(s)
                elif key in ('value', 'jobId', 'nodeFilter', 'user') and s:
                    (paths if s.startswith('$') and not s.startswith('${') else templates).add(s)

    for name, text in configs:
        write('config', name, text)
    delivery = read('examples/deliveries/v3-incident.priority_updated-gopagerduty.json')
    for i, p in enumerate(sorted(paths)):
        doc = delivery if i % 4 == 0 else SMALL_DOC.encode()
        write('jsonpath', 'path-' + hashlib.sha1(p.encode()).hexdigest()[:12], p.encode() + b'\n' + doc)
    for i, t in enumerate(sorted(templates)):
        doc = delivery if i % 4 == 0 else SMALL_DOC.encode()
        write('template', 'template-' + hashlib.sha1(t.encode()).hexdigest()[:12], t.encode() + b'\n' + doc)
    signatures.add('v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd')
    signatures.add('v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5, '
                   'v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd')
    signatures.add('v0=abc,v1=0C0B9495B893A39E70D1FEA2FE11FBE0A825F88B9F67846F6CC07DD2BC5476CD\nv1=zz')
    for s in sorted(signatures):
        write('signature', 'sig-' + hashlib.sha1(s.encode()).hexdigest()[:12], s)
    write('signature', 'secrets-rotation', 'old-secret\r\n  new-secret \n\n')


if __name__ == '__main__':
    main()
