/**
 * The control token on the driver's screen: from `?token=` (then stored, and taken out of the
 * address bar so it is not left in the history, a bookmark or a screenshot), else localStorage.
 */
const KEY = 'edge-racing.token';

export function readToken(
  location: Pick<Location, 'search' | 'href'>,
  storage: Pick<Storage, 'getItem' | 'setItem'>,
  history?: Pick<History, 'replaceState' | 'state'>,
): string {
  const fromUrl = new URLSearchParams(location.search).get('token');
  if (fromUrl) {
    storage.setItem(KEY, fromUrl);
    if (history) history.replaceState(history.state, '', withoutToken(location.href));
    return fromUrl;
  }
  return storage.getItem(KEY) ?? '';
}

/** The address with its `token` parameter removed (path, other parameters and hash kept). */
export function withoutToken(href: string): string {
  const url = new URL(href);
  url.searchParams.delete('token');
  return `${url.pathname}${url.search}${url.hash}`;
}

export function saveToken(token: string, storage: Pick<Storage, 'setItem' | 'removeItem'>): void {
  if (token) storage.setItem(KEY, token);
  else storage.removeItem(KEY);
}
