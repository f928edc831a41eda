/** The control token on the driver's screen: from `?token=` (then stored), else localStorage. */
const KEY = 'edge-racing.token';

export function readToken(location: Pick<Location, 'search'>, storage: Pick<Storage, 'getItem' | 'setItem'>): string {
  const fromUrl = new URLSearchParams(location.search).get('token');
  if (fromUrl) {
    storage.setItem(KEY, fromUrl);
    return fromUrl;
  }
  return storage.getItem(KEY) ?? '';
}

export function saveToken(token: string, storage: Pick<Storage, 'setItem' | 'removeItem'>): void {
  if (token) storage.setItem(KEY, token);
  else storage.removeItem(KEY);
}
