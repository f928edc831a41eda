import { describe, expect, it } from 'vitest';
import { compileFilter, DEFAULT_TRAIN_FILTER, filterFields, FilterError } from './filter.ts';
import { DEFAULT_INPUTS } from './format.ts';

const fields = filterFields([...DEFAULT_INPUTS.map((i) => i.key), 'pilot/angle', 'behavior/state'], [...DEFAULT_INPUTS.map((i) => i.type), 'float', 'int']);
const record = (values: Record<string, string | number | boolean | null>) => ({ 'user/angle': 0, 'user/throttle': 0.5, 'user/mode': 'user', _index: 7, ...values });

describe('record filters', () => {
  it('keeps the records the expression holds for', () => {
    const filter = compileFilter("user/throttle > 0.1 && user/mode == 'user'", fields);
    expect(filter.test(record({}))).toBe(true);
    expect(filter.test(record({ 'user/throttle': 0.1 }))).toBe(false);
    expect(filter.test(record({ 'user/mode': 'local' }))).toBe(false);
    const wide = compileFilter('abs(user/angle) < 0.9 || !(_index >= 100) && pilot/angle != null', fields);
    expect(wide.test(record({ 'user/angle': -0.95, _index: 5, 'pilot/angle': 0.1 }))).toBe(true);
    expect(wide.test(record({ 'user/angle': -0.95, _index: 5 }))).toBe(false);
    expect(wide.test(record({ 'user/angle': 0.5, _index: 500 }))).toBe(true);
    expect(compileFilter('user/angle >= -0.25 && user/angle <= 1e-1', fields).test(record({ 'user/angle': -0.25 }))).toBe(true);
    expect(compileFilter(DEFAULT_TRAIN_FILTER, fields).test(record({ 'user/throttle': 0 }))).toBe(true);
  });

  it('compares a missing field, or one of another type, as null', () => {
    const filter = compileFilter('behavior/state > 1', fields);
    expect(filter.test(record({}))).toBe(false);
    expect(filter.test(record({ 'behavior/state': 'two' }))).toBe(false);
    expect(filter.test(record({ 'behavior/state': 2 }))).toBe(true);
  });

  it.each([
    ['user/throtle > 0.1', 1, /unknown field user\/throtle \(the tub's fields: _index, _timestamp_ms, _session_id, cam\/image_array, user\/angle/],
    ["user/mode > 'a'", 11, /> compares numbers; this compares a string with a string/],
    ["user/mode == 3", 11, /== compares a string with a number/],
    ['user/throttle', 1, /must be a condition/],
    ['user/throttle = 0.5', 15, /unexpected "=" \(compare with ==\)/],
    ['user/throttle > 0 & 1', 19, /use && and \|\|/],
    ["user/mode == 'user", 14, /the string is not closed/],
    ['cam/image_array == null', 1, /holds data a filter cannot compare/],
    ['(user/angle > 0', 16, /expected \), got the end of the filter/],
    ['user/angle > 0 user/angle < 1', 16, /unexpected user\/angle after a complete condition/],
    ['process.exit()', 8, /unexpected "\."/],
    ['constructor > 1', 1, /unknown field constructor/],
    ['', 1, /empty/],
  ])('refuses %j, saying where (%d) and what is wrong', (text, position, message) => {
    let error: unknown;
    try {
      compileFilter(text, fields);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FilterError);
    expect((error as FilterError).position + 1).toBe(position);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses filters too long or too deep to be a person typing', () => {
    expect(() => compileFilter(`${'user/angle > 0 && '.repeat(40)}true`, fields)).toThrow(/longer than 500 characters/);
    expect(() => compileFilter(`${'('.repeat(40)}user/angle > 0${')'.repeat(40)}`, fields)).toThrow(/nested more than 32 deep/);
  });
});
