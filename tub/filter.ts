/**
 * Record filters: a small expression over a record's fields, e.g.
 * `user/throttle > 0.1 && user/mode == 'user'`, saved with a tub (its manifest's metadata, key
 * `train_filter`) and applied when training on it. Parsed, never evaluated as code: fields are the
 * tub's declared inputs (plus `_index`, `_timestamp_ms`, `_session_id`), values are numbers,
 * 'strings', true, false and null; operators are == != < <= > >= && || ! and unary minus, with
 * parentheses and abs(). The types are checked against the tub's manifest when the filter is
 * compiled, so a typo is refused with the field named, not discovered as an empty training set.
 */
import type { JsonValue, TubInputType } from './format.ts';

/** The manifest metadata key a tub's training filter is saved under. */
export const TRAIN_FILTER_KEY = 'train_filter';
/** What training keeps when a tub has no filter of its own: the driver's records, moving forward or standing. */
export const DEFAULT_TRAIN_FILTER = "user/mode == 'user' && user/throttle >= 0";
export const MAX_FILTER_LENGTH = 500;
const MAX_DEPTH = 32;

export class FilterError extends Error {
  constructor(
    readonly expression: string,
    /** 0-based character where the problem is */
    readonly position: number,
    reason: string,
  ) {
    super(`filter ${JSON.stringify(expression)} at character ${position + 1}: ${reason}`);
    this.name = 'FilterError';
  }
}

type ValueType = 'number' | 'string' | 'boolean' | 'null';
type Value = number | string | boolean | null;

type Node =
  | { op: 'literal'; value: Value; type: ValueType; at: number }
  | { op: 'field'; name: string; type: ValueType; at: number }
  | { op: 'neg' | 'abs'; arg: Node; at: number }
  | { op: 'not'; arg: Node; at: number }
  | { op: 'and' | 'or'; left: Node; right: Node; at: number }
  | { op: '==' | '!=' | '<' | '<=' | '>' | '>='; left: Node; right: Node; at: number };

