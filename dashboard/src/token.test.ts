import { describe, expect, it } from 'vitest';
import { readToken, saveToken, withoutToken } from './token.ts';

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
    removeItem: (k: string) => void items.delete(k),
  };
}

describe('token', () => {
  it('takes ?token= from the address and remembers it for the next visit', () => {
    const storage = memoryStorage();
    expect(readToken({ search: '?token=abc', href: 'http://nuc:8080/drive/1?token=abc' }, storage)).toBe('abc');
    expect(readToken({ search: '', href: 'http://nuc:8080/drive/1' }, storage)).toBe('abc');
  });

  it('is empty until given, and can be forgotten', () => {
    const storage = memoryStorage();
    expect(readToken({ search: '', href: 'http://nuc/' }, storage)).toBe('');
    saveToken('xyz', storage);
    saveToken('', storage);
    expect(readToken({ search: '', href: 'http://nuc/' }, storage)).toBe('');
  });

  it('takes the token out of the address bar once read, keeping the rest of the address and the history state', () => {
    const replaced: [unknown, string][] = [];
    const history = { state: { key: 7 }, replaceState: (state: unknown, _title: string, url?: string | URL | null) => void replaced.push([state, String(url)]) };
    readToken({ search: '?car=2&token=abc', href: 'http://nuc:8080/drive/1?car=2&token=abc#hud' }, memoryStorage(), history);
    expect(replaced).toEqual([[{ key: 7 }, '/drive/1?car=2#hud']]);
    expect(withoutToken('http://nuc/fleet?token=x')).toBe('/fleet');
  });
});
