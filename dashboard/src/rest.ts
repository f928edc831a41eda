/** The NUC's REST replies as the views read them: the JSON body, or an Error with the NUC's own message. */
export async function json<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => ({}))) as T & { message?: string };
  if (!response.ok) throw new Error(body.message ?? `the NUC answered ${response.status}`);
  return body;
}

/** The headers of a request that needs the control token. */
export function withToken(token: string, json = false): HeadersInit {
  return { authorization: `Bearer ${token}`, ...(json ? { 'content-type': 'application/json' } : {}) };
}

/** A JSON request with the token, answering the server's own message when it refuses. */
export async function send<T>(method: string, url: string, token: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: withToken(token, body !== undefined) };
  if (body !== undefined) init.body = JSON.stringify(body);
  return json<T>(await fetch(url, init));
}

/**
 * `load()` until it answers, waiting longer after each failure (1 s, 2 s, … at most 10 s): for what a
 * view cannot do without, fetched once at mount, where one refused request must not leave it blank.
 * Stops trying once `cancelled()` says so (the view unmounted).
 */
export async function untilAnswered<T>(load: () => Promise<T>, cancelled: () => boolean): Promise<T | undefined> {
  for (let attempt = 0; !cancelled(); attempt++) {
    try {
      return await load();
    } catch {
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 1000 * 2 ** attempt)));
    }
  }
  return undefined;
}