type Token = { kind: 'number'; value: number; at: number } | { kind: 'string'; value: string; at: number } | { kind: 'name'; value: string; at: number } | { kind: 'op'; value: string; at: number } | { kind: 'end'; at: number };

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '-', '(', ')', ','];
const NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\/[A-Za-z_][A-Za-z0-9_]*)*/;
const NUMBER = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    const number = NUMBER.exec(rest);
    if (number) {
      tokens.push({ kind: 'number', value: Number(number[0]), at: i });
      i += number[0].length;
      continue;
    }
    const name = NAME.exec(rest);
    if (name) {
      tokens.push({ kind: 'name', value: name[0], at: i });
      i += name[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end === -1) throw new FilterError(text, i, 'the string is not closed');
      tokens.push({ kind: 'string', value: text.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (!op) throw new FilterError(text, i, `unexpected ${JSON.stringify(c)}${c === '=' ? ' (compare with ==)' : c === '&' || c === '|' ? ' (use && and ||)' : ''}`);
    tokens.push({ kind: 'op', value: op, at: i });
    i += op.length;
  }
  tokens.push({ kind: 'end', at: text.length });
  return tokens;
}

/** The type a record field holds, from the manifest's declared input type. */
function fieldType(type: TubInputType | 'int' | 'str'): ValueType | undefined {
  if (type === 'float' || type === 'int') return 'number';
  if (type === 'str') return 'string';
  if (type === 'boolean') return 'boolean';
  return undefined;
}

/** The fields every catalog record has besides the declared inputs. */
const RECORD_FIELDS: Record<string, ValueType> = { _index: 'number', _timestamp_ms: 'number', _session_id: 'string' };

class Parser {
  private position = 0;
  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
    private readonly fields: ReadonlyMap<string, ValueType | undefined>,
  ) {}

  parse(): Node {
    const node = this.or(0);
    const next = this.peek();
    if (next.kind !== 'end') throw new FilterError(this.text, next.at, `unexpected ${describe(next)} after a complete condition`);
    if (typeOf(node) !== 'boolean') throw new FilterError(this.text, node.at, 'the filter must be a condition (a comparison, or conditions joined with && and ||)');
    return node;
  }

  private peek(): Token {
    return this.tokens[this.position]!;
  }

  private take(): Token {
    return this.tokens[this.position++]!;
  }

  private isOp(value: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.value === value;
  }

  private expectOp(value: string): void {
    const t = this.take();
    if (t.kind !== 'op' || t.value !== value) throw new FilterError(this.text, t.at, `expected ${value}, got ${describe(t)}`);
  }

  private deeper(depth: number, at: number): number {
    if (depth > MAX_DEPTH) throw new FilterError(this.text, at, `nested more than ${MAX_DEPTH} deep`);
    return depth + 1;
  }

  private or(depth: number): Node {
    let left = this.and(depth);
    while (this.isOp('||')) {
      const at = this.take().at;
      left = this.logical('or', left, this.and(depth), at);
    }
    return left;
  }

  private and(depth: number): Node {
    let left = this.not(depth);
    while (this.isOp('&&')) {
      const at = this.take().at;
      left = this.logical('and', left, this.not(depth), at);
    }
    return left;
  }

  private logical(op: 'and' | 'or', left: Node, right: Node, at: number): Node {
    for (const side of [left, right]) if (typeOf(side) !== 'boolean') throw new FilterError(this.text, side.at, `${op === 'and' ? '&&' : '||'} joins conditions; this is a ${typeOf(side)} value`);
    return { op, left, right, at };
  }

  private not(depth: number): Node {
    if (this.isOp('!')) {
      const at = this.take().at;
      const arg = this.not(this.deeper(depth, at));
      if (typeOf(arg) !== 'boolean') throw new FilterError(this.text, arg.at, `! negates a condition; this is a ${typeOf(arg)} value`);
      return { op: 'not', arg, at };
    }
    return this.comparison(depth);
  }

  private comparison(depth: number): Node {
    const left = this.unary(depth);
    const t = this.peek();
    if (t.kind !== 'op' || !['==', '!=', '<', '<=', '>', '>='].includes(t.value)) return left;
    this.take();
    const right = this.unary(depth);
    const op = t.value as '==' | '!=' | '<' | '<=' | '>' | '>=';
    const [a, b] = [typeOf(left), typeOf(right)];
    if (op === '==' || op === '!=') {
      if (a !== b && a !== 'null' && b !== 'null') throw new FilterError(this.text, t.at, `${op} compares a ${a} with a ${b}`);
    } else if (a !== 'number' || b !== 'number') {
      throw new FilterError(this.text, t.at, `${op} compares numbers; this compares a ${a} with a ${b}`);
    }
    return { op, left, right, at: t.at };
  }

  private unary(depth: number): Node {
    if (this.isOp('-')) {
      const at = this.take().at;
      const arg = this.unary(this.deeper(depth, at));
      if (typeOf(arg) !== 'number') throw new FilterError(this.text, arg.at, `- negates a number; this is a ${typeOf(arg)} value`);
      return { op: 'neg', arg, at };
    }
    return this.primary(depth);
  }

  private primary(depth: number): Node {
    const t = this.take();
    if (t.kind === 'number') return { op: 'literal', value: t.value, type: 'number', at: t.at };
    if (t.kind === 'string') return { op: 'literal', value: t.value, type: 'string', at: t.at };
    if (t.kind === 'op' && t.value === '(') {
      const inner = this.or(this.deeper(depth, t.at));
      this.expectOp(')');
      return inner;
    }
    if (t.kind === 'name') {
      if (t.value === 'true' || t.value === 'false') return { op: 'literal', value: t.value === 'true', type: 'boolean', at: t.at };
      if (t.value === 'null') return { op: 'literal', value: null, type: 'null', at: t.at };
      if (t.value === 'abs' && this.isOp('(')) {
        this.take();
        const arg = this.or(this.deeper(depth, t.at));
        this.expectOp(')');
        if (typeOf(arg) !== 'number') throw new FilterError(this.text, arg.at, `abs() takes a number; this is a ${typeOf(arg)} value`);
        return { op: 'abs', arg, at: t.at };
      }
      if (!this.fields.has(t.value)) {
        const known = [...this.fields.keys()].join(', ');
        throw new FilterError(this.text, t.at, `unknown field ${t.value} (the tub's fields: ${known})`);
      }
      const type = this.fields.get(t.value);
      if (!type) throw new FilterError(this.text, t.at, `field ${t.value} holds data a filter cannot compare (images, lists)`);
      return { op: 'field', name: t.value, type, at: t.at };
    }
    throw new FilterError(this.text, t.at, `expected a field, a number or a 'string', got ${describe(t)}`);
  }
}

