/**
 * Every example in the README runs as written against `npm start`'s demo data: the README is read, each fenced
 * block is taken with the note written just above it, and run.
 *
 * The notes are HTML comments, invisible on the rendered page:
 * - `<!-- example: as ROLE [ORG] [variables {json}] -->` before a GraphQL block: each operation of the block is sent
 *   in order, as that principal, with the variables it declares (a variable given as "now" is the instant it is
 *   sent); each must answer without errors.
 * - `<!-- example: shell -->` before a shell block: it runs in bash after the shell setup blocks before it, against
 *   the test's hub in place of http://localhost:4000; its output must be a GraphQL answer without errors.
 * - `<!-- example: shell setup -->`: a shell block whose definitions the later shell examples use.
 * - `<!-- example: answer -->` before a JSON block: the answer the previous example gives has its shape (the same
 *   fields at every level; lists compared element by element with the answer's first element).
 * - `<!-- example: not run, WHY -->`: a block this test cannot run (the install commands, a diagram, a webhook's
 *   request), with the reason.
 * A block without a note fails the test, so no example is added unrun.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kind, parse, print, type OperationDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS } from '../seed/seed-demo.js';
import { startHub, type Hub } from './support/hub.js';

const ROOT = path.join(import.meta.dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

interface Block {
  line: number;
  language: string;
  text: string;
  note: string | null;
}

/** The README's fenced blocks, each with the `<!-- example: … -->` note on the line above it (or null). */
function blocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const found: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!fence) continue;
    const end = lines.findIndex((line, j) => j > i && line.startsWith('```'));
    const note = /^<!-- example: (.*) -->$/.exec(lines[i - 1] ?? '')?.[1] ?? null;
    found.push({ line: i + 1, language: fence[1]!, text: lines.slice(i + 1, end).join('\n'), note });
    i = end;
  }
  return found;
}

interface Principal {
  role: string;
  org?: string;
  variables: Record<string, unknown>;
}

function principalOf(note: string): Principal {
  const match = /^as (\w+)(?: ([A-Z]{2}-[A-Z0-9-]+))?(?: variables (\{.*\}))?$/.exec(note);
  if (!match) throw new Error(`a GraphQL example's note must read "as ROLE [ORG] [variables {json}]": ${note}`);
  return {
    role: match[1]!,
    org: match[2],
    variables: match[3] ? (JSON.parse(match[3]) as Record<string, unknown>) : {},
  };
}

/** Does `actual` have the fields of `shown` at every level? The paths where it does not. */
function shapeDifferences(shown: unknown, actual: unknown, at = ''): string[] {
  if (Array.isArray(shown)) {
    if (!Array.isArray(actual)) return [`${at}: a list in the README, not in the answer`];
    if (shown.length > 0 && actual.length === 0) return [`${at}: the answer's list is empty`];
    return shown.flatMap((element, i) => shapeDifferences(element, actual[0], `${at}[${i}]`));
  }
  if (shown !== null && typeof shown === 'object') {
    if (actual === null) return [];
    if (typeof actual !== 'object' || Array.isArray(actual))
      return [`${at}: an object in the README, not in the answer`];
    const shownKeys = Object.keys(shown).sort();
    const actualKeys = Object.keys(actual as object).sort();
    if (shownKeys.join() !== actualKeys.join())
      return [`${at}: fields ${shownKeys.join(',')} in the README, ${actualKeys.join(',')} in the answer`];
    return shownKeys.flatMap((key) =>
      shapeDifferences(
        (shown as Record<string, unknown>)[key],
        (actual as Record<string, unknown>)[key],
        `${at}.${key}`,
      ),
    );
  }
  return [];
}

const run = promisify(execFile);
let hub: Hub;
beforeAll(async () => {
  hub = await startHub({
    cases: DEMO_DEFAULTS.cases,
    institutions: DEMO_DEFAULTS.institutions,
    seed: DEMO_DEFAULTS.seed,
  });
}, 120_000);
afterAll(async () => {
  await hub?.close();
});

describe('the README', () => {
  const all = blocks(README);

  it('says of every fenced block how it runs', () => {
    expect(all.length).toBeGreaterThan(10);
    expect(all.filter((b) => b.note === null).map((b) => `line ${b.line}`)).toEqual([]);
  });

  it('runs every example as written against the demo data', async () => {
    const setup: string[] = [];
    let previous: unknown = undefined;
    const gatewayBase = new URL(hub.urls.gateway).origin;
    for (const block of all) {
      const note = block.note ?? '';
      const where = `README line ${block.line}`;
      if (note.startsWith('not run')) {
        expect(note, where).toMatch(/^not run, \S/);
        continue;
      }
      if (note === 'shell setup') {
        setup.push(block.text);
        continue;
      }
      if (note === 'shell') {
        const script = [...setup, block.text].join('\n').replaceAll('http://localhost:4000', gatewayBase);
        const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], {
          cwd: ROOT,
          maxBuffer: 16 * 1024 * 1024,
        });
        const answer = JSON.parse(stdout) as { data?: unknown; errors?: unknown };
        expect({ where, errors: answer.errors }).toEqual({ where, errors: undefined });
        expect(answer.data, where).toBeTruthy();
        previous = answer.data;
        continue;
      }
      if (note === 'answer') {
        expect({ where, differences: shapeDifferences(JSON.parse(block.text), previous) }).toEqual({
          where,
          differences: [],
        });
        continue;
      }
      expect(block.language, where).toBe('graphql');
      const principal = principalOf(note);
      const operations = parse(block.text).definitions.filter(
        (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
      );
      for (const operation of operations) {
        const declared = (operation.variableDefinitions ?? []).map((v) => v.variable.name.value);
        const variables = Object.fromEntries(
          Object.entries(principal.variables)
            .filter(([name]) => declared.includes(name))
            .map(([name, value]) => [name, value === 'now' ? new Date().toISOString() : value]),
        );
        const result = await hub.query(print(operation), variables, { role: principal.role, org: principal.org });
        const label = `${where}, ${operation.name?.value ?? operation.operation} as ${principal.role}`;
        expect({ label, status: result.status, errors: result.body.errors }).toEqual({
          label,
          status: 200,
          errors: undefined,
        });
        previous = result.body.data;
      }
    }
  }, 120_000);
});
