/**
 * Results as CSV: every lap of every car of a session (with its classification), the corrections
 * (who, when, why), and a competition's ranking. Names come from people: a cell that a spreadsheet
 * would run as a formula is quoted with a leading apostrophe.
 */
import type { CompetitionView } from './race-control.ts';
import type { RaceResult } from './race-store.ts';

function cell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const line = (cells: Array<string | number | boolean | null | undefined>): string => cells.map(cell).join(',');

/** One row per lap of each car (a car without a lap gets one row with its classification). */
export function resultCsv(result: RaceResult): string {
  const rows = [line(['session', 'label', 'position', 'car', 'name', 'status', 'laps', 'total_s', 'gap_s', 'best_lap_s', 'penalty_s', 'jump_start', 'lap', 'lap_s', 'lap_penalty_s', 'at_race_s'])];
  for (const s of result.standings) {
    const head = [result.id, result.label ?? `${result.kind} ${result.id}`, s.status === 'not-classified' ? 'NC' : s.position, s.car, s.name, s.status, s.laps, s.totalS, s.gapS, s.bestLapS, s.penaltyS, s.falseStart];
    const laps = result.cars.find((c) => c.car === s.car)?.laps ?? [];
    if (laps.length === 0) rows.push(line([...head, null, null, null, null]));
    for (const lap of laps) rows.push(line([...head, lap.n, lap.lapS, lap.penaltyS, lap.atS]));
  }
  return `${rows.join('\n')}\n`;
}

export function correctionsCsv(result: RaceResult): string {
  const rows = [line(['session', 'correction', 'kind', 'car', 'crossing', 'race_s', 'penalty', 'by', 'at', 'reason'])];
  for (const c of result.corrections) rows.push(line([result.id, c.id, c.kind, c.car, c.crossing, c.raceS, c.penalty, c.by, c.at, c.reason]));
  return `${rows.join('\n')}\n`;
}

export function competitionCsv(view: CompetitionView, nameOf: (car: string) => string): string {
  const { standings } = view;
  switch (standings.kind) {
    case 'time-trial':
      return `${[
        line(['competition', 'position', 'car', 'name', 'runs', 'laps', 'best_lap_s', 'best_consecutive_s', 'result_s']),
        ...standings.rows.map((r) => line([view.id, r.position, r.car, nameOf(r.car), r.runs, r.laps, sec(r.bestLapMs), sec(r.bestConsecutiveMs), sec(r.resultMs)])),
      ].join('\n')}\n`;
    case 'heats':
      return `${[
        line(['competition', 'position', 'car', 'name', 'heat', 'heat_position', 'laps', 'total_s']),
        ...standings.rows.map((r) => line([view.id, r.position, r.car, nameOf(r.car), r.heat, r.heatPosition, r.laps, sec(r.totalMs)])),
      ].join('\n')}\n`;
    case 'bracket':
      return `${[line(['competition', 'place', 'car', 'name', 'seed', 'decided_in']), ...standings.rows.map((r) => line([view.id, r.place, r.car, nameOf(r.car), r.seed, r.decidedIn]))].join('\n')}\n`;
  }
}

const sec = (ms: number | null): number | null => (ms === null ? null : ms / 1000);