function describe(t: Token): string {
  if (t.kind === 'end') return 'the end of the filter';
  if (t.kind === 'string') return `'${t.value}'`;
  return String(t.value);
}

function typeOf(node: Node): ValueType {
  switch (node.op) {
    case 'literal':
    case 'field':
      return node.type;
    case 'neg':
    case 'abs':
      return 'number';
    default:
      return 'boolean';
  }
}

function evaluate(node: Node, values: Record<string, JsonValue>): Value {
  switch (node.op) {
    case 'literal':
      return node.value;
    case 'field': {
      const value = values[node.name];
      // a record without the field, or with a value of another type, compares as null
      return value === undefined || (typeof value !== node.type && value !== null) ? null : (value as Value);
    }
    case 'neg':
    case 'abs': {
      const v = evaluate(node.arg, values);
      if (typeof v !== 'number') return null;
      return node.op === 'neg' ? -v : Math.abs(v);
    }
    case 'not':
      return !evaluate(node.arg, values);
    case 'and':
      return Boolean(evaluate(node.left, values)) && Boolean(evaluate(node.right, values));
    case 'or':
      return Boolean(evaluate(node.left, values)) || Boolean(evaluate(node.right, values));
    default: {
      const a = evaluate(node.left, values);
      const b = evaluate(node.right, values);
      if (node.op === '==') return a === b;
      if (node.op === '!=') return a !== b;
      if (typeof a !== 'number' || typeof b !== 'number') return false;
      if (node.op === '<') return a < b;
      if (node.op === '<=') return a <= b;
      if (node.op === '>') return a > b;
      return a >= b;
    }
  }
}

export interface RecordFilter {
  /** the expression as written */
  readonly text: string;
  /** whether a record (its catalog values) passes */
  test(values: Record<string, JsonValue>): boolean;
}

/** The tub's fields as a filter may name them: its declared inputs and the record bookkeeping. */
export function filterFields(inputs: readonly string[], types: readonly string[]): Map<string, ValueType | undefined> {
  const fields = new Map<string, ValueType | undefined>(Object.entries(RECORD_FIELDS));
  inputs.forEach((input, i) => fields.set(input, fieldType(types[i] as TubInputType)));
  return fields;
}

/** Parses and type-checks a filter against a tub's fields; a FilterError says where and what is wrong. */
export function compileFilter(text: string, fields: ReadonlyMap<string, ValueType | undefined>): RecordFilter {
  if (text.length > MAX_FILTER_LENGTH) throw new FilterError(text.slice(0, 40) + '…', 0, `longer than ${MAX_FILTER_LENGTH} characters`);
  if (text.trim() === '') throw new FilterError(text, 0, 'empty (leave the filter out to use the default)');
  const root = new Parser(text, tokenize(text), fields).parse();
  return { text, test: (values) => evaluate(root, values) === true };
}
