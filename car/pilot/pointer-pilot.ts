/**
 * The pilot that follows the update agent's model pointer. While a pointer names a loadable model,
 * that model drives (it takes precedence over `drive.pilot`); without one, the configured pilot
 * does. A new pointer is loaded and warmed up beside the running model and swapped in between two
 * frames; a pointer to a broken model is logged and the running model keeps driving.
 */
import { PilotError, type Pilot, type PilotInput, type PilotKind, type PilotOutput } from './pilot.ts';
import type { ModelPilot, ModelPilotLog } from './model-pilot.ts';
import { modelLabel, parseModelPointer, readPointerText, type ModelPointer } from './model-pointer.ts';

export interface PointerPilotOptions {
  pointerFile: string;
  /** the configured pilot (`drive.pilot`), made when no pointer model runs */
  fallback: () => Promise<Pilot>;
  log: ModelPilotLog;
  /** loads and warms up a model; default the tfjs model pilot (imported only when needed) */
  loadModel?: (dir: string) => Promise<ModelPilot>;
  /** how often the pointer is checked; default 250 ms */
  pollMs?: number;
}

export interface PointerPilot extends Pilot {
  /** `"<name> v<version>"` of the pointer's model while it drives */
  readonly model: string | undefined;
  /** why the last pointer was not followed, until one is */
  readonly problem: string | undefined;
  /** one look at the pointer (the timer calls it; tests may too) */
  check(): Promise<void>;
  close(): Promise<void>;
}

const defaultLoad = async (dir: string): Promise<ModelPilot> => (await import('./model-pilot.ts')).createModelPilot(dir);

/** The running pilot: the pointer's model (with its label) or the configured one. */
type Running = { from: 'pointer'; pilot: ModelPilot; label: string } | { from: 'config'; pilot: Pilot };

export async function createPointerPilot(options: PointerPilotOptions): Promise<PointerPilot> {
  const { pointerFile, log } = options;
  const loadModel = options.loadModel ?? defaultLoad;
  let problem: string | undefined;
  let lastText: string | undefined;
  let closed = false;

  const refuse = (pointer: Partial<ModelPointer>, error: unknown): void => {
    problem = (error as Error).message;
    log.warn({ pointer: pointerFile, ...pointer, error: problem }, 'model pointer not followed; keeping the running pilot');
  };

  /** The model the pointer names, or undefined (no pointer, or a broken one, which is reported). */
  const pointed = async (text: string | undefined): Promise<ModelPointer | undefined> => {
    if (text === undefined) return undefined;
    try {
      return parseModelPointer(text, pointerFile);
    } catch (error) {
      refuse({}, error);
      return undefined;
    }
  };

  const startWith = async (): Promise<Running> => {
    let text: string | undefined;
    try {
      text = await readPointerText(pointerFile);
    } catch (error) {
      refuse({}, error);
    }
    lastText = text;
    const pointer = await pointed(text);
    if (pointer) {
      try {
        const pilot = await loadModel(pointer.dir);
        log.info({ ...pointer }, 'model from the agent\'s pointer loaded');
        return { from: 'pointer', pilot, label: modelLabel(pointer) };
      } catch (error) {
        refuse(pointer, error);
      }
    }
    return { from: 'config', pilot: await options.fallback() };
  };

  let running = await startWith();

  const follow = async (text: string | undefined): Promise<void> => {
    if (text === undefined) {
      // the agent removed the pointer (a release without a model): back to the configured pilot
      if (running.from === 'config') return;
      const previous = running.pilot;
      running = { from: 'config', pilot: await options.fallback() };
      log.info({ pilot: running.pilot.name }, 'model pointer removed; configured pilot drives');
      await previous.close();
      return;
    }
    const pointer = await pointed(text);
    if (!pointer) return;
    try {
      if (running.from === 'pointer') {
        await running.pilot.swap(pointer.dir);
        running = { ...running, label: modelLabel(pointer) };
      } else {
        const previous = running.pilot;
        running = { from: 'pointer', pilot: await loadModel(pointer.dir), label: modelLabel(pointer) };
        await previous.close?.();
      }
      problem = undefined;
      log.info({ ...pointer }, 'model swapped to the agent\'s pointer');
    } catch (error) {
      refuse(pointer, error);
    }
  };

  let checking: Promise<void> | undefined;
  const check = (): Promise<void> => {
    checking ??= (async () => {
      try {
        if (closed) return;
        const text = await readPointerText(pointerFile);
        // remembered even when it fails to load: a broken pointer is reported once, not every poll
        if (text === lastText) return;
        lastText = text;
        await follow(text);
      } catch (error) {
        refuse({}, error);
      } finally {
        checking = undefined;
      }
    })();
    return checking;
  };

  const timer = setInterval(() => void check(), options.pollMs ?? 250);
  timer.unref();

  return {
    get name() {
      return running.from === 'pointer' ? running.label : running.pilot.name;
    },
    get kind(): PilotKind {
      return running.pilot.kind;
    },
    get model() {
      return running.from === 'pointer' ? running.label : undefined;
    },
    get problem() {
      return problem;
    },
    infer(input: PilotInput): Promise<PilotOutput> | PilotOutput {
      if (closed) throw new PilotError('the pilot is closed');
      // whichever pilot is current when the frame arrives answers it; a swap never drops a frame
      return running.pilot.infer(input);
    },
    check,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await checking;
      await running.pilot.close?.();
    },
  };
}
