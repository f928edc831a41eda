/**
 * OLPC canonical JSON as TUF uses it for key ids: keys sorted, no whitespace, and only the
 * characters `"` and `\` escaped in strings. Key objects hold only strings, so that is all we need.
 */
export type CanonicalValue = string | number | boolean | null | CanonicalValue[] | { [key: string]: CanonicalValue };

export function canonicalize(value: CanonicalValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new TypeError(`canonical JSON allows integers only, got ${value}`);
    return String(value);
  }
  if (typeof value === 'string') return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  if (Array.isArray(value)) return `[${value.map(canonicalize).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${canonicalize(k)}:${canonicalize(value[k] as CanonicalValue)}`).join(',')}}`;
}
