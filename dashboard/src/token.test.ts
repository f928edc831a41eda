import { describe, expect, it } from 'vitest';
import { readToken, saveToken } from './token.ts';

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
    expect(readToken({ search: '?token=abc' }, storage)).toBe('abc');
    expect(readToken({ search: '' }, storage)).toBe('abc');
  });

  it('is empty until given, and can be forgotten', () => {
    const storage = memoryStorage();
    expect(readToken({ search: '' }, storage)).toBe('');
    saveToken('xyz', storage);
    saveToken('', storage);
    expect(readToken({ search: '' }, storage)).toBe('');
  });
});
